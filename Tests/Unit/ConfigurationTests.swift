import Foundation
@testable import PladmedServer
import PladmedTestSupport
import Testing

@Suite("Configuration and specification")
struct ConfigurationTests {
    @Test("defaults, then the original's environment names")
    func environment() throws {
        let defaults = try ServerConfiguration(environment: [:])
        #expect(defaults.port == 5000 && defaults.host == "0.0.0.0" && defaults.store == .sqlite && !defaults.production)
        #expect(defaults.secretKey == ServerConfiguration.developmentSecret)
        #expect(defaults.timeZone.secondsFromGMT() == 0)
        let set = try ServerConfiguration(environment: [
            "SECRET_KEY": "s", "HOST": "127.0.0.1", "PORT": "8080", "DATABASE": "mongo", "LOG_FILE": "/tmp/x.log",
            "FLASK_ENV": "production", "TZ": "America/Argentina/Buenos_Aires", "PLADMED_SQLITE_PATH": "/tmp/p.sqlite",
        ])
        #expect(set.secretKey == "s" && set.host == "127.0.0.1" && set.port == 8080 && set.store == .mongo)
        #expect(set.logFile == "/tmp/x.log" && set.production && set.sqlitePath == "/tmp/p.sqlite")
        #expect(set.timeZone.identifier == "America/Argentina/Buenos_Aires")
        #expect(try ServerConfiguration(environment: ["FLASK_ENV": "production", "PLADMED_ENV": "development"]).production == false)
    }

