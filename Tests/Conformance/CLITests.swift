import Foundation
import PladmedCore
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
