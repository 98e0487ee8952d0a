import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PladmedCore
import PladmedServer
import PladmedStorage

@main
struct Pladmed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pladmed",
        abstract: "The pladmed measurement platform backend.",
        discussion: """
            With no subcommand, `pladmed` serves the REST API and the probes' Socket.IO endpoint on port 5000 \
            with an embedded SQLite store under ./data/ (DATABASE=mongo: MongoDB). Every option can also be set \
            through the environment names of the original Flask backend: SECRET_KEY, HOST, PORT, DATABASE, \
            LOG_FILE, FLASK_ENV or PLADMED_ENV (`production` refuses the default secret and disables \
            /delete_all), TZ, PLADMED_SQLITE_PATH, and for MongoDB MONGO_USERNAME, MONGO_PASSWORD, MONGO_HOST, \
            MONGO_PORT, MONGO_DATABASE or MONGODB_URI, and MONGO_WRITE_CONCERN. Flags win over the environment.

            First steps:
              pladmed superuser create admin@example.com 'S3cret!pass'
              SECRET_KEY=change-me pladmed serve --port 5000
            """,
        version: PladmedVersion.current,
        subcommands: [Serve.self, Config.self, Superuser.self, Migrate.self, Warts2JSON.self, Warts2Dump.self],
        defaultSubcommand: Serve.self)
}

/// Options shared by every command that opens the store or serves.
struct ConfigurationOptions: ParsableArguments {
    @Option(help: "Address to bind (env HOST, default 0.0.0.0).")
    var host: String?

    @Option(help: "Port to bind, 0 for any free port (env PORT, default 5000).")
    var port: Int?

    @Option(help: "Serve HTTPS and wss:// with this PEM certificate chain (env PLADMED_TLS_CERT; needs --tls-key).")
    var tlsCert: String?

    @Option(help: "The PEM private key of --tls-cert (env PLADMED_TLS_KEY).")
    var tlsKey: String?

    @Option(help: "Store: sqlite or mongo (env DATABASE, default sqlite).")
    var database: String?

    @Option(help: "SQLite file (env PLADMED_SQLITE_PATH, default data/pladmed.sqlite).")
    var sqlitePath: String?

    @Option(help: "Also write the log to this file (env LOG_FILE).")
    var logFile: String?

    @Option(help: "Read the token signing secret from this file instead of SECRET_KEY.")
    var secretKeyFile: String?

    @Option(help: "Join the instances sharing this Redis (cluster mode; needs --database mongo) (env REDIS_URL).")
    var redisURL: String?

    @Flag(help: "Run as a production server (env PLADMED_ENV=production or FLASK_ENV=production).")
    var production = false

    func resolve() throws -> ServerConfiguration {
        var environment = ProcessInfo.processInfo.environment
        if let host { environment["HOST"] = host }
        if let port { environment["PORT"] = String(port) }
        if let tlsCert { environment["PLADMED_TLS_CERT"] = tlsCert }
        if let tlsKey { environment["PLADMED_TLS_KEY"] = tlsKey }
        if let database { environment["DATABASE"] = database }
        if let sqlitePath { environment["PLADMED_SQLITE_PATH"] = sqlitePath }
        if let logFile { environment["LOG_FILE"] = logFile }
        if let redisURL { environment["REDIS_URL"] = redisURL }
        if production { environment["PLADMED_ENV"] = "production" }
        if let secretKeyFile {
            let secret = try String(contentsOfFile: secretKeyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            environment["SECRET_KEY"] = secret
        }
        return try ServerConfiguration(environment: environment)
    }
}
