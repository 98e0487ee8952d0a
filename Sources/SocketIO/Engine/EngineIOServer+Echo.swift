import Logging

extension EngineIOServer {
    /// The server of the official engine.io-protocol test suite: a bare Engine.IO server that sends every message,
    /// text or binary, back to its sender.
    public static func echo(configuration: Configuration = .init(), logger: Logger = Logger(label: "engine.io")) -> EngineIOServer {
        EngineIOServer(configuration: configuration, logger: logger) { session in EchoHandler(session: session) }
    }
}

/// Sends each message of its session back, on the session's executor.
private actor EchoHandler: EngineSessionHandler {
    let session: EngineSession

    nonisolated var unownedExecutor: UnownedSerialExecutor { session.unownedExecutor }

    init(session: EngineSession) {
        self.session = session
    }

    func opened() {}

    func received(_ message: EngineMessage) async {
        await session.send(message)
    }

    func closed(reason: String) {}
}
