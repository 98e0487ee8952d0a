import Foundation
import HTTPTypes
import HummingbirdWebSocket
import Logging
import NIOCore

/// An Engine.IO 4 / Socket.IO 5 server over WebSocket, mounted on a Hummingbird application at `path`.
///
/// Register namespaces with ``namespace(_:)`` and serve the application with
/// `server: .http1WebSocketUpgrade(configuration: server.webSocketConfiguration, shouldUpgrade: server.shouldUpgrade)`.
public final class SocketIOServer: Sendable {
    /// Protocol settings; the defaults are the official server's.
    public struct Configuration: Sendable {
        public var path: String
        public var pingInterval: Duration
        public var pingTimeout: Duration
        /// The largest message accepted, in bytes.
        public var maxPayload: Int
        public var connectTimeout: Duration
        /// Attachments one binary packet may announce.
        public var maxAttachments: Int

        public init(
            path: String = "/socket.io/", pingInterval: Duration = .seconds(25), pingTimeout: Duration = .seconds(20),
            maxPayload: Int = 1_000_000, connectTimeout: Duration = .seconds(45), maxAttachments: Int = 10
        ) {
            self.path = path
            self.pingInterval = pingInterval
            self.pingTimeout = pingTimeout
            self.maxPayload = maxPayload
            self.connectTimeout = connectTimeout
            self.maxAttachments = maxAttachments
        }
    }

    public let configuration: Configuration
    let logger: Logger
    private let namespaces = Locked<[String: Namespace]>([:])

    public init(configuration: Configuration = .init(), logger: Logger = Logger(label: "socket.io")) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The namespace `name` (`/`, `/custom`, ...), created on first use.
    public func namespace(_ name: String) -> Namespace {
        namespaces.withLock { table in
            if let existing = table[name] { return existing }
            let namespace = Namespace(name: name)
            table[name] = namespace
            return namespace
        }
    }

    func registeredNamespace(_ name: String) -> Namespace? {
        namespaces.withLock { $0[name] }
    }

    /// The WebSocket settings: frames up to `maxPayload`.
    public var webSocketConfiguration: HTTP1WebSocketUpgradeChannel.Configuration {
        .init(ws: .init(maxFrameSize: configuration.maxPayload))
    }

    /// Decides a WebSocket upgrade: requests for `path` with `EIO=4&transport=websocket` become Engine.IO
    /// sessions; anything else goes on to the HTTP router.
    @Sendable
    public func shouldUpgrade(_ request: HTTPRequest, channel: any Channel, logger: Logger)
        -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>>
    {
        let target = request.path ?? ""
        let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        guard path == configuration.path || path + "/" == configuration.path else { return .dontUpgrade }
        let query = Handshake.parseQuery(target)
        guard query["EIO"] == "4", query["transport"] == "websocket", query["sid"] == nil else { return .dontUpgrade }
        let handshake = Handshake(query: query, headers: request.headerFields,
                                  remoteAddress: channel.remoteAddress?.ipAddress, auth: nil)
        return .upgrade([:]) { inbound, outbound, _ in
            let connection = EngineConnection(server: self, handshake: handshake, writer: outbound)
            await connection.run(inbound)
        }
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
