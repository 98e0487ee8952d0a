import Foundation
import NIOCore
import Redis

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
    /// The PEM certificate chain this server terminates TLS with (`PLADMED_TLS_CERT`); with ``tlsKey``, it serves
    /// HTTPS and `wss://` only, and needs no proxy in front.
    public var tlsCertificate: String?
    /// The PEM private key of ``tlsCertificate`` (`PLADMED_TLS_KEY`).
    public var tlsKey: String?
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
    /// The largest content one result may store: gunzipped text, or converted warts (`PLADMED_MAX_RESULT_BYTES`).
    public var maxResultBytes: Int
    /// The largest REST request body (`PLADMED_MAX_BODY_BYTES`); larger ones answer 413.
    public var maxBodyBytes: Int
    /// The deepest nesting of arrays and objects a REST request body may have (`PLADMED_MAX_BODY_DEPTH`).
    public var maxBodyDepth: Int
    /// The most probe ids one operation may name (`PLADMED_MAX_PROBES_PER_OPERATION`).
    public var maxProbesPerOperation: Int
    /// The largest balance an account may hold (`PLADMED_MAX_CREDITS`); a grant past it is refused.
    public var maxCredits: Double
    /// How long a new user token is valid (`PLADMED_TOKEN_TTL`, seconds; 0: no expiry, as the original's).
    public var tokenLifetime: Double
    /// Logins tried per minute from one client address (`PLADMED_LOGIN_RATE_PER_ADDRESS`; 0: no limit).
    public var loginRatePerAddress: Int
    /// Logins tried per minute for one account (`PLADMED_LOGIN_RATE_PER_ACCOUNT`; 0: no limit).
    public var loginRatePerAccount: Int
    /// Threads that hash passwords (`PLADMED_PASSWORD_THREADS`), apart from those serving requests.
    public var passwordThreads: Int
    /// Open connections one client address may hold (`PLADMED_MAX_CONNECTIONS_PER_ADDRESS`).
    public var maxConnectionsPerAddress: Int
    /// Socket.IO (Engine.IO) sessions one client address may hold open (`PLADMED_MAX_SESSIONS_PER_ADDRESS`); trusted
    /// proxies have no cap.
    public var maxSessionsPerAddress: Int
    /// Probes one account may register (`PLADMED_MAX_PROBES_PER_ACCOUNT`), unless a superuser set the account's own.
    public var maxProbesPerAccount: Int
    /// Bytes an operation's parameters may take, as stored (`PLADMED_MAX_PARAMS_BYTES`).
    public var maxParamsBytes: Int
    /// Seconds a new connection has to send its first request head (`PLADMED_REQUEST_HEAD_TIMEOUT`).
    public var requestHeadTimeout: Double
    /// Seconds a keep-alive connection may stay idle between requests (`PLADMED_IDLE_TIMEOUT`).
    public var idleTimeout: Double
    /// Seconds an encoded `GET /probes` answer may be served after it was built (`PLADMED_PROBE_LIST_MAX_AGE`; 0:
    /// rebuilt every time). Probe changes through this instance are seen at once; this bounds how long probes
    /// another instance registers in a shared database take to appear.
    public var probeListMaxAge: Double

    /// How log lines are written (`LOG_FORMAT`: `text`, the default, or `json`, one object per line).
    public var logFormat: LogFormat
    /// Seconds each step of a graceful stop may take (`PLADMED_DRAIN_TIMEOUT`): the probes' event handlers in
    /// flight, then the HTTP requests in flight.
    public var drainTimeout: Double
    /// The folder holding Swagger UI's files that `/docs` serves (`PLADMED_SWAGGER_UI_DIR`); `/docs` answers 404
    /// when it is unset.
    public var swaggerUIDirectory: String?

    /// The Redis that joins several instances (`REDIS_URL`, `redis://[user:password@]host:port/db` or `rediss://`
    /// for TLS); set, it turns cluster mode on, which needs `DATABASE=mongo`.
    public var redisURL: String?
    /// This instance's name (`PLADMED_INSTANCE`: 1 to 32 of `A-Z a-z 0-9 _ -`). It begins every Engine.IO session
    /// id this instance hands out (`name.`), so that a proxy can send a session's later requests to it.
    public var instanceName: String?
    /// Seconds a cluster instance's liveness lasts in Redis without renewal (`PLADMED_CLUSTER_TTL`); the probes of
    /// an instance that dies show as disconnected after at most this long.
    public var clusterTTL: Double

    /// Addresses of the reverse proxies in front of this server (`PLADMED_TRUSTED_PROXIES`, comma-separated IPs): for
    /// their requests the client is the last address of `X-Forwarded-For` (login rate limits), and their connections
    /// are not capped by ``maxConnectionsPerAddress``.
    public var trustedProxies: [String]

    /// How log lines are written.
    public enum LogFormat: String, Sendable, Equatable, CaseIterable {
        /// `time level label: message key=value ...`
        case text
        /// One JSON object per line.
        case json
    }

    /// The secret a development server uses when none is configured; refused in production.
    public static let developmentSecret = "dev"

    /// Defaults, then the environment.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        secretKey = environment["SECRET_KEY"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.developmentSecret
        host = environment["HOST"] ?? "0.0.0.0"
        tlsCertificate = environment["PLADMED_TLS_CERT"].flatMap { $0.isEmpty ? nil : $0 }
        tlsKey = environment["PLADMED_TLS_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        guard (tlsCertificate == nil) == (tlsKey == nil) else {
            throw ConfigurationError("PLADMED_TLS_CERT and PLADMED_TLS_KEY go together: set both (HTTPS) or neither (plain HTTP)")
        }
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
        maxResultBytes = try Self.size(environment, "PLADMED_MAX_RESULT_BYTES", default: 4 << 20)
        maxBodyBytes = try Self.size(environment, "PLADMED_MAX_BODY_BYTES", default: 1 << 20)
        maxBodyDepth = try Self.integer(environment, "PLADMED_MAX_BODY_DEPTH", default: 32, in: 2...1000)
        maxProbesPerOperation = try Self.integer(environment, "PLADMED_MAX_PROBES_PER_OPERATION", default: 1000, in: 1...1_000_000)
        maxCredits = try Self.number(environment, "PLADMED_MAX_CREDITS", default: 1e12, in: 1...1e15)
        tokenLifetime = try Self.number(environment, "PLADMED_TOKEN_TTL", default: 30 * 86400, in: 0...1e10)
        loginRatePerAddress = try Self.integer(environment, "PLADMED_LOGIN_RATE_PER_ADDRESS", default: 120, in: 0...1_000_000)
        loginRatePerAccount = try Self.integer(environment, "PLADMED_LOGIN_RATE_PER_ACCOUNT", default: 20, in: 0...1_000_000)
        passwordThreads = try Self.integer(
            environment, "PLADMED_PASSWORD_THREADS", default: max(1, ProcessInfo.processInfo.activeProcessorCount), in: 1...256)
        maxConnectionsPerAddress = try Self.integer(environment, "PLADMED_MAX_CONNECTIONS_PER_ADDRESS", default: 1024, in: 1...1_000_000)
        maxSessionsPerAddress = try Self.integer(environment, "PLADMED_MAX_SESSIONS_PER_ADDRESS", default: 1024, in: 1...1_000_000)
        maxProbesPerAccount = try Self.integer(environment, "PLADMED_MAX_PROBES_PER_ACCOUNT", default: 1000, in: 0...10_000_000)
        maxParamsBytes = try Self.integer(environment, "PLADMED_MAX_PARAMS_BYTES", default: 64 << 10, in: 256...(16 << 20))
        requestHeadTimeout = try Self.number(environment, "PLADMED_REQUEST_HEAD_TIMEOUT", default: 10, in: 0.1...3600)
        idleTimeout = try Self.number(environment, "PLADMED_IDLE_TIMEOUT", default: 75, in: 0.1...86400)
        probeListMaxAge = try Self.number(environment, "PLADMED_PROBE_LIST_MAX_AGE", default: 1, in: 0...3600)
        logFormat = .text
        if let text = environment["LOG_FORMAT"], !text.isEmpty {
            guard let format = LogFormat(rawValue: text.lowercased()) else {
                throw ConfigurationError("LOG_FORMAT must be one of \(LogFormat.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
            }
            logFormat = format
        }
        drainTimeout = try Self.number(environment, "PLADMED_DRAIN_TIMEOUT", default: 10, in: 0...3600)
        swaggerUIDirectory = environment["PLADMED_SWAGGER_UI_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        redisURL = environment["REDIS_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if let redisURL {
            do { _ = try RedisURL(redisURL) } catch { throw ConfigurationError("REDIS_URL: \(error)") }
        }
        instanceName = environment["PLADMED_INSTANCE"].flatMap { $0.isEmpty ? nil : $0 }
        if let name = instanceName {
            let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
            guard name.count <= 32, name.allSatisfy(allowed.contains) else {
                throw ConfigurationError("PLADMED_INSTANCE must be 1 to 32 of A-Z a-z 0-9 _ -, got '\(name)'")
            }
        }
        trustedProxies = (environment["PLADMED_TRUSTED_PROXIES"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for address in trustedProxies where (try? SocketAddress(ipAddress: address, port: 0)) == nil {
            throw ConfigurationError("PLADMED_TRUSTED_PROXIES must list IP addresses, got '\(address)'")
        }
        clusterTTL = try Self.number(environment, "PLADMED_CLUSTER_TTL", default: 5, in: 1...300)
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

    private static func integer(_ environment: [String: String], _ name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = environment[name], !text.isEmpty else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw ConfigurationError("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return number
    }

    private static func number(_ environment: [String: String], _ name: String, default value: Double, in range: ClosedRange<Double>) throws -> Double {
        guard let text = environment[name], !text.isEmpty else { return value }
        guard let number = Double(text), number.isFinite, range.contains(number) else {
            throw ConfigurationError("\(name) must be a number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return number
    }

    private static func size(_ environment: [String: String], _ name: String, default value: Int) throws -> Int {
        guard let text = environment[name] else { return value }
        guard let size = Int(text), size > 0 else { throw ConfigurationError("\(name) must be a positive number of bytes, got '\(text)'") }
        return size
    }

    /// The shortest secret a production server accepts: 32 bytes, the HMAC-SHA256 key size.
    public static let minimumProductionSecretBytes = 32

    /// Throws when the configuration must not be served: production with the development secret or one shorter
    /// than ``minimumProductionSecretBytes``, or a store this build cannot open.
    public func validate() throws {
        if production && secretKey == Self.developmentSecret {
            throw ConfigurationError(
                "refusing to start in production with the default SECRET_KEY; set SECRET_KEY to the deployment's secret")
        }
        if production && secretKey.utf8.count < Self.minimumProductionSecretBytes {
            throw ConfigurationError(
                "refusing to start in production with a SECRET_KEY of \(secretKey.utf8.count) bytes; use at least \(Self.minimumProductionSecretBytes) (for example: openssl rand -hex 32)")
        }
        if redisURL != nil && store != .mongo {
            throw ConfigurationError(
                "cluster mode (REDIS_URL) needs DATABASE=mongo: every instance must see the same data, and an SQLite file belongs to one process")
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
