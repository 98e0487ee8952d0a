import Foundation
import PladmedConformance
import PladmedCore
import PladmedStorage
import PladmedTestSupport
import Testing

/// Schemathesis (PyPI, `.venv/schemathesis`) fuzzes a `pladmed serve` process against `openapi.yaml`, seeded and
/// bounded in time: no answer is a 5xx, and every answer follows the document (status, content type, schema). It
/// runs as a user and as a superuser; `/delete_all` and `/logout` are left out (they would end the run's data and
/// tokens), and each run must keep its token working. `make test` runs it in the phase of the live peers, so that nothing else loads the machine.
@Suite("LivePeer-phase: Schemathesis against the OpenAPI document", .serialized)
struct SchemathesisTests {
    @Test("a seeded, time-bounded Schemathesis run finds no 5xx and no answer outside the document")
    func fuzz() async throws {
        let executable = Repository.file(".venv/schemathesis/bin/schemathesis")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw Oracle.Failure(description: "no Schemathesis at \(executable.path): run `make test` (or `make venv`) first")
        }
        let folder = TemporaryDirectory()
        let path = folder.path("fuzz.sqlite")
        do {
            let store = try SQLiteStore(path: path)
            let hasher = PasswordHasher()
            let user = try await store.createUser(email: "fuzz@example.com", passwordHash: hasher.hash("Secure_Pass1"), isSuperuser: false)
            _ = try await store.addCredits(1000, to: user.id)
            _ = try await store.createUser(email: "root@example.com", passwordHash: hasher.hash("R00t!pass"), isSuperuser: true)
        }
        let server = try CrashTests.ServerProcess(environment: [
            "DATABASE": "sqlite", "PLADMED_SQLITE_PATH": path, "PLADMED_LOGIN_RATE_PER_ADDRESS": "0", "PLADMED_LOGIN_RATE_PER_ACCOUNT": "0",
        ])
        defer { server.kill() }
        let target = "http://127.0.0.1:\(server.port)"
        // The user is not a superuser: /credits and /users/probe_limit only refuse them, and are fuzzed with the superuser's token.
        for (email, password, skipped) in [("fuzz@example.com", "Secure_Pass1", ["/credits", "/users/probe_limit"]), ("root@example.com", "R00t!pass", [])] {
            let token = try await Self.login(target, email: email, password: password)
            let run = try await CLITests.run(executable, [
                "run", Repository.file("docs/endpoints/openapi.yaml").path, "--url", target, "--header", "access_token: \(token)",
                "--checks", "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
                "--exclude-path", "/delete_all", "--exclude-path", "/logout", "--max-time", "30", "--seed", "7",
                "--generation-database", "none", "--no-color", "--workers", "1",
            ] + skipped.flatMap { ["--exclude-path", $0] }, directory: folder.url)
            #expect(run.status == 0, "as \(email):\n\(run.output.suffix(6000))")
            #expect(!run.output.contains("Authentication failed"), "as \(email): the token stopped working\n\(run.output.suffix(3000))")
        }
    }

    static func login(_ target: String, email: String, password: String) async throws -> String {
        let answer = try await HTTPTarget(baseURL: target, timeout: .seconds(10))
            .send("POST", "/login", body: Data(#"{"email":"\#(email)","password":"\#(password)"}"#.utf8))
        return try #require(try JSONValue(parsing: answer.body)["access_token"]?.string)
    }
}
