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

    /// Parses a text frame.
    public init(text: Substring) throws {
        guard let type = text.first else { throw SocketIOProtocolError("empty Engine.IO packet") }
        let payload = String(text.dropFirst())
        switch type {
        case "0": self = .open(payload)
        case "1": self = .close
        case "2": self = .ping(payload)
        case "3": self = .pong(payload)
        case "4": self = .message(payload)
        case "5": self = .upgrade
        case "6": self = .noop
        default: throw SocketIOProtocolError("unknown Engine.IO packet type '\(type)'")
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
