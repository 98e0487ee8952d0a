import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// A client WebSocket (RFC 6455) on SwiftNIO. The upgrade request carries exactly the headers it is given plus
/// `Host`: no `Origin` unless one is asked for, as non-browser clients (python-socketio among them) behave, so a
/// server that checks `Origin` against its own address (python-engineio) accepts it. Messages arrive whole
/// (fragments joined, up to `maxMessageSize`); pings are answered and a close from the server is returned.
public final class WebSocketClientConnection: Sendable {
    /// A whole data message.
    public enum Message: Sendable, Equatable {
        case text(String)
        case binary([UInt8])
    }

    /// Sees each whole message on the connection's event loop as soon as it is read, with the time it was read,
    /// before it goes to ``messages``; it must return quickly.
    public typealias Observer = @Sendable (Message, ContinuousClock.Instant) -> Void

    /// Why connecting failed.
    public enum ConnectError: Error, Equatable, Sendable {
        /// Not a `ws://`/`wss://`/`http://`/`https://` URL with a host.
        case invalidURL(String)
        /// The server answered the upgrade request with something other than `101 Switching Protocols`.
        case upgradeRefused
    }

    private let channel: any Channel
    /// The server's messages, in order; the stream ends when the connection closes.
    public let messages: AsyncThrowingStream<Message, any Error>

    private init(channel: any Channel, messages: AsyncThrowingStream<Message, any Error>) {
        self.channel = channel
        self.messages = messages
    }

    /// Opens a WebSocket to `url` (`ws://host:port/path?query`, or `wss://` over TLS).
    /// - Parameters:
    ///   - headers: sent with the upgrade request, as given.
    ///   - origin: an `Origin` header; none when `nil`.
    ///   - maxMessageSize: the largest message accepted from the server; a larger one closes the connection.
    ///   - observer: sees each message as it is read (for timing: ``messages`` delivers it a task hop later).
    public static func connect(
        url: String, headers: [(String, String)] = [], origin: String? = nil, maxMessageSize: Int = 16 << 20,
        observer: Observer? = nil, tlsConfiguration: TLSConfiguration? = nil, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> WebSocketClientConnection {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), let host = components.host, !host.isEmpty,
              ["ws", "wss", "http", "https"].contains(scheme)
        else { throw ConnectError.invalidURL(url) }
        let secure = scheme == "wss" || scheme == "https"
        let port = components.port ?? (secure ? 443 : 80)
        let target = (components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath)
            + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        var head = HTTPHeaders()
        head.add(name: "Host", value: components.port == nil ? host : "\(host):\(port)")
        if let origin { head.add(name: "Origin", value: origin) }
        for (name, value) in headers { head.add(name: name, value: value) }
        let sslContext = try secure ? NIOSSLContext(configuration: tlsConfiguration ?? .makeClientConfiguration()) : nil

        let (stream, continuation) = AsyncThrowingStream<Message, any Error>.makeStream()
        let (channel, upgraded) = try await ClientBootstrap(group: eventLoopGroup)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: sslContext, serverHostname: host))
                    }
                    let upgrader = NIOTypedWebSocketClientUpgrader<Bool>(maxFrameSize: maxMessageSize) { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(
                                NIOWebSocketFrameAggregator(
                                    minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1 << 16, maxAccumulatedFrameSize: maxMessageSize))
                            try channel.pipeline.syncOperations.addHandler(WebSocketClientHandler(continuation: continuation, observer: observer))
                            return true
                        }
                    }
                    let request = HTTPRequestHead(version: .http1_1, method: .GET, uri: target, headers: head)
                    let upgrade = NIOTypedHTTPClientUpgradeConfiguration<Bool>(
                        upgradeRequestHead: request, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in channel.eventLoop.makeSucceededFuture(false) })
                    var configuration = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: upgrade)
                    configuration.leftOverBytesStrategy = .forwardBytes
                    let negotiated = try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: configuration)
                    return (channel, negotiated)
                }
            }
        guard try await upgraded.get() else {
            continuation.finish(throwing: ConnectError.upgradeRefused)
            try? await channel.close()
            throw ConnectError.upgradeRefused
        }
        return WebSocketClientConnection(channel: channel, messages: stream)
    }

    /// Sends a text message.
    public func send(text: String) async throws {
        try await write(opcode: .text, data: channel.allocator.buffer(string: text))
    }

    /// Sends a binary message.
    public func send(binary: some Collection<UInt8>) async throws {
        try await write(opcode: .binary, data: channel.allocator.buffer(bytes: binary))
    }

    /// Sends a message.
    public func send(_ message: Message) async throws {
        switch message {
        case .text(let text): try await send(text: text)
        case .binary(let bytes): try await send(binary: bytes)
        }
    }

    private func write(opcode: WebSocketOpcode, data: ByteBuffer) async throws {
        try await channel.writeAndFlush(WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: data))
    }

    /// Sends a close frame with `code` and closes the connection; ``messages`` then ends.
    public func close(code: WebSocketErrorCode = .normalClosure) async {
        var data = channel.allocator.buffer(capacity: 2)
        data.write(webSocketErrorCode: code)
        try? await channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: data))
        try? await channel.close()
    }

    /// Whether the connection is still open.
    public var isActive: Bool { channel.isActive }
}