    @Test("MongoDB: MONGODB_URI as given, or a URI from the original's MONGO_* names")
    func mongo() throws {
        #expect(try ServerConfiguration(environment: [:]).mongoURI == "mongodb://localhost:27017/pladmed")
        #expect(try ServerConfiguration(environment: [:]).mongoWriteConcern == "majority")
        let parts = try ServerConfiguration(environment: [
            "MONGO_USERNAME": "root", "MONGO_PASSWORD": "p@ss:w/rd", "MONGO_HOST": "db", "MONGO_PORT": "27018", "MONGO_DATABASE": "measure",
        ])
        #expect(parts.mongoURI == "mongodb://root:p%40ss%3Aw%2Frd@db:27018/measure?authSource=admin")
        let uri = "mongodb://a:b@h1:1,h2:2/pladmed?replicaSet=rs0&tls=true"
        #expect(try ServerConfiguration(environment: ["MONGODB_URI": uri, "MONGO_HOST": "ignored"]).mongoURI == uri)
        #expect(throws: ConfigurationError.self) { try ServerConfiguration(environment: ["MONGODB_URI": "http://x"]) }
        #expect(throws: ConfigurationError.self) { try ServerConfiguration(environment: ["MONGO_PORT": "x"]) }
        #expect(throws: ConfigurationError.self) {
            try ServerConfiguration(environment: ["DATABASE": "mongo", "MONGO_WRITE_CONCERN": "most"]).validate()
        }
        try ServerConfiguration(environment: ["DATABASE": "mongo", "MONGO_WRITE_CONCERN": "1"]).validate()
    }

    @Test("bad values and unsafe production set-ups are refused with a reason")
    func refusals() throws {
        #expect(throws: ConfigurationError.self) { try ServerConfiguration(environment: ["PORT": "http"]) }
        #expect(throws: ConfigurationError.self) { try ServerConfiguration(environment: ["DATABASE": "postgres"]) }
        let error = #expect(throws: ConfigurationError.self) {
            try ServerConfiguration(environment: ["PLADMED_ENV": "production"]).validate()
        }
        #expect(error?.description.contains("SECRET_KEY") == true)
        // A production secret has at least 32 bytes; `SECRET_KEY=x` was accepted before.
        for short in ["x", "real", String(repeating: "k", count: 31)] {
            let refused = #expect(throws: ConfigurationError.self) {
                try ServerConfiguration(environment: ["PLADMED_ENV": "production", "SECRET_KEY": short]).validate()
            }
            #expect(refused?.description.contains("at least 32") == true)
        }
        try ServerConfiguration(environment: ["PLADMED_ENV": "production", "SECRET_KEY": String(repeating: "k", count: 32)]).validate()
        try ServerConfiguration(environment: ["SECRET_KEY": "x"]).validate()
        // The new bounds read their variables and refuse nonsense.
        let bounded = try ServerConfiguration(environment: [
            "PLADMED_MAX_BODY_BYTES": "2048", "PLADMED_MAX_CREDITS": "5000", "PLADMED_TOKEN_TTL": "0", "PLADMED_LOGIN_RATE_PER_ACCOUNT": "0",
        ])
        #expect(bounded.maxBodyBytes == 2048 && bounded.maxCredits == 5000 && bounded.tokenLifetime == 0 && bounded.loginRatePerAccount == 0)
        for (name, value) in [("PLADMED_MAX_CREDITS", "inf"), ("PLADMED_MAX_CREDITS", "1e308"), ("PLADMED_TOKEN_TTL", "-1"),
                              ("PLADMED_MAX_BODY_DEPTH", "1"), ("PLADMED_IDLE_TIMEOUT", "nan"), ("PLADMED_MAX_PROBES_PER_OPERATION", "0")] {
            #expect(throws: ConfigurationError.self, "\(name)=\(value)") { try ServerConfiguration(environment: [name: value]) }
        }
    }

    @Test("cluster mode: REDIS_URL needs DATABASE=mongo; the instance name, TTL and trusted proxies are checked")
    func cluster() throws {
        let off = try ServerConfiguration(environment: [:])
        #expect(off.redisURL == nil && off.instanceName == nil && off.clusterTTL == 5 && off.trustedProxies.isEmpty)
        let sqlite = try ServerConfiguration(environment: ["REDIS_URL": "redis://127.0.0.1:6379/0"])
        #expect(throws: ConfigurationError.self) { try sqlite.validate() }
        do {
            try sqlite.validate()
        } catch {
            #expect("\(error)".contains("DATABASE=mongo"))
        }
        let on = try ServerConfiguration(environment: [
            "REDIS_URL": "redis://user:secret@redis:6380/2", "DATABASE": "mongo", "PLADMED_INSTANCE": "server_1-a",
            "PLADMED_CLUSTER_TTL": "2.5", "PLADMED_TRUSTED_PROXIES": "10.0.0.2, ::1",
        ])
        try on.validate()
        #expect(on.instanceName == "server_1-a" && on.clusterTTL == 2.5 && on.trustedProxies == ["10.0.0.2", "::1"])
        #expect(on.listing.contains { $0 == ("REDIS_URL", "redis://user:***@redis:6380/2") })
        for (name, value) in [("REDIS_URL", "http://redis:6379"), ("REDIS_URL", "redis://redis:99999"), ("PLADMED_INSTANCE", "a.b"),
                              ("PLADMED_INSTANCE", String(repeating: "a", count: 33)), ("PLADMED_CLUSTER_TTL", "0.5"),
                              ("PLADMED_TRUSTED_PROXIES", "nginx")] {
            #expect(throws: ConfigurationError.self, "\(name)=\(value)") { try ServerConfiguration(environment: [name: value]) }
        }
    }

    @Test("openapi.yaml validates and its secured operations are exactly the server's access policy")
    func specification() async throws {
        let report = try JSONDecoder().decode(SpecReport.self, from: Data(try await Oracle.run("oracles/check_spec.py", []).utf8))
        #expect(report.valid)
        #expect(Set(report.secured.keys) == Set(AccessPolicy.requirements.keys))
        #expect(report.secured.values.allSatisfy { $0 == ["access_token"] })
    }

    @Test("the routes the server answers are exactly the document's operations, each at its method and path")
    func routeTable() async throws {
        let report = try JSONDecoder().decode(SpecReport.self, from: Data(try await Oracle.run("oracles/check_spec.py", []).utf8))
        let served = Dictionary(uniqueKeysWithValues: APIOperation.allCases.map {
            ($0.rawValue, SpecReport.Route(method: $0.method.rawValue, path: $0.path))
        })
        #expect(served == report.operations)
    }

    struct SpecReport: Decodable {
        struct Route: Decodable, Equatable {
            let method: String
            let path: String
        }

        let valid: Bool
        let secured: [String: [String]]
        let operations: [String: Route]
    }
}
