import Logging
import PladmedCore
import ServiceLifecycle
import SocketIO

/// The first step of a graceful stop (SIGTERM), as a service that follows the application in its service group,
/// which shuts services down last to first: `/health` turns `draining` (503), the probes' Socket.IO server stops
/// taking sessions and events, the event handlers in flight (result uploads) get `timeout` to finish and
/// acknowledge, and the probe sessions are closed with a reason so that probes reconnect. The application's own
/// stop follows: no new connection, and the HTTP requests in flight finish.
public final class ServerDrain: Service, Sendable {
    /// What `/health` reads.
    public let state = DrainState()
    let timeout: Duration
    let logger: Logger
    private let socketServer = Mutex<SocketIOServer?>(nil)

    /// A drain giving event handlers `timeout` to finish.
    public init(timeout: Duration, logger: Logger) {
        self.timeout = timeout
        self.logger = logger
    }

    /// The Socket.IO server to drain (``PladmedApplication`` sets it when it makes the application).
    func attach(_ server: SocketIOServer) {
        socketServer.withLock { $0 = server }
    }

    public func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            return
        }
        state.begin()
        guard let server = socketServer.withLock({ $0 }) else { return }
        logger.info("stopping: probe sessions draining", metadata: ["sessions": "\(server.sessionCount)", "timeout": "\(timeout)"])
        let unfinished = await server.drain(timeout: timeout, reason: "server shutting down")
        logger.info("stopping: probe sessions closed", metadata: ["unfinished_handlers": "\(unfinished)"])
    }

    /// Runs `application` until SIGTERM or SIGINT, then stops it gracefully: this drain first, then the application,
    /// each within `timeout` before the rest is cancelled.
    public func run(_ application: some Service) async throws {
        var configuration = ServiceGroupConfiguration(
            services: [.init(service: application), .init(service: self)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = timeout * 2
        configuration.maximumCancellationDuration = .seconds(5)
        try await ServiceGroup(configuration: configuration).run()
    }
}
