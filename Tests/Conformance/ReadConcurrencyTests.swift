import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import PladmedCore
import PladmedServer
import PladmedStorage
import PladmedTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A `pladmed serve` child on SQLite under 64 concurrent keep-alive clients that mix point reads (the token's
/// user) with list reads (its probes, its operations): every request is answered. Reads that block their thread
/// for a reader and reads that hold a reader across a suspension once deadlocked the server's two cooperative
/// threads with the pool's five readers; the server then answered nothing at all.
@Suite("Concurrent reads on SQLite")
struct ReadConcurrencyTests {
    @Test("64 clients mixing point and list reads all get answers")
    func mixedReadsUnderLoad() async throws {
        let folder = TemporaryDirectory()
        let environment = ["PLADMED_SQLITE_PATH": folder.path("pladmed.sqlite")]
        let store = try PladmedApplication.openStore(try ServerConfiguration(environment: environment))
        try await PladmedApplication.prepare(store, logger: Logger(label: "read-test"), retrying: false)
        let owner = try await store.createUser(email: "reader@example.com", passwordHash: PasswordHasher(rounds: 1000).hash("Secure_Pass1"), isSuperuser: false)
        for _ in 0..<20 { _ = try await store.createProbe(owner: owner.id, location: Location(latitude: 1, longitude: 2)) }
        let token = TokenService(secret: "dev").userToken(for: owner)
        let server = try CrashTests.ServerProcess(environment: environment)
        defer { server.kill() }

        // A deadlocked server keeps its connections open and the test client's read timeout cannot end a request
        // whose promise is never fulfilled: after 60 s the watchdog kills the server, failing what is in flight.
        let watchdog = Task {
            try await Task.sleep(for: .seconds(60))
            kill(server.process.processIdentifier, SIGKILL)
        }
        defer { watchdog.cancel() }
        let clients = 64, requestsPerClient = 60
        let paths = ["/users/me", "/probes", "/users/me", "/operations/me"]
        let answered = await withTaskGroup(of: Int.self) { group in
            for index in 0..<clients {
                group.addTask {
                    let client = TestClient(host: "127.0.0.1", port: server.port)
                    client.connect()
                    var headers = HTTPFields()
                    headers[HTTPField.Name("access_token")!] = token
                    var ok = 0
                    do {
                        for request in 0..<requestsPerClient {
                            let response = try await client.get(paths[(index + request) % paths.count], headers: headers)
                            if response.status == .ok { ok += 1 }
                        }
                    } catch {
                        Issue.record(error, "client \(index) after \(ok) answers")
                    }
                    try? await client.shutdown()
                    return ok
                }
            }
            return await group.reduce(0, +)
        }
        #expect(answered == clients * requestsPerClient)
    }
}
