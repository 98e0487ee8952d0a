import Foundation
import Logging
import PladmedCore
import PladmedStorage
import SocketIO

/// The probes' Socket.IO endpoint on the default namespace: admits probes by token and credit headers,
/// feeds the ``ProbeRegistry`` (the newest connection of a probe wins; the older one is closed), delivers
/// jobs, keeps in-use credits up to date and ingests results.
final class ProbeEndpoint: Sendable {
    let store: any Store
    let registry: ProbeRegistry
    let tokens: TokenService
    let ingestor: ResultIngestor
    let logger: Logger
    /// Live connections by connection id, with the credentials checked when they joined.
    private let connections = Mutex<[String: (socket: Socket, credentials: ProbeCredentials)]>([:])

    init(store: any Store, registry: ProbeRegistry, tokens: TokenService, ingestor: ResultIngestor, logger: Logger) {
        self.store = store
        self.registry = registry
        self.tokens = tokens
        self.ingestor = ingestor
        self.logger = logger
    }

    func install(on server: SocketIOServer) {
        let namespace = server.namespace("/")
        namespace.onAuthorize { [self] handshake in await authorize(handshake) }
        namespace.onConnection { [self] socket in await connected(socket) }
        namespace.onDisconnect { [self] socket, reason in disconnected(socket, reason: reason) }
        namespace.on("new_operation") { [self] socket, arguments, ack in await adjust(socket, arguments, ack, sign: 1) }
        namespace.on("finish_operation") { [self] socket, arguments, ack in await adjust(socket, arguments, ack, sign: -1) }
        namespace.on("results") { [self] socket, arguments, ack in
            guard let credentials = credentials(socket) else { return }
            let answer = await ingestor.ingest(arguments.first, from: credentials.probe, logger: logger)
            await ack?([answer])
        }
    }

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
            guard let found = try? await store.probes(ids: [credentials.probe]), !found.isEmpty else {
                logger.info("probe refused", metadata: ["reason": "unknown probe", "probe": "\(credentials.probe)"])
                return .refuse(message: ProbeConnectError.invalidToken.message)
            }
            return .accept
        }
    }

    private func connected(_ socket: Socket) async {
        guard let credentials = try? ProbeCredentials.read(socket.handshake, tokens: tokens).get() else { return }
        let id = Self.connectionID(socket)
        connections.withLock { $0[id] = (socket, credentials) }
        let replaced = registry.connect(probe: credentials.probe, connectionID: id, status: credentials.status) { job in
            await socket.emit(job.kind.rawValue, [SocketIOValue(job.payload)])
        }
        logger.info("probe connected", metadata: [
            "probe": "\(credentials.probe)", "total_credits": "\(credentials.status.totalCredits)",
            "in_use_credits": "\(credentials.status.inUseCredits)",
        ])
        if let replaced, let older = connections.withLock({ $0.removeValue(forKey: replaced.id)?.socket }) {
            logger.info("older connection of the probe closed", metadata: ["probe": "\(credentials.probe)"])
            await older.close()
        }
    }

    private func disconnected(_ socket: Socket, reason: String) {
        let id = Self.connectionID(socket)
        guard let credentials = connections.withLock({ $0.removeValue(forKey: id)?.credentials }) else { return }
        if registry.disconnect(probe: credentials.probe, connectionID: id) {
            logger.info("probe disconnected", metadata: ["probe": "\(credentials.probe)", "reason": "\(reason)"])
        }
    }

    private func adjust(_ socket: Socket, _ arguments: [SocketIOValue], _ ack: Acknowledgement?, sign: Double) async {
        guard let credentials = credentials(socket) else { return }
        guard let credits = arguments.first?["credits"]?.number, credits >= 0, credits.isFinite else {
            logger.warning("credits message ignored", metadata: ["probe": "\(credentials.probe)", "payload": "\(arguments)"])
            await ack?([.object(["Error": .string("credits must be a non-negative number")])])
            return
        }
        let status = registry.adjustInUseCredits(probe: credentials.probe, connectionID: Self.connectionID(socket), by: sign * credits)
        logger.debug("in-use credits", metadata: ["probe": "\(credentials.probe)", "in_use": "\(status?.inUseCredits ?? 0)"])
        await ack?([.bool(true)])
    }
}
