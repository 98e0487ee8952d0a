import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import PladmedCore

/// Limits every connection before HTTP sees it: one client address may hold at most `maxPerAddress` open
/// connections (more are closed at once, with a log line), and a new connection has `headTimeout` to send its first
/// request head (a client that trickles it, slowloris-style, is closed). Later requests on a kept-alive connection
/// fall under Hummingbird's idle timeout; WebSocket sessions under Engine.IO's heartbeat. Trusted proxies (`exempt`)
/// carry many clients' connections, and have no cap.
final class ConnectionGuard: Sendable {
    let maxPerAddress: Int
    let exempt: Set<String>
    let headTimeout: TimeAmount
    let logger: Logger
    private let open = Mutex<[String: Int]>([:])

    init(maxPerAddress: Int, exempt: Set<String> = [], headTimeout: TimeAmount, logger: Logger) {
        self.maxPerAddress = maxPerAddress
        self.exempt = exempt
        self.headTimeout = headTimeout
        self.logger = logger
    }

    /// Counts a new connection from `address`; false when that address already holds `maxPerAddress`.
    func admit(_ address: String) -> Bool {
        open.withLock { open in
            guard open[address, default: 0] < maxPerAddress || exempt.contains(address) else { return false }
            open[address, default: 0] += 1
            return true
        }
    }

    /// A connection from `address` closed.
    func release(_ address: String) {
        open.withLock { open in
            open[address, default: 1] -= 1
            if open[address] == 0 { open[address] = nil }
        }
    }

    /// Connections open from `address` now.
    func openConnections(from address: String) -> Int { open.withLock { $0[address] ?? 0 } }
}

/// The first handler of every connection's pipeline, enforcing its ``ConnectionGuard``; and, with
/// ``ParserErrorHandler`` at the pipeline's end, the answer to a request the HTTP parser refuses.
final class ConnectionGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private let connectionGuard: ConnectionGuard
    private var address: String?
    private var headTimer: Scheduled<Void>?
    /// The last bytes seen before the first head's end (`\r\n\r\n`) arrives, across reads.
    private var tail: [UInt8] = []
    /// Whether any byte of an answer was written: a 400 can then no longer be sent cleanly.
    private var wroteAnything = false
    private var context: ChannelHandlerContext?

    init(_ connectionGuard: ConnectionGuard) {
        self.connectionGuard = connectionGuard
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        wroteAnything = true
        context.write(data, promise: promise)
    }

    /// The answer to bytes the HTTP parser refused, while nothing was answered on the connection yet:
    /// `400 {"Error": ...}` written here, under the HTTP encoder, and the connection closed. `false` (nothing done)
    /// once an answer was written: the server's HTTP handling is then running, and answers the error itself.
    func refuseMalformedRequest() -> Bool {
        guard let context, !wroteAnything else { return false }
        headTimer?.cancel()
        headTimer = nil
        wroteAnything = true
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(ByteBuffer(string: Self.badRequest))), promise: nil)
        context.close(promise: nil)
        return true
    }

    static let badRequest = {
        let body = #"{"Error":"The request is not valid HTTP/1.1"}"#
        return "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Access-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n" + body
    }()

    func channelActive(context: ChannelHandlerContext) {
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        guard connectionGuard.admit(address) else {
            connectionGuard.logger.warning("connection refused", metadata: [
                "address": "\(address)", "reason": "more than \(connectionGuard.maxPerAddress) open connections from one address",
            ])
            context.close(promise: nil)
            return
        }
        self.address = address
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let logger = connectionGuard.logger
        headTimer = context.eventLoop.scheduleTask(in: connectionGuard.headTimeout) {
            logger.info("connection closed", metadata: ["address": "\(address)", "reason": "no complete request head in time"])
            loopBound.value.close(promise: nil)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if headTimer != nil {
            let buffer = unwrapInboundIn(data)
            tail.append(contentsOf: buffer.readableBytesView)
            if Self.containsHeadEnd(tail) {
                headTimer?.cancel()
                headTimer = nil
                tail = []
            } else if tail.count > 3 {
                tail.removeFirst(tail.count - 3)
            }
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        headTimer?.cancel()
        headTimer = nil
        if let address {
            connectionGuard.release(address)
            self.address = nil
        }
        context.fireChannelInactive()
    }

    static func containsHeadEnd(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4 else { return false }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return true
        }
        return false
    }
}

/// The last handler of a connection's pipeline while it is set up: an error of the HTTP parser reaching it (the
/// server's own HTTP handling, which answers such errors itself, is not running yet, or is behind it) is answered by
/// the ``ConnectionGuardHandler`` with a 400, and the connection closed: a request head that does not parse (a CR in
/// the target, `HTTP/9.9`, a header without a colon, `Content-Length` with `Transfer-Encoding`, TLS bytes) or a bad
/// chunk size would otherwise leave the connection open with nothing answering it.
final class ParserErrorHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError, let first = try? context.pipeline.syncOperations.handler(type: ConnectionGuardHandler.self),
              first.refuseMalformedRequest()
        else {
            context.fireErrorCaught(error)
            return
        }
    }
}

/// A server child channel with a ``ConnectionGuardHandler`` in front of `base`'s pipeline, and a
/// ``ParserErrorHandler`` behind it; with `tls`, TLS in front of both, so that the guard reads the request heads
/// decrypted (its head timeout then bounds the handshake too) and its 400 goes out encrypted.
struct GuardedChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let connectionGuard: ConnectionGuard
    let tls: ServerTLS?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ConnectionGuardHandler(connectionGuard), position: .first)
            if let tls { try channel.pipeline.syncOperations.addHandler(tls.handler(), position: .first) }
        }.flatMap {
            let value = base.setup(channel: channel, logger: logger)
            return value.flatMapThrowing { value in
                try channel.pipeline.syncOperations.addHandler(ParserErrorHandler(), position: .last)
                return value
            }
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
