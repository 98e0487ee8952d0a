import Foundation

/// Everything the server needs to start, read from the original's environment names and overridable by flags.
public struct ServerConfiguration: Sendable, Equatable {
    /// Which store holds the data.
    public enum StoreKind: String, Sendable, Equatable, CaseIterable {
        /// The embedded SQLite file (the default).
        case sqlite
        /// MongoDB through libmongoc.
        case mongo
    }

    /// The secret signing every token (`SECRET_KEY`).
    public var secretKey: String
    /// The address to bind (`HOST`).
    public var host: String
    /// The port to bind (`PORT`); 0 picks a free one.
    public var port: Int
    /// The store (`DATABASE`: `sqlite` or `mongo`).
    public var store: StoreKind
    /// The SQLite file (`PLADMED_SQLITE_PATH`).
    public var sqlitePath: String
    /// The MongoDB URI: `MONGODB_URI` as given (TLS and replica-set options pass through), or one built from
    /// the original's `MONGO_USERNAME`, `MONGO_PASSWORD`, `MONGO_HOST`, `MONGO_PORT`, `MONGO_DATABASE`.
    public var mongoURI: String
    /// The write concern of every MongoDB write (`MONGO_WRITE_CONCERN`: `majority`, the default, or a number).
    public var mongoWriteConcern: String
    /// A file that receives the log besides standard error (`LOG_FILE`).
    public var logFile: String?
    /// Whether this is a production server (`PLADMED_ENV` or `FLASK_ENV` equal to `production`).
    public var production: Bool
    /// The time zone of `stop_time` and cron schedules (`TZ`, default UTC as the original's deployment).
    public var timeZone: TimeZone
    /// The largest Socket.IO message a probe may send, results included (`PLADMED_MAX_UPLOAD_BYTES`).
    public var maxUploadBytes: Int
    /// The largest text a gzip result may expand to (`PLADMED_MAX_RESULT_BYTES`).
    public var maxResultBytes: Int

    /// The secret a development server uses when none is configured; refused in production.
    public static let developmentSecret = "dev"

    /// Defaults, then the environment.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        secretKey = environment["SECRET_KEY"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.developmentSecret
        host = environment["HOST"] ?? "0.0.0.0"
        port = 5000
        if let text = environment["PORT"] {
            guard let value = Int(text), (0...65535).contains(value) else {
                throw ConfigurationError("PORT must be a port number, got '\(text)'")
            }
            port = value
        }
        store = .sqlite
        if let text = environment["DATABASE"], !text.isEmpty {
            guard let kind = StoreKind(rawValue: text.lowercased()) else {
                throw ConfigurationError("DATABASE must be one of \(StoreKind.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
            }
            store = kind
        }
        sqlitePath = environment["PLADMED_SQLITE_PATH"] ?? "data/pladmed.sqlite"
        mongoURI = try Self.mongoURI(environment)
        mongoWriteConcern = environment["MONGO_WRITE_CONCERN"].flatMap { $0.isEmpty ? nil : $0 } ?? "majority"
        logFile = environment["LOG_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        let mode = environment["PLADMED_ENV"] ?? environment["FLASK_ENV"] ?? "development"
        production = mode.lowercased() == "production"
        maxUploadBytes = try Self.size(environment, "PLADMED_MAX_UPLOAD_BYTES", default: 16 << 20)
        maxResultBytes = try Self.size(environment, "PLADMED_MAX_RESULT_BYTES", default: 64 << 20)
        timeZone = environment["TZ"].flatMap { TimeZone(identifier: $0.hasPrefix(":") ? String($0.dropFirst()) : $0) }
            ?? TimeZone(identifier: "UTC")!
    }

    /// `MONGODB_URI`, or `mongodb://[user:password@]host:port/database` from the parts (credentials are
    /// checked against the `admin` database, as pymongo's client did for the original).
    static func mongoURI(_ environment: [String: String]) throws -> String {
        if let uri = environment["MONGODB_URI"], !uri.isEmpty {
            guard uri.hasPrefix("mongodb://") || uri.hasPrefix("mongodb+srv://") else {
                throw ConfigurationError("MONGODB_URI must start with mongodb:// or mongodb+srv://")
            }
            return uri
        }
        func value(_ name: String, _ fallback: String) -> String { environment[name].flatMap { $0.isEmpty ? nil : $0 } ?? fallback }
        let host = value("MONGO_HOST", "localhost"), database = value("MONGO_DATABASE", "pladmed")
        let port = value("MONGO_PORT", "27017")
        guard let number = Int(port), (1...65535).contains(number) else { throw ConfigurationError("MONGO_PORT must be a port number, got '\(port)'") }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        var credentials = "", options = ""
        if let user = environment["MONGO_USERNAME"], !user.isEmpty {
            let password = environment["MONGO_PASSWORD"] ?? ""
            credentials = (user.addingPercentEncoding(withAllowedCharacters: allowed) ?? user) + ":"
                + (password.addingPercentEncoding(withAllowedCharacters: allowed) ?? password) + "@"
            options = "?authSource=admin"
        }
        return "mongodb://\(credentials)\(host):\(number)/\(database)\(options)"
    }

    private static func size(_ environment: [String: String], _ name: String, default value: Int) throws -> Int {
        guard let text = environment[name] else { return value }
        guard let size = Int(text), size > 0 else { throw ConfigurationError("\(name) must be a positive number of bytes, got '\(text)'") }
        return size
    }

    /// Throws when the configuration must not be served: production with the development secret, or a store
    /// this build cannot open.
    public func validate() throws {
        if production && secretKey == Self.developmentSecret {
            throw ConfigurationError(
                "refusing to start in production with the default SECRET_KEY; set SECRET_KEY to the deployment's secret")
        }
        if store == .mongo && !(mongoWriteConcern == "majority" || Int(mongoWriteConcern).map { $0 >= 0 } == true) {
            throw ConfigurationError("MONGO_WRITE_CONCERN must be majority or a number of nodes, got '\(mongoWriteConcern)'")
        }
    }
}

/// A configuration that cannot be served, with the reason.
public struct ConfigurationError: LocalizedError, CustomStringConvertible, Equatable {
    /// What is wrong and how to fix it.
    public let description: String

    public var errorDescription: String? { description }

    /// An error with `description`.
    public init(_ description: String) {
        self.description = description
    }
}
