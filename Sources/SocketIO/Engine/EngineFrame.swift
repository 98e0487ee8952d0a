import Foundation
import HummingbirdWebSocket
import NIOCore

/// An Engine.IO packet on its way to a client.
enum EngineFrame: Sendable, Equatable {
    case text(String)
    case binary([UInt8])

    var size: Int {
        switch self {
        case .text(let text): text.utf8.count
        case .binary(let bytes): bytes.count
        }
    }

    var webSocketFrame: WebSocketOutboundWriter.OutboundFrame {
        switch self {
        case .text(let text): .text(text)
        case .binary(let bytes): .binary(ByteBuffer(bytes: bytes))
        }
    }

    /// The polling payload: packets joined with the record separator, binary ones as `b<base64>`.
    static func pollingPayload(_ frames: [EngineFrame]) -> String {
        frames.map { frame in
            switch frame {
            case .text(let text): text
            case .binary(let bytes): "b" + Data(bytes).base64EncodedString()
            }
        }.joined(separator: "\u{1E}")
    }
}

extension Duration {
    var milliseconds: Int {
        Int(components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000)
    }
}
