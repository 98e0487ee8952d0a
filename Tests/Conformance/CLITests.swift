import Foundation
import HTTPTypes
import HummingbirdTesting
import PladmedCore
import PladmedServer
import PladmedStorage
import PladmedTestSupport
import Testing

/// The `pladmed` executable, run as a user would.
@Suite("pladmed command line")
struct CLITests {
    /// The built `pladmed` next to the test runner.
    static var binary: URL {
        URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent().appendingPathComponent("pladmed")
    }

    struct Run {
        let status: Int32
        let output: String
    }

    func pladmed(_ arguments: [String], environment: [String: String] = [:]) async throws -> Run {
        try await Self.run(Self.binary, arguments, environment: environment)
    }

    /// Runs a built executable with `arguments` and `PATH` plus `environment` (in `directory` when given) as a
    /// ``ChildProcess``; its output (standard error included) and exit status.
    static func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil) async throws -> Run {
        let run = try await ChildProcess.run(
            executable, arguments, environment: ["PATH": "/usr/bin:/bin"].merging(environment) { $1 }, directory: directory, mergeErrors: true)
        return Run(status: run.status, output: run.text)
    }

    @Test("--help explains the commands and the environment")
    func help() async throws {
        let run = try await pladmed(["--help"])
        #expect(run.status == 0)
        for word in ["serve", "superuser", "SECRET_KEY", "DATABASE", "PORT", "FLASK_ENV"] {
            #expect(run.output.contains(word), "help mentions \(word)")
        }
        #expect(try await pladmed(["superuser", "create", "--help"]).output.contains("<email>"))
    }

    @Test("--version prints the version; config prints the effective settings with secrets redacted, and fails on bad ones")
    func versionAndConfig() async throws {
        let version = try await pladmed(["--version"])
        #expect(version.status == 0 && version.output.trimmingCharacters(in: .whitespacesAndNewlines) == PladmedVersion.current)
        let secret = "0123456789abcdef0123456789abcdef-production"
        let config = try await pladmed(["config", "--port", "8080"], environment: [
            "SECRET_KEY": secret, "PLADMED_ENV": "production", "MONGODB_URI": "mongodb://admin:pa55word@db/pladmed", "LOG_FORMAT": "json",
        ])
        #expect(config.status == 0, "\(config.output)")
        let lines = Set(config.output.split(separator: "\n").map(String.init))
        for expected in ["PORT=8080", "PLADMED_ENV=production", "LOG_FORMAT=json", "MONGODB_URI=mongodb://admin:***@db/pladmed",
                         "SECRET_KEY=(redacted, \(secret.utf8.count) bytes)"] {
            #expect(lines.contains(expected), "config prints \(expected)")
        }
        #expect(!config.output.contains(secret) && !config.output.contains("pa55word"))
        for (environment, complaint) in [
            (["PLADMED_ENV": "production", "SECRET_KEY": "short"], "SECRET_KEY of 5 bytes"),
            (["PORT": "99999"], "PORT must be a port number"), (["LOG_FORMAT": "xml"], "LOG_FORMAT must be one of"),
        ] {
            let refused = try await pladmed(["config"], environment: environment)
            #expect(refused.status == 1, "\(environment)")
            #expect(refused.output.contains(complaint), "\(refused.output)")
        }
    }

    @Test("LOG_FORMAT=json: every log line is one JSON object, and a request's line carries its X-Request-Id")
    func jsonLogs() async throws {
        let folder = TemporaryDirectory()
        let server = try CrashTests.ServerProcess(environment: [
            "PLADMED_SQLITE_PATH": folder.path("pladmed.sqlite"), "LOG_FORMAT": "json", "LOG_FILE": folder.path("pladmed.log"),
        ])
        let client = TestClient(host: "127.0.0.1", port: server.port)
        client.connect()
        let answer = try await client.get("/health", headers: [HTTPField.Name("X-Request-Id")!: "json-log-1"])
        try await client.shutdown()
        #expect(answer.headers[HTTPField.Name("X-Request-Id")!] == "json-log-1")
        #expect(try await server.terminate() == 0)
        let lines = try String(contentsOfFile: folder.path("pladmed.log"), encoding: .utf8).split(separator: "\n")
        let objects = try lines.map { try JSONValue(parsing: Data($0.utf8)) }
        #expect(objects.count >= 4)
        #expect(objects.allSatisfy { $0["time"]?.string != nil && $0["level"]?.string != nil && $0["message"]?.string != nil })
        let request = try #require(objects.first { $0["metadata"]?["request_id"] == .string("json-log-1") })
        #expect(request["message"]?.string?.wholeMatch(of: #/GET /health 200 \d+\.\d{3} ms/#) != nil, "\(request)")
        #expect(objects.contains { $0["message"] == .string("stopped") })
    }

    @Test("superuser create writes a superuser who can log in, and refuses duplicates and weak passwords")
    func superuser() async throws {
        let folder = TemporaryDirectory()
        let environment = ["PLADMED_SQLITE_PATH": folder.path("db/pladmed.sqlite")]
        let created = try await pladmed(["superuser", "create", "root@pladmed.test", "R00t!secret"], environment: environment)
        #expect(created.status == 0, "\(created.output)")
        #expect(!created.output.contains("R00t!secret"), "the password is not echoed")
        let store = try SQLiteStore(path: folder.path("db/pladmed.sqlite"))
        let user = try #require(try await store.user(email: "root@pladmed.test"))
        #expect(user.isSuperuser)
        #expect(user.passwordHash.hasPrefix("$pbkdf2-sha256$29000$"))
        let again = try await pladmed(["superuser", "create", "root@pladmed.test", "R00t!secret"], environment: environment)
        #expect(again.status != 0)
        #expect(again.output.contains("That email is already registered"))
        let weak = try await pladmed(["superuser", "create", "other@pladmed.test", "short"], environment: environment)
        #expect(weak.status != 0)
        #expect(weak.output.contains("Password must have"))
    }

    @Test("a production server without a secret refuses to start and says why")
    func productionSecret() async throws {
        let folder = TemporaryDirectory()
        let run = try await pladmed(["serve", "--port", "0"], environment: ["FLASK_ENV": "production", "PLADMED_SQLITE_PATH": folder.path("p.sqlite")])
        #expect(run.status != 0)
        #expect(run.output.contains("SECRET_KEY"))
        let badStore = try await pladmed(["serve"], environment: ["DATABASE": "cassandra"])
        #expect(badStore.status != 0)
        #expect(badStore.output.contains("DATABASE must be one of"))
    }

    @Test("migrate copies an SQLite deployment into MongoDB and refuses to overwrite")
    func migrate() async throws {
        let folder = TemporaryDirectory()
        let path = folder.path("pladmed.sqlite")
        let sqlite = try SQLiteStore(path: path)
        let user = try await sqlite.createUser(email: "m@example.com", passwordHash: "h", isSuperuser: false)
        _ = try await sqlite.createProbe(owner: user.id, location: Location(latitude: 1, longitude: 2))
        let uri = try SecantusServer.shared().uri()
        let run = try await pladmed(["migrate", "--from", "sqlite:\(path)", "--to", uri])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("Copied 1 users, 1 probes, 0 operations, 0 results from sqlite to mongo"))
        let mongo = MongoStore(connection: try MongoConnection(uri: uri))
        #expect(try await mongo.user(email: "m@example.com") == user)
        let again = try await pladmed(["migrate", "--from", "sqlite:\(path)", "--to", uri])
        #expect(again.status != 0 && again.output.contains("not empty"))
        #expect(try await pladmed(["migrate", "--from", "postgres://x", "--to", uri]).output.contains("sqlite:PATH or a mongodb:// URI"))
    }
}
