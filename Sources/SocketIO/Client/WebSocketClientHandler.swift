import NIOCore
import NIOWebSocket

/// The end of a client WebSocket's pipeline: whole messages go to the stream, pings are answered with pongs, a
/// close from the server is answered and ends the connection. Client frames are masked (RFC 6455 §5.3).
final class WebSocketClientHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let continuation: AsyncThrowingStream<WebSocketClientConnection.Message, any Error>.Continuation
    private let observer: WebSocketClientConnection.Observer?
    private var closing = false

    init(
        continuation: AsyncThrowingStream<WebSocketClientConnection.Message, any Error>.Continuation,
        observer: WebSocketClientConnection.Observer?
    ) {
        self.continuation = continuation
        self.observer = observer
    }

    private func deliver(_ message: WebSocketClientConnection.Message) {
        observer?(message, .now)
        continuation.yield(message)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        var payload = frame.unmaskedData
        switch frame.opcode {
        case .text:
            deliver(.text(payload.readString(length: payload.readableBytes) ?? ""))
        case .binary:
            deliver(.binary(Array(payload.readableBytesView)))
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: payload)
            context.writeAndFlush(Self.wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            guard !closing else {
                context.close(promise: nil)
                return
            }
            closing = true
            let reply = WebSocketFrame(
                fin: true, opcode: .connectionClose, maskKey: .random(),
                data: payload.readSlice(length: min(2, payload.readableBytes)) ?? context.channel.allocator.buffer(capacity: 0))
            context.writeAndFlush(Self.wrapOutboundOut(reply)).whenComplete { _ in context.close(promise: nil) }
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        continuation.finish(throwing: error)
        context.close(promise: nil)
    }
}
