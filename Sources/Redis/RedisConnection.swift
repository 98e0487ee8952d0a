import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// One connection to Redis speaking RESP3: `HELLO 3` (with `AUTH` from the URL), then `SELECT`. Commands may be
/// sent from any task; replies come back in order. Push messages (pub/sub) go to `onPush`.
public final class RedisConnection: Sendable {
    let channel: any Channel

    /// Connects to `url` within `timeout`.
    public static func connect(
        to url: RedisURL, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, timeout: Duration = .seconds(5),
        decoder: RESPDecoder = RESPDecoder(), onPush: @escaping @Sendable ([RESPValue]) -> Void = { _ in }
    ) async throws -> RedisConnection {
        let sslContext = url.tls ? try NIOSSLContext(configuration: .makeClientConfiguration()) : nil
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture(withResultOf: {
                        if let sslContext {
                            try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: sslContext, serverHostname: url.host))
                        }
                        try channel.pipeline.syncOperations.addHandler(RESPChannelHandler(decoder: decoder, onPush: onPush))
                    })
                }
                .connect(host: url.host, port: url.port).get()
        } catch {
            throw RedisError.unavailable("\(url.host):\(url.port): \(error)")
        }
        let connection = RedisConnection(channel: channel)
        do {
            var hello = ["HELLO", "3"]
            if let password = url.password { hello += ["AUTH", url.username ?? "default", password] }
            _ = try await connection.send(hello)
            if url.database != 0 { _ = try await connection.send(["SELECT", String(url.database)]) }
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    init(channel: any Channel) {
        self.channel = channel
    }

    /// Whether the connection is still open.
    public var isActive: Bool { channel.isActive }

    /// Sends one command and returns its reply; a server error is thrown as ``RedisError/server(_:)``.
    public func send(_ command: [String]) async throws -> RESPValue {
        try await pipeline([command])[0].get()
    }

    /// Sends `commands` in one write and returns each reply in order (a server error as a failure of its own).
    public func pipeline(_ commands: [[String]]) async throws -> [Result<RESPValue, RedisError>] {
        let promises = commands.map { _ in channel.eventLoop.makePromise(of: RESPValue.self) }
        var bytes = channel.allocator.buffer(capacity: 64 * commands.count)
        for command in commands { Self.encode(command, into: &bytes) }
        // A write that fails before it reaches the handler (the connection's pipeline is gone) fails the replies too.
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { _ in for promise in promises { promise.fail(RedisError.connectionClosed) } }
        channel.writeAndFlush(RESPChannelHandler.Request(bytes: bytes, replies: promises), promise: written)
        var results: [Result<RESPValue, RedisError>] = []
        for promise in promises {
            let value = try await promise.futureResult.get()
            if case .error(let message) = value { results.append(.failure(.server(message))) } else { results.append(.success(value)) }
        }
        return results
    }

    /// Sends a command whose answer comes as a push message (SUBSCRIBE, UNSUBSCRIBE in RESP3).
    public func sendWithoutReply(_ command: [String]) async throws {
        var bytes = channel.allocator.buffer(capacity: 64)
        Self.encode(command, into: &bytes)
        try await channel.writeAndFlush(RESPChannelHandler.Request(bytes: bytes, replies: [nil])).get()
    }

    /// Closes the connection; waiting commands fail with ``RedisError/connectionClosed``.
    public func close() {
        channel.close(promise: nil)
    }

    /// Waits until the connection has closed.
    public func closed() async {
        try? await channel.closeFuture.get()
    }

    /// A command as RESP: an array of bulk strings.
    static func encode(_ command: [String], into buffer: inout ByteBuffer) {
        buffer.writeString("*\(command.count)\r\n")
        for part in command {
            buffer.writeString("$\(part.utf8.count)\r\n")
            buffer.writeString(part)
            buffer.writeString("\r\n")
        }
    }
}
