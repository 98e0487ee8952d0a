/// A Socket.IO 5 packet: `<type>[<attachments>-][<namespace>,][<ack id>][<JSON>]`.
public struct SocketPacket: Sendable, Equatable {
    /// The packet types.
    public enum Kind: Int, Sendable {
        case connect = 0, disconnect, event, ack, connectError, binaryEvent, binaryAck
    }

    public var kind: Kind
    public var namespace: String
    public var ackID: Int?
    /// The JSON payload, placeholders and all, or `nil` when absent.
    public var data: SocketIOValue?
    /// How many binary attachments follow (binary packets only).
    public var attachments: Int

    public init(kind: Kind, namespace: String = "/", ackID: Int? = nil, data: SocketIOValue? = nil, attachments: Int = 0) {
        self.kind = kind
        self.namespace = namespace
        self.ackID = ackID
        self.data = data
        self.attachments = attachments
    }

    /// Parses the payload of an Engine.IO message packet.
    public init(parsing text: String) throws {
        var rest = Substring(text)
        guard let first = rest.utf8.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first),
              let kind = Kind(rawValue: Int(first - UInt8(ascii: "0")))
        else {
            throw SocketIOProtocolError("unknown Socket.IO packet type \(rest.utf8.first.map(SocketIOProtocolError.escaped) ?? "(empty)")")
        }
        rest = Substring(rest.utf8.dropFirst())
        var attachments = 0
        if kind == .binaryEvent || kind == .binaryAck {
            guard let dash = rest.firstIndex(of: "-"), let count = Int(rest[..<dash]), count >= 0, rest[..<dash].allSatisfy(\.isASCII) else {
                throw SocketIOProtocolError("binary packet without an attachment count")
            }
            attachments = count
            rest = rest[rest.index(after: dash)...]
        }
        var namespace = "/"
        if rest.first == "/" {
            let end = rest.firstIndex(of: ",") ?? rest.endIndex
            namespace = String(rest[..<end])
            rest = end == rest.endIndex ? rest[end...] : rest[rest.index(after: end)...]
        }
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        var ackID: Int?
        if !digits.isEmpty {
            guard let id = Int(digits), id >= 0 else { throw SocketIOProtocolError("bad ack id") }
            ackID = id
            rest = rest.dropFirst(digits.count)
        }
        let data = rest.isEmpty ? nil : try SocketIOValue.parse(rest)
        switch kind {
        case .event, .binaryEvent:
            guard case .array(let values) = data, !values.isEmpty else { throw SocketIOProtocolError("event payload must be a non-empty array") }
        case .ack, .binaryAck:
            guard case .array = data, ackID != nil else { throw SocketIOProtocolError("ack without id or array payload") }
        case .connect:
            if let data, case .object = data {} else if data != nil { throw SocketIOProtocolError("connect payload must be an object") }
        case .connectError:
            break
        case .disconnect:
            guard data == nil else { throw SocketIOProtocolError("disconnect carries no payload") }
        }
        self.init(kind: kind, namespace: namespace, ackID: ackID, data: data, attachments: attachments)
    }

    /// The text encoding.
    public var text: String {
        var out = String(kind.rawValue)
        if kind == .binaryEvent || kind == .binaryAck { out += "\(attachments)-" }
        if namespace != "/" { out += namespace + "," }
        if let ackID { out += String(ackID) }
        if let data { out += data.jsonText }
        return out
    }

    /// An event or ack carrying `values`, as a text packet and its binary attachments.
    static func encode(kind: Kind, namespace: String, ackID: Int?, values: [SocketIOValue]) -> (SocketPacket, [[UInt8]]) {
        var attachments: [[UInt8]] = []
        let data = SocketIOValue.array(values).deconstructed(into: &attachments)
        var kind = kind
        if !attachments.isEmpty { kind = kind == .event ? .binaryEvent : .binaryAck }
        return (SocketPacket(kind: kind, namespace: namespace, ackID: ackID, data: data, attachments: attachments.count), attachments)
    }
}
