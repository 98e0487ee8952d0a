import Foundation
import HTTPTypes
import HummingbirdWebSocket
import Logging
import NIOCore

/// An Engine.IO 4 / Socket.IO 5 server over HTTP long-polling and WebSocket (with the upgrade from one to
/// the other), mounted on a Hummingbird application at `path`.
///
/// Register namespaces with ``namespace(_:)``, put ``middleware()`` first on the router (it answers the
/// polling requests, CORS preflights and the protocol's errors), and serve the application with
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
        /// Bytes that may wait for one slow client before its session is closed.
        public var maxBufferedBytes: Int
        /// The `Access-Control-Allow-Origin` of polling answers: `"*"`, or `nil` to echo the request's
        /// `Origin` (with credentials allowed).
        public var allowOrigin: String?

        public init(
            path: String = "/socket.io/", pingInterval: Duration = .seconds(25), pingTimeout: Duration = .seconds(20),
            maxPayload: Int = 1_000_000, connectTimeout: Duration = .seconds(45), maxAttachments: Int = 10,
            maxBufferedBytes: Int = 16 << 20, allowOrigin: String? = "*"
        ) {
            self.path = path
            self.pingInterval = pingInterval
            self.pingTimeout = pingTimeout
            self.maxPayload = maxPayload
            self.connectTimeout = connectTimeout
            self.maxAttachments = maxAttachments
            self.maxBufferedBytes = maxBufferedBytes
            self.allowOrigin = allowOrigin
        }
    }

    public let configuration: Configuration
    let logger: Logger
    private let namespaces = Locked<[String: Namespace]>([:])
    private let sessions = Locked<[String: EngineConnection]>([:])

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

    /// Open Engine.IO sessions.
    public var sessionCount: Int { sessions.withLock { $0.count } }

    func session(_ id: String) -> EngineConnection? {
        sessions.withLock { $0[id] }
    }

    func remember(_ session: EngineConnection) {
        sessions.withLock { $0[session.sessionID] = session }
    }

    func forget(_ session: EngineConnection) {
        sessions.withLock { _ = $0.removeValue(forKey: session.sessionID) }
    }

    func matches(path: String) -> Bool {
        path == configuration.path || path + "/" == configuration.path
    }

    /// The WebSocket settings: frames up to `maxPayload`.
    public var webSocketConfiguration: HTTP1WebSocketUpgradeChannel.Configuration {
        .init(ws: .init(maxFrameSize: configuration.maxPayload))
    }

    /// Decides a WebSocket upgrade: requests for `path` with `EIO=4&transport=websocket` become Engine.IO
    /// sessions, or take over the polling session their `sid` names; anything else goes on to the router
    /// (where ``middleware()`` answers it with the protocol's error).
    @Sendable
    public func shouldUpgrade(_ request: HTTPRequest, channel: any Channel, logger: Logger)
        -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>>
    {
        let target = request.path ?? ""
        let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        guard matches(path: path) else { return .dontUpgrade }
        let query = Handshake.parseQuery(target)
        guard query["EIO"] == "4", query["transport"] == "websocket" else { return .dontUpgrade }
        if let sid = query["sid"] {
            guard let session = session(sid) else { return .dontUpgrade }
            return .upgrade([:]) { inbound, outbound, _ in
                await session.upgrade(inbound, writer: outbound)
            }
        }
        let handshake = Handshake(query: query, headers: request.headerFields,
                                  remoteAddress: channel.remoteAddress?.ipAddress, auth: nil)
        return .upgrade([:]) { inbound, outbound, _ in
            let session = EngineConnection(server: self, handshake: handshake, webSocket: outbound)
            self.remember(session)
            await session.run(inbound)
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
