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
        if configuration.secretKey == ServerConfiguration.developmentSecret {
            logger.warning("SECRET_KEY is not set: signing tokens with the development secret")
        }
        let store = try PladmedApplication.openStore(configuration)
        logger.info("store opened", metadata: [
            "driver": "\(store.driverName)",
            "at": "\(configuration.store == .sqlite ? configuration.sqlitePath : Self.redacted(configuration.mongoURI))",
        ])
        // An unreachable MongoDB does not stop the server: /health says so and requests answer 503 until it is back.
        let preparing = Task { try await PladmedApplication.prepare(store, logger: logger, retrying: true) }
        defer { preparing.cancel() }
        let app = try PladmedApplication.make(
            configuration: configuration, store: store, registry: ProbeRegistry(), logger: logger,
            onServerRunning: { port in logger.info("serving", metadata: ["host": "\(configuration.host)", "port": "\(port)"]) })
        try await app.runService()
    }

    /// The URI without its password, for logs.
    static func redacted(_ uri: String) -> String {
        guard let at = uri.lastIndex(of: "@"), let scheme = uri.range(of: "://") else { return uri }
        let credentials = uri[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return uri }
        return String(uri[..<colon]) + ":***" + String(uri[at...])
    }

    private func makeLogger(_ configuration: ServerConfiguration) throws -> Logger {
        let level = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        guard let path = configuration.logFile else {
            var logger = Logger(label: "pladmed")
            logger.logLevel = level
            return logger
        }
        let file = try FileLogHandler.factory(path: path)
        var logger = Logger(label: "pladmed") { label in
            MultiplexLogHandler([StreamLogHandler.standardError(label: label), file(label)])
        }
        logger.logLevel = level
        return logger
    }
}
