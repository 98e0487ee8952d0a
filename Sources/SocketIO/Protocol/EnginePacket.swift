/// An Engine.IO 4 packet: `<type digit><payload>` as text, or a raw binary message.
public enum EnginePacket: Sendable, Equatable {
    case open(String)
    case close
    case ping(String)
    case pong(String)
    case message(String)
    case binary([UInt8])
    case upgrade
    case noop

    /// Parses a text frame. The type is the frame's first byte, read as a byte: a frame of any length is never
    /// read as a whole character (a digit followed by combining marks is one grapheme cluster), and an unknown
    /// type is reported as that byte alone.
    public init(text: Substring) throws {
        guard let type = text.utf8.first else { throw SocketIOProtocolError("empty Engine.IO packet") }
        let payload = { String(Substring(text.utf8.dropFirst())) }
        switch type {
        case UInt8(ascii: "0"): self = .open(payload())
        case UInt8(ascii: "1"): self = .close
        case UInt8(ascii: "2"): self = .ping(payload())
        case UInt8(ascii: "3"): self = .pong(payload())
        case UInt8(ascii: "4"): self = .message(payload())
        case UInt8(ascii: "5"): self = .upgrade
        case UInt8(ascii: "6"): self = .noop
        default: throw SocketIOProtocolError("unknown Engine.IO packet type \(SocketIOProtocolError.escaped(type))")
        }
    }

    /// The text frame, or `nil` for a binary packet.
    public var text: String? {
        switch self {
        case .open(let payload): "0" + payload
        case .close: "1"
        case .ping(let payload): "2" + payload
        case .pong(let payload): "3" + payload
        case .message(let payload): "4" + payload
        case .binary: nil
        case .upgrade: "5"
        case .noop: "6"
        }
    }
}
