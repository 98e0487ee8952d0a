import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import PladmedAPI
import PladmedCore
import PladmedStorage
import ServiceLifecycle
import SocketIO

/// Builds the pladmed application: the REST API of `docs/endpoints/openapi.yaml` on a Hummingbird router with CORS,
/// JSON errors and token checks, and the probes' Socket.IO endpoint at `/socket.io/` on the same port.
public enum PladmedApplication {
    /// Opens the store `configuration` names. MongoDB connects lazily: call ``prepare(_:logger:retrying:)``.
    public static func openStore(_ configuration: ServerConfiguration) throws -> any Store {
        switch configuration.store {
        case .sqlite:
            return try SQLiteStore(path: configuration.sqlitePath)
        case .mongo:
            let writeConcern = MongoConnection.WriteConcern(configuration.mongoWriteConcern) ?? .majority
            return MongoStore(connection: try MongoConnection(uri: configuration.mongoURI, writeConcern: writeConcern))
        }
    }

    /// Makes `store` ready (``Store/prepare()``: MongoDB's indexes). With `retrying`, an unreachable store is
    /// logged and tried again with backoff (1 s doubling to 30 s) until it answers; without, the error is thrown.
    public static func prepare(_ store: any Store, logger: Logger, retrying: Bool) async throws {
        var delay = Duration.seconds(1)
        while true {
            do {
                try await store.prepare()
                logger.info("store ready", metadata: ["store": "\(store.driverName)"])
                return
            } catch where retrying && error.isStoreUnavailable {
                logger.error("store unreachable; /health reports it; retrying", metadata: ["store": "\(store.driverName)", "error": "\(error)", "in": "\(delay)"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(30))
            }
        }
    }

    /// The application serving `store`, with `registry` tracking the connected probes, as `configuration` says.
    ///
    /// - Parameters:
    ///   - hub: Where probes attach and jobs go: `registry` unless given (a ``ClusterProbeHub`` in cluster mode;
    ///     tests wrap the registry).
    ///   - middleware: Runs around every HTTP request after the Socket.IO endpoint (tests wrap answers with it).
    ///   - metrics: Where the server's metrics are recorded; `/metrics` renders them.
    ///   - drain: The graceful stop to run the application with (``ServerDrain/run(_:)``); without, `/health` never
    ///     reports `draining`.
    ///   - clock: The clock-sync state `/health` and `/metrics` report (tests pin it).
    ///   - now: The clock operations are scheduled by (tests pin it).
    ///   - services: More services to run with the application (the cluster hub), stopped after the server.
    ///   - onServerRunning: Called with the bound port once the server listens.
    public static func make(
        configuration: ServerConfiguration,
        store: any Store,
        registry: ProbeRegistry,
        hub: (any ProbeHub)? = nil,
        middleware: (any RouterMiddleware<PladmedRequestContext>)? = nil,
        metrics: PladmedMetrics = PladmedMetrics(),
        drain: ServerDrain? = nil,
        clock: @escaping @Sendable () -> ClockState? = { ClockState.read() },
        logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() },
        services: [any Service] = [],
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let socketServer = SocketIOServer(
            configuration: .init(pingInterval: .seconds(25), pingTimeout: .seconds(5), maxPayload: configuration.maxUploadBytes,
                           sessionIDPrefix: configuration.instanceName.map { $0 + "." } ?? "",
                           maxSessionsPerAddress: configuration.maxSessionsPerAddress, uncappedAddresses: Set(configuration.trustedProxies)),
            logger: logger)
        drain?.attach(socketServer)
        let store = MeasuredStore(store, metrics: metrics)
        let router = Router(context: PladmedRequestContext.self)
        let routes = RouteTable(APIOperation.allCases.map { ($0.method, $0.path) } + OperatorRoutes.routes)
        // The middlewares are what crosses routes; each route is answered by its handler alone (docs/ARCHITECTURE.md).
        router.add(middleware: AccessLogMiddleware(metrics: metrics, routes: routes, socketPath: socketServer.configuration.path))
        router.add(middleware: socketServer.middleware())
        router.add(middleware: PathSpellingMiddleware())
        router.add(middleware: ClientAddressMiddleware(trustedProxies: Set(configuration.trustedProxies)))
        func add(_ middleware: some RouterMiddleware<PladmedRequestContext>) { router.add(middleware: middleware) }
        if let middleware { add(middleware) }
        router.add(middleware: FlaskCORSMiddleware(routes: routes))
        router.add(middleware: ErrorMiddleware(routes: routes))
        router.add(middleware: JSONBodyMiddleware(maxBytes: configuration.maxBodyBytes, maxDepth: configuration.maxBodyDepth))
        let tokens = TokenService(secret: configuration.secretKey, userTokenLifetime: configuration.tokenLifetime)
        let hub = hub ?? registry
        let scheduler = OperationScheduler(
            store: store, hub: hub, timeZone: configuration.timeZone, now: now, maxProbes: configuration.maxProbesPerOperation,
            maxParamsBytes: configuration.maxParamsBytes, metrics: metrics)
        let passwords = PasswordWorkers(threads: configuration.passwordThreads)
        // In cluster mode the login limits count across every instance.
        func limiter(_ perMinute: Int, _ name: String) -> any ActionLimiter {
            guard let cluster = hub as? ClusterProbeHub else { return RateLimiter(perMinute: perMinute) }
            return SharedRateLimiter(perMinute: perMinute, client: cluster.client, prefix: cluster.prefix + name, logger: logger)
        }
        let webSocket = socketServer.webSocketConfiguration.ws
        let tls = try configuration.tlsCertificate.map { try ServerTLS(certificate: $0, key: configuration.tlsKey ?? "") }
        let connectionGuard = ConnectionGuard(
            maxPerAddress: configuration.maxConnectionsPerAddress, exempt: Set(configuration.trustedProxies), headTimeout: .milliseconds(Int64(configuration.requestHeadTimeout * 1000)),
            logger: logger)
        APIHandler(
            store: store, hub: hub, authenticator: Authenticator(store: store, tokens: tokens),
            probeList: ProbeListCache(maxAge: .nanoseconds(Int64(configuration.probeListMaxAge * 1e9))), tokens: tokens, passwords: passwords,
            scheduler: scheduler, production: configuration.production, maxCredits: configuration.maxCredits,
            maxProbesPerAccount: configuration.maxProbesPerAccount,
            loginsByAddress: limiter(configuration.loginRatePerAddress, "login:address:"),
            loginsByAccount: limiter(configuration.loginRatePerAccount, "login:account:"),
            metrics: metrics, drain: drain?.state ?? DrainState(), clock: clock, pageSize: 64, pageBytes: 1 << 20
        ).register(on: router)
        ProbeEndpoint(
            store: store, hub: hub, tokens: tokens,
            ingestor: ResultIngestor(
                store: store, maxResultBytes: configuration.maxResultBytes, timeZone: configuration.timeZone, metrics: metrics),
            logger: logger
        ).install(on: socketServer)
        OperatorRoutes(
            metrics: metrics, probesConnected: { registry.count }, sessions: { socketServer.sessionCount }, clock: clock,
            specification: try PublishedSpecification.bundled(),
            swaggerUI: try configuration.swaggerUIDirectory.map { try SwaggerUI(directory: $0) }
        ).install(on: router)
        return Application(
            responder: ConnectionCloseResponder(router.buildResponder()),
            server: HTTPServerBuilder { responder in
                GuardedChildChannel(
                    base: HTTP1WebSocketUpgradeChannel(
                        responder: responder,
                        configuration: .init(http1: .init(idleTimeout: .milliseconds(Int64(configuration.idleTimeout * 1000))), ws: webSocket),
                        shouldUpgrade: socketServer.shouldUpgrade),
                    connectionGuard: connectionGuard, tls: tls)
            },
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "pladmed"),
            services: [passwords] + services,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }
}
