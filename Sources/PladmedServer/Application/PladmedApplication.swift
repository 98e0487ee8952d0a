import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import OpenAPIHummingbird
import OpenAPIRuntime
import PladmedAPI
import PladmedCore
import PladmedStorage
import SocketIO

/// Builds the pladmed application: the generated REST API on a Hummingbird router with CORS, JSON errors and
/// token checks, and the probes' Socket.IO endpoint at `/socket.io/` on the same port.
public enum PladmedApplication {
    /// Opens the store `configuration` names.
    public static func openStore(_ configuration: ServerConfiguration) throws -> any Store {
        switch configuration.store {
        case .sqlite:
            return try SQLiteStore(path: configuration.sqlitePath)
        case .mongo:
            throw ConfigurationError("DATABASE=mongo: the MongoDB store is not part of this build; use DATABASE=sqlite")
        }
    }

    /// The application serving `store`, with `registry` tracking the connected probes, as `configuration` says.
    ///
    /// - Parameters:
    ///   - now: The clock operations are scheduled by (tests pin it).
    ///   - onServerRunning: Called with the bound port once the server listens.
    public static func make(
        configuration: ServerConfiguration,
        store: any Store,
        registry: ProbeRegistry,
        logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() },
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let socketServer = SocketIOServer(
            configuration: .init(pingInterval: .seconds(25), pingTimeout: .seconds(5), maxPayload: configuration.maxUploadBytes),
            logger: logger)
        let router = Router()
        let routes = RouteTable()
        router.add(middleware: socketServer.middleware())
        router.add(middleware: FlaskCORSMiddleware(routes: routes))
        router.add(middleware: ErrorMiddleware(routes: routes))
        router.add(middleware: JSONBodyMiddleware())
        let tokens = TokenService(secret: configuration.secretKey)
        let handler = APIHandler(
            store: store, hub: registry, tokens: tokens, passwords: PasswordHasher(),
            scheduler: OperationScheduler(store: store, hub: registry, timeZone: configuration.timeZone, now: now),
            production: configuration.production)
        try handler.registerHandlers(
            on: RouteTable.Recorder(transport: router, table: routes),
            configuration: Configuration(jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes]),
            middlewares: [AuthenticationMiddleware(store: store, tokens: tokens)])
        ProbeEndpoint(
            store: store, registry: registry, tokens: tokens,
            ingestor: ResultIngestor(store: store, maxResultBytes: configuration.maxResultBytes, timeZone: configuration.timeZone),
            logger: logger
        ).install(on: socketServer)
        return Application(
            router: router,
            server: .http1WebSocketUpgrade(configuration: socketServer.webSocketConfiguration, shouldUpgrade: socketServer.shouldUpgrade),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "pladmed"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }
}
