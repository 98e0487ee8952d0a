import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// A Socket.IO 5 server on an Engine.IO 4 server (``engine``) over HTTP long-polling and WebSocket (with the
/// upgrade from one to the other), mounted on a Hummingbird application at `path`.
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
        /// What every session id begins with (for example `node1.`), so that a proxy in front of several servers
        /// can send a session's requests to the server that holds it; empty by default.
        public var sessionIDPrefix: String
        /// Engine.IO sessions one client address may hold open at once (0: no limit; see
        /// ``EngineIOServer/Configuration/maxSessionsPerAddress``).
        public var maxSessionsPerAddress: Int
        /// Addresses without that limit (reverse proxies).
        public var uncappedAddresses: Set<String>

        public init(
            path: String = "/socket.io/", pingInterval: Duration = .seconds(25), pingTimeout: Duration = .seconds(20),
            maxPayload: Int = 1_000_000, connectTimeout: Duration = .seconds(45), maxAttachments: Int = 10,
            maxBufferedBytes: Int = 16 << 20, allowOrigin: String? = "*", sessionIDPrefix: String = "",
            maxSessionsPerAddress: Int = 0, uncappedAddresses: Set<String> = []
        ) {
            self.maxSessionsPerAddress = maxSessionsPerAddress
            self.uncappedAddresses = uncappedAddresses
            self.path = path
            self.pingInterval = pingInterval
            self.pingTimeout = pingTimeout
            self.maxPayload = maxPayload
            self.connectTimeout = connectTimeout
            self.maxAttachments = maxAttachments
            self.maxBufferedBytes = maxBufferedBytes
            self.allowOrigin = allowOrigin
            self.sessionIDPrefix = sessionIDPrefix
        }
    }

    public let configuration: Configuration
    let logger: Logger
    private let namespaces: Locked<[String: Namespace]>
    private let gate = EventGate()
    /// The Engine.IO server underneath, at the same path.
    public let engine: EngineIOServer

    public init(configuration: Configuration = .init(), logger: Logger = Logger(label: "socket.io")) {
        self.configuration = configuration
        self.logger = logger
        let namespaces = Locked<[String: Namespace]>([:])
        self.namespaces = namespaces
        let gate = self.gate
        self.engine = EngineIOServer(
            configuration: .init(
                path: configuration.path, pingInterval: configuration.pingInterval, pingTimeout: configuration.pingTimeout,
                maxPayload: configuration.maxPayload, maxBufferedBytes: configuration.maxBufferedBytes, allowOrigin: configuration.allowOrigin,
                sessionIDPrefix: configuration.sessionIDPrefix, maxSessionsPerAddress: configuration.maxSessionsPerAddress,
                uncappedAddresses: configuration.uncappedAddresses),
            logger: logger,
            handler: { session in
                SocketIOConnection(session: session, namespaces: namespaces, gate: gate, configuration: configuration, logger: logger)
            })
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

    /// Open Engine.IO sessions.
    public var sessionCount: Int { engine.sessionCount }

    /// Stops the server gracefully: new sessions are refused (503), no new event handler starts, the handlers in
    /// flight get up to `timeout` to finish (their acks go out), then every session's transport is closed with
    /// `reason`: a WebSocket with 1001 (going away), a polling session by ending it, so that clients reconnect, to
    /// another server or to this one restarted. Returns how many handlers were still running at the deadline.
    public func drain(timeout: Duration, reason: String) async -> Int {
        engine.refuseNewSessions()
        let unfinished = await gate.drain(timeout: timeout)
        await engine.closeAll(goingAway: reason)
        return unfinished
    }

    /// The middleware serving HTTP long-polling at `path`; add it to the router before any other.
    public func middleware<Context: RequestContext>(context: Context.Type = Context.self) -> EngineIOMiddleware<Context> {
        engine.middleware()
    }

    /// The WebSocket settings: frames up to `maxPayload`.
    public var webSocketConfiguration: HTTP1WebSocketUpgradeChannel.Configuration { engine.webSocketConfiguration }

    /// Decides a WebSocket upgrade (see ``EngineIOServer/shouldUpgrade(_:channel:logger:)``).
    @Sendable
    public func shouldUpgrade(_ request: HTTPRequest, channel: any Channel, logger: Logger)
        -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>>
    {
        engine.shouldUpgrade(request, channel: channel, logger: logger)
    }
}
