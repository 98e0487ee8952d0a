import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PladmedCore
import PladmedServer
import Redis

/// `pladmed serve`: the HTTP server.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the REST API (the default command).")

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        let configuration = try options.resolve()
        try configuration.validate()
        let (logger, sinks) = try makeLogger(configuration)
        defer { for sink in sinks { sink.flush() } }
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
        let cluster = try configuration.redisURL.map { url in
            ClusterProbeHub(
                url: try RedisURL(url), name: configuration.instanceName, ttl: .milliseconds(Int64(configuration.clusterTTL * 1000)),
                logger: logger)
        }
        let app = try PladmedApplication.make(
            configuration: configuration, store: store, registry: cluster?.local ?? ProbeRegistry(), hub: cluster, drain: drain,
            logger: logger, services: cluster.map { [$0] } ?? [],
            onServerRunning: { port in
                logger.info("serving", metadata: [
                    "host": "\(configuration.host)", "https": "\(configuration.tlsCertificate != nil)", "port": "\(port)",
                ])
            })
        try await drain.run(app)
        logger.info("stopped")
    }

    /// The logger of `configuration` (text or JSON lines, on standard error and in `LOG_FILE`), and the sinks to
    /// flush at exit.
    private func makeLogger(_ configuration: ServerConfiguration) throws -> (Logger, [LogSink]) {
        let level = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let sinks = [LogSink.standardError] + (try configuration.logFile.map { [try LogSink(appendingTo: $0)] } ?? [])
        let format = configuration.logFormat
        var logger = Logger(label: "pladmed") { label in LineLogHandler(label: label, sinks: sinks, format: format) }
        logger.logLevel = level
        return (logger, sinks)
    }
}
