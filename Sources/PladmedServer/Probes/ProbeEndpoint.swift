import Foundation
import Logging
import PladmedCore
import PladmedStorage
import SocketIO

/// The probes' Socket.IO endpoint on the default namespace: admits probes by token and credit headers,
/// attaches them to the ``ProbeHub`` (the newest connection of a probe wins; the hub closes the older one),
/// delivers jobs, keeps in-use credits up to date and ingests results.
final class ProbeEndpoint: Sendable {
    let store: any Store
    let hub: any ProbeHub
    let tokens: TokenService
    let ingestor: ResultIngestor
    let logger: Logger
    /// Live connections by connection id, with the credentials checked when they joined.
    private let connections = Mutex<[String: (socket: Socket, credentials: ProbeCredentials)]>([:])
    /// One warning about a connection's bad messages per interval.
    private let warnings = WarningThrottle()

    init(store: any Store, hub: any ProbeHub, tokens: TokenService, ingestor: ResultIngestor, logger: Logger) {
        self.store = store
        self.hub = hub
        self.tokens = tokens
        self.ingestor = ingestor
        self.logger = logger
    }

    func install(on server: SocketIOServer) {
        let namespace = server.namespace("/")
        namespace.onAuthorize { [self] handshake in await authorize(handshake) }
        namespace.onConnection { [self] socket in await connected(socket) }
        namespace.onDisconnect { [self] socket, reason in await disconnected(socket, reason: reason) }
        namespace.on("new_operation") { [self] socket, arguments, ack in await adjust(socket, arguments, ack, sign: 1) }
        namespace.on("finish_operation") { [self] socket, arguments, ack in await adjust(socket, arguments, ack, sign: -1) }
        namespace.on("results") { [self] socket, arguments, ack in
            guard let credentials = credentials(socket) else { return }
            let answer = await ingestor.ingest(arguments.first, from: credentials.probe, logger: logger)
            await ack?([answer])
        }
    }

    /// The connection's id: the Engine.IO session's and the socket's, unique among instances as both are random.
    static func connectionID(_ socket: Socket) -> String { socket.sessionID + "/" + socket.id }

    /// The credentials a connected socket joined with (read once, at connection).
    private func credentials(_ socket: Socket) -> ProbeCredentials? {
        connections.withLock { $0[Self.connectionID(socket)]?.credentials }
    }

    private func authorize(_ handshake: Handshake) async -> Namespace.ConnectDecision {
        switch ProbeCredentials.read(handshake, tokens: tokens) {
        case .failure(let error):
            logger.info("probe refused", metadata: ["reason": "\(error.message)", "address": "\(handshake.remoteAddress ?? "?")"])
            return .refuse(message: error.message)
        case .success(let credentials):
            guard let found = try? await store.probes(ids: [credentials.probe]).first else {
                logger.info("probe refused", metadata: ["reason": "unknown probe", "probe": "\(credentials.probe)"])
                return .refuse(message: ProbeConnectError.invalidToken.message)
            }
            guard found.tokenVersion == credentials.tokenVersion else {
                logger.info("probe refused", metadata: ["reason": "rotated token", "probe": "\(credentials.probe)"])
                return .refuse(message: ProbeConnectError.invalidToken.message)
            }
            return .accept
        }
    }

    private func connected(_ socket: Socket) async {
        guard let credentials = try? ProbeCredentials.read(socket.handshake, tokens: tokens).get() else { return }
        let id = Self.connectionID(socket)
        connections.withLock { $0[id] = (socket, credentials) }
        let logger = self.logger, connections = self.connections
        await hub.attach(
            probe: credentials.probe, connectionID: id, status: credentials.status,
            deliver: { job in await socket.emit(job.kind.rawValue, [SocketIOValue(job.payload)]) },
            close: {
                guard connections.withLock({ $0.removeValue(forKey: id) }) != nil else { return }
                logger.info("older connection of the probe closed", metadata: ["probe": "\(credentials.probe)"])
                await socket.close()
            })
        logger.info("probe connected", metadata: [
            "probe": "\(credentials.probe)", "total_credits": "\(credentials.status.totalCredits)",
            "in_use_credits": "\(credentials.status.inUseCredits)",
        ])
    }

    private func disconnected(_ socket: Socket, reason: String) async {
        let id = Self.connectionID(socket)
        warnings.forget(id)
        guard let credentials = connections.withLock({ $0.removeValue(forKey: id)?.credentials }) else { return }
        if await hub.detach(probe: credentials.probe, connectionID: id) {
            logger.info("probe disconnected", metadata: ["probe": "\(credentials.probe)", "reason": "\(reason)"])
        }
    }

    private func adjust(_ socket: Socket, _ arguments: [SocketIOValue], _ ack: Acknowledgement?, sign: Double) async {
        guard let credentials = credentials(socket) else { return }
        guard let credits = arguments.first?["credits"]?.number, credits >= 0, credits.isFinite else {
            let (allowed, held) = warnings.admit(Self.connectionID(socket))
            if allowed {
                logger.warning("credits message ignored", metadata: [
                    "probe": "\(credentials.probe)", "payload": "\(arguments.first?.summary ?? "none")",
                    "credits": "\(arguments.first?["credits"]?.summary ?? "absent")", "held_back": "\(held)",
                ])
            }
            await ack?([.object(["Error": .string("credits must be a non-negative number")])])
            return
        }
        let status = await hub.adjustInUseCredits(probe: credentials.probe, connectionID: Self.connectionID(socket), by: sign * credits)
        logger.debug("in-use credits", metadata: ["probe": "\(credentials.probe)", "in_use": "\(status?.inUseCredits ?? 0)"])
        await ack?([.bool(true)])
    }
}
