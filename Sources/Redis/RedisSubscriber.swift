import Foundation
import Logging
import NIOCore
import NIOPosix

/// Pub/sub on a dedicated connection: the messages of the subscribed channels as one stream. When the connection
/// fails it is opened again (backoff from 100 ms, doubling to `maxBackoff`) and every channel is subscribed again;
/// messages published meanwhile are lost, as Redis pub/sub does not keep them.
public final class RedisSubscriber: Sendable {
    /// A message published on `channel`.
    public struct Message: Sendable, Equatable {
        public let channel: String
        public let payload: [UInt8]
    }

    /// Every message of the subscribed channels, in arrival order.
    public let messages: AsyncStream<Message>
    /// Increments each time the subscriptions are (re)established, with the count so far.
    public let subscribed: AsyncStream<Int>

    private let state: Locked<State>
    private let task: Task<Void, Never>

    private struct State {
        var channels: Set<String> = []
        var connection: RedisConnection?
    }

    /// Subscribes to `channels` on `url` until ``close()``.
    public init(
        url: RedisURL, channels: Set<String>, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        maxBackoff: Duration = .seconds(5), logger: Logger
    ) {
        let (messages, output) = AsyncStream.makeStream(of: Message.self, bufferingPolicy: .bufferingNewest(65_536))
        let (subscribed, rounds) = AsyncStream.makeStream(of: Int.self)
        self.messages = messages
        self.subscribed = subscribed
        let state = Locked(State(channels: channels))
        self.state = state
        task = Task {
            var backoff = Duration.milliseconds(100)
            var round = 0
            while !Task.isCancelled {
                do {
                    let connection = try await RedisConnection.connect(to: url, group: group) { push in
                        guard push.count == 3, push[0].string == "message", let channel = push[1].string,
                              case .bulkString(let payload) = push[2] else { return }
                        output.yield(Message(channel: channel, payload: payload))
                    }
                    let wanted = state.withLock { state in
                        state.connection = connection
                        return state.channels
                    }
                    // A close() that came while connecting found no connection to close.
                    if Task.isCancelled { connection.close() }
                    if !wanted.isEmpty { try await connection.sendWithoutReply(["SUBSCRIBE"] + wanted.sorted()) }
                    // A PING answered means the SUBSCRIBE before it was handled.
                    _ = try await connection.send(["PING"])
                    round += 1
                    rounds.yield(round)
                    backoff = .milliseconds(100)
                    if round > 1 { logger.info("Redis subscriptions restored", metadata: ["redis": "\(url.redacted)"]) }
                    await connection.closed()
                } catch {
                    logger.warning("Redis subscriber connection failed", metadata: ["redis": "\(url.redacted)", "error": "\(error)"])
                }
                state.withLock { $0.connection = nil }
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, maxBackoff)
            }
            output.finish()
            rounds.finish()
        }
    }

    /// Adds `channel` to the subscriptions.
    public func subscribe(_ channel: String) async throws {
        let connection = state.withLock { state in
            state.channels.insert(channel)
            return state.connection
        }
        try await connection?.sendWithoutReply(["SUBSCRIBE", channel])
        _ = try await connection?.send(["PING"])
    }

    /// Ends the subscriptions and the stream.
    public func close() {
        task.cancel()
        state.withLock { $0.connection }?.close()
    }
}

/// A value behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
