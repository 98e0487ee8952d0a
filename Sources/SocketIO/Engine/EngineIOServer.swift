import Foundation
import HTTPTypes
import HummingbirdWebSocket
import Logging
import NIOCore

/// An Engine.IO 4 server over HTTP long-polling and WebSocket (with the upgrade from one to the other), mounted on
/// a Hummingbird application at `path`, with no Socket.IO on top: each session's messages go to the
/// ``EngineSessionHandler`` that `handler` makes for it. ``SocketIOServer`` is built on it.
///
/// Put ``middleware()`` first on the router (it answers the polling requests, CORS preflights and the protocol's
/// errors), and serve the application with
/// `server: .http1WebSocketUpgrade(configuration: server.webSocketConfiguration, shouldUpgrade: server.shouldUpgrade)`.
public final class EngineIOServer: Sendable {
    /// Protocol settings; the defaults are the official server's.
    public struct Configuration: Sendable {
        public var path: String
        public var pingInterval: Duration
        public var pingTimeout: Duration
        /// The largest message accepted, in bytes.
        public var maxPayload: Int
        /// Bytes that may wait for one slow client before its session is closed.
        public var maxBufferedBytes: Int
        /// The `Access-Control-Allow-Origin` of polling answers: `"*"`, or `nil` to echo the request's `Origin`
        /// (with credentials allowed).
        public var allowOrigin: String?
        /// What every session id begins with (for example `node1.`), so that a proxy in front of several servers
        /// can send a session's requests to the server that holds it; empty by default.
        public var sessionIDPrefix: String
        /// Sessions one client address may hold open at once (0: no limit); a handshake past it is refused with
        /// 403 `{"code":4,"message":"Forbidden"}` (polling) or not upgraded (WebSocket).
        public var maxSessionsPerAddress: Int
        /// Addresses without that limit (reverse proxies, which carry many clients' sessions).
        public var uncappedAddresses: Set<String>

        public init(
            path: String = "/engine.io/", pingInterval: Duration = .seconds(25), pingTimeout: Duration = .seconds(20),
            maxPayload: Int = 1_000_000, maxBufferedBytes: Int = 16 << 20, allowOrigin: String? = "*", sessionIDPrefix: String = "",
            maxSessionsPerAddress: Int = 0, uncappedAddresses: Set<String> = []
        ) {
            self.maxSessionsPerAddress = maxSessionsPerAddress
            self.uncappedAddresses = uncappedAddresses
            self.path = path
            self.pingInterval = pingInterval
            self.pingTimeout = pingTimeout
            self.maxPayload = maxPayload
            self.maxBufferedBytes = maxBufferedBytes
            self.allowOrigin = allowOrigin
            self.sessionIDPrefix = sessionIDPrefix
        }
    }

    public let configuration: Configuration
    let logger: Logger
    private let handler: @Sendable (EngineSession) -> any EngineSessionHandler
    private let sessions = Locked<(byID: [String: EngineSession], byAddress: [String: Int])>(([:], [:]))
    private let refusing = Locked(false)

    /// A server whose sessions are handled by what `handler` makes for each (called once per session, before
    /// its open packet is sent).
    public init(
        configuration: Configuration = .init(), logger: Logger = Logger(label: "engine.io"),
        handler: @escaping @Sendable (EngineSession) -> any EngineSessionHandler
    ) {
        self.configuration = configuration
        self.logger = logger
        self.handler = handler
    }

    func makeHandler(_ session: EngineSession) -> any EngineSessionHandler {
        handler(session)
    }

    /// Open sessions.
    public var sessionCount: Int { sessions.withLock { $0.byID.count } }

    /// Whether new sessions are refused (the server is stopping).
    var isRefusingNewSessions: Bool { refusing.withLock { $0 } }

    /// Refuses every new session from now on: polling handshakes answer 503, WebSocket ones are not upgraded.
    public func refuseNewSessions() {
        refusing.withLock { $0 = true }
    }

    /// Closes every open session's transport with `reason` (see ``EngineSession/goAway(reason:)``).
    public func closeAll(goingAway reason: String) async {
        let open = sessions.withLock { Array($0.byID.values) }
        await withTaskGroup(of: Void.self) { group in
            for session in open { group.addTask { await session.goAway(reason: reason) } }
        }
    }

    func session(_ id: String) -> EngineSession? {
        sessions.withLock { $0.byID[id] }
    }

    /// Keeps a new session; `false` (keeping nothing) when its client address holds `maxSessionsPerAddress` already.
    func remember(_ session: EngineSession) -> Bool {
        let address = session.handshake.remoteAddress ?? ""
        let capped = configuration.maxSessionsPerAddress > 0 && !configuration.uncappedAddresses.contains(address)
        return sessions.withLock { sessions in
            guard !capped || sessions.byAddress[address, default: 0] < configuration.maxSessionsPerAddress else { return false }
            sessions.byID[session.id] = session
            sessions.byAddress[address, default: 0] += 1
            return true
        }
    }

    func forget(_ session: EngineSession) {
        let address = session.handshake.remoteAddress ?? ""
        sessions.withLock { sessions in
            guard sessions.byID.removeValue(forKey: session.id) != nil else { return }
            sessions.byAddress[address, default: 1] -= 1
            if sessions.byAddress[address] == 0 { sessions.byAddress[address] = nil }
        }
    }

    /// Whether `address` may open another session now.
    func admitsSession(from address: String?) -> Bool {
        let address = address ?? ""
        guard configuration.maxSessionsPerAddress > 0, !configuration.uncappedAddresses.contains(address) else { return true }
        return sessions.withLock { $0.byAddress[address, default: 0] < configuration.maxSessionsPerAddress }
    }

    func matches(path: String) -> Bool {
        path == configuration.path || path + "/" == configuration.path
    }

    /// The WebSocket settings: frames up to `maxPayload`.
    public var webSocketConfiguration: HTTP1WebSocketUpgradeChannel.Configuration {
        .init(ws: .init(maxFrameSize: configuration.maxPayload))
    }

    /// Decides a WebSocket upgrade: requests for `path` with `EIO=4&transport=websocket` become sessions, or take
    /// over the polling session their `sid` names; anything else goes on to the router (where ``middleware()``
    /// answers it with the protocol's error).
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
                await session.upgrade(inbound, writer: outbound, channel: channel)
            }
        }
        guard !isRefusingNewSessions, admitsSession(from: channel.remoteAddress?.ipAddress) else { return .dontUpgrade }
        let handshake = Handshake(query: query, headers: request.headerFields, remoteAddress: channel.remoteAddress?.ipAddress, auth: nil)
        return .upgrade([:]) { inbound, outbound, _ in
            let session = EngineSession(server: self, handshake: handshake, webSocket: (outbound, channel))
            guard self.remember(session) else {
                self.logger.info("Engine.IO session refused", metadata: ["reason": "too many sessions from one address"])
                try? await outbound.close(.policyViolation, reason: "too many sessions from this address")
                return
            }
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
