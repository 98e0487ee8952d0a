import Crypto
import Logging
import NIOCore
import NIOPosix

/// A Redis client for commands: one connection, opened on first use and opened again after it fails, waiting
/// between attempts with backoff (from 100 ms, doubling to `maxBackoff`). While Redis cannot be reached, calls fail
/// at once with ``RedisError/unavailable(_:)`` until the next attempt is due.
public actor RedisClient {
    public let url: RedisURL
    private let group: any EventLoopGroup
    private let logger: Logger
    private let maxBackoff: Duration
    private var connection: RedisConnection?
    private var connecting: Task<RedisConnection, any Error>?
    private var backoff: Duration = .zero
    private var nextAttempt: ContinuousClock.Instant = .now
    private var lastFailure = ""

    public init(url: RedisURL, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, maxBackoff: Duration = .seconds(5), logger: Logger) {
        self.url = url
        self.group = group
        self.maxBackoff = maxBackoff
        self.logger = logger
    }

    /// Sends one command; a server error is thrown as ``RedisError/server(_:)``.
    public func send(_ command: String...) async throws -> RESPValue {
        try await send(command)
    }

    /// Sends one command; a server error is thrown as ``RedisError/server(_:)``.
    public func send(_ command: [String]) async throws -> RESPValue {
        try await pipeline([command])[0].get()
    }

    /// Sends `commands` in one write; each reply, or its server error, in order.
    public func pipeline(_ commands: [[String]]) async throws -> [Result<RESPValue, RedisError>] {
        let connection = try await connected()
        do {
            return try await connection.pipeline(commands)
        } catch {
            dropped(connection, error)
            throw error
        }
    }

    /// Runs `script` by its SHA-1 (`EVALSHA`), loading it with `EVAL` when the server does not have it
    /// (a restarted or flushed server).
    public func run(_ script: RedisScript, keys: [String], arguments: [String]) async throws -> RESPValue {
        let tail = [String(keys.count)] + keys + arguments
        do {
            return try await send(["EVALSHA", script.sha1] + tail)
        } catch RedisError.server(let message) where message.hasPrefix("NOSCRIPT") {
            return try await send(["EVAL", script.source] + tail)
        }
    }

    /// Closes the connection; the next call opens another.
    public func close() {
        connection?.close()
        connection = nil
    }

    private func connected() async throws -> RedisConnection {
        if let connection, connection.isActive { return connection }
        if let connecting { return try await connecting.value }
        guard ContinuousClock.now >= nextAttempt else { throw RedisError.unavailable(lastFailure) }
        let url = self.url, group = self.group
        let task = Task { try await RedisConnection.connect(to: url, group: group) }
        connecting = task
        defer { connecting = nil }
        do {
            let opened = try await task.value
            connection = opened
            if backoff > .zero { logger.info("Redis reachable again", metadata: ["redis": "\(url.redacted)"]) }
            backoff = .zero
            return opened
        } catch {
            backoff = min(max(backoff * 2, .milliseconds(100)), maxBackoff)
            nextAttempt = .now + backoff
            lastFailure = "\(error)"
            logger.warning("Redis unreachable", metadata: ["redis": "\(url.redacted)", "error": "\(error)", "retry_in": "\(backoff)"])
            throw (error as? RedisError) ?? RedisError.unavailable("\(error)")
        }
    }

    private func dropped(_ failed: RedisConnection, _ error: any Error) {
        guard connection === failed, !failed.isActive else { return }
        connection = nil
        logger.warning("Redis connection lost", metadata: ["redis": "\(url.redacted)", "error": "\(error)"])
    }
}

/// A Lua script, sent by its SHA-1 once the server has it.
public struct RedisScript: Sendable {
    public let source: String
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        self.sha1 = Insecure.SHA1.hash(data: Array(source.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
