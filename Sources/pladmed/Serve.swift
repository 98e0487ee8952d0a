import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PladmedCore
import PladmedServer

/// `pladmed serve`: the HTTP server.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the REST API (the default command).")

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        let configuration = try options.resolve()
        try configuration.validate()
        let logger = try makeLogger(configuration)
        logger.info("pladmed \(PladmedVersion.current) starting")
        if configuration.secretKey == ServerConfiguration.developmentSecret {
            logger.warning("SECRET_KEY is not set: signing tokens with the development secret")
        }
        let store = try PladmedApplication.openStore(configuration)
        logger.info("store opened", metadata: [
            "driver": "\(store.driverName)",
            "at": "\(configuration.store == .sqlite ? configuration.sqlitePath : ServerConfiguration.redacted(uri: configuration.mongoURI))",
        ])
        // An unreachable MongoDB does not stop the server: /health says so and requests answer 503 until it is back.
        let preparing = Task { try await PladmedApplication.prepare(store, logger: logger, retrying: true) }
        defer { preparing.cancel() }
        let drain = ServerDrain(timeout: .milliseconds(Int64(configuration.drainTimeout * 1000)), logger: logger)
        let app = try PladmedApplication.make(
            configuration: configuration, store: store, registry: ProbeRegistry(), drain: drain, logger: logger,
            onServerRunning: { port in logger.info("serving", metadata: ["host": "\(configuration.host)", "port": "\(port)"]) })
        try await drain.run(app)
        logger.info("stopped")
    }

    private func makeLogger(_ configuration: ServerConfiguration) throws -> Logger {
        let level = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let json = configuration.logFormat == .json
        let file: (@Sendable (String) -> any LogHandler)? = try configuration.logFile.map { path in
            if json {
                let sink = try JSONLogHandler.Sink(appendingTo: path)
                return { label in JSONLogHandler(label: label, sink: sink) }
            }
            let factory = try FileLogHandler.factory(path: path)
            return { label in factory(label) }
        }
        var logger = Logger(label: "pladmed") { label in
            let standardError: any LogHandler =
                json ? JSONLogHandler(label: label, sink: .standardError) : StreamLogHandler.standardError(label: label)
            guard let file else { return standardError }
            return MultiplexLogHandler([standardError, file(label)])
        }
        logger.logLevel = level
        return logger
    }
}
