import NIOCore

/// The RESP side of one connection, on its event loop: each command written takes its place in line for a reply,
/// each value read answers the oldest waiting command, and push messages (pub/sub) go to `onPush` instead.
final class RESPChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Request
    typealias OutboundOut = ByteBuffer

    /// Encoded commands, and the promise of each one's reply (`nil` for commands answered by a push, such as
    /// SUBSCRIBE in RESP3).
    struct Request: Sendable {
        var bytes: ByteBuffer
        var replies: [EventLoopPromise<RESPValue>?]
    }

    private let decoder: RESPDecoder
    private let onPush: @Sendable ([RESPValue]) -> Void
    private var buffer = ByteBuffer()
    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()

    init(decoder: RESPDecoder, onPush: @escaping @Sendable ([RESPValue]) -> Void) {
        self.decoder = decoder
        self.onPush = onPush
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        // Written after the connection closed: no reply will come, and channelInactive has failed the others.
        guard context.channel.isActive else {
            for reply in request.replies { reply?.fail(RedisError.connectionClosed) }
            promise?.fail(RedisError.connectionClosed)
            return
        }
        for reply in request.replies { if let reply { waiting.append(reply) } }
        context.write(wrapOutboundOut(request.bytes), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        do {
            while let value = try decoder.next(from: &buffer) {
                if case .push(let elements) = value {
                    onPush(elements)
                } else if let reply = waiting.popFirst() {
                    reply.succeed(value)
                } else {
                    throw RESPError("a reply nobody asked for")
                }
            }
            buffer.discardReadBytes()
        } catch {
            failAll(error)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisError.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: any Error) {
        while let reply = waiting.popFirst() { reply.fail(error) }
    }
}
