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

/// A `pladmed serve` child process killed with SIGKILL while 20 probes upload results in a loop: after a
/// restart on the same store (SQLite file, or MongoDB database), every result that was acknowledged is stored
/// exactly once and rewarded once.
@Suite("Crash safety of acknowledged results")
struct CrashTests {
    /// `pladmed serve` on `port` (a free one when 0) over the store `environment` names.
    final class ServerProcess: @unchecked Sendable {
        let process = Process()
        let port: Int

        init(environment: [String: String], port: Int = 0) throws {
            process.executableURL = CLITests.binary
            process.arguments = ["serve", "--host", "127.0.0.1", "--port", String(port)]
            process.environment = ["SECRET_KEY": "dev", "PATH": "/usr/bin:/bin"].merging(environment) { $1 }
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            // A server a test restarts, or forgets, must not outlive the test process.
            ChildProcess.killAtExit(process.processIdentifier)
            // The "serving" line, as text or as JSON (LOG_FORMAT=json).
            let pattern = environment["LOG_FORMAT"] == "json" ? #""port":"(\d+)""# : #"port=(\d+) \[pladmed\] serving"#
            self.port = try output.listeningPort(matching: pattern, child: "pladmed serve", drain: true)
        }

        func kill() {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        /// Sends SIGTERM and waits for the exit (off the cooperative pool); returns the exit status.
        func terminate() async throws -> Int32 {
            let process = self.process
            return try await ChildProcess.offCooperativePool {
                Glibc.kill(process.processIdentifier, SIGTERM)
                process.waitUntilExit()
                return process.terminationStatus
            }
        }
    }

    /// A python-socketio probe uploading in a loop (Tests/Helpers/clients/probe_uploader.py, reconnecting with `reconnect`, over
    /// long-polling then WebSocket with `polling`); collects acknowledged codes, the jobs it got and the session id of
    /// each of its connections.
    final class Uploader: @unchecked Sendable {
        let process = Process()
        let acknowledged = Mutex<[String]>([])
        let connected = Mutex(false)
        let connections = Mutex(0)
        let sessions = Mutex<[String]>([])
        let jobs = Mutex<[String]>([])

        init(port: Int, token: String, prefix: String, reconnect: Bool = false, polling: Bool = false) throws {
            process.executableURL = Repository.file(".venv/socketio-5.0.4/bin/python")
            process.arguments = [Repository.file("Tests/Helpers/clients/probe_uploader.py").path, String(port), token,
                                 Repository.file("Fixtures/warts/sample-backend-warts_example.warts").path, prefix]
                + (reconnect ? ["--reconnect"] : []) + (polling ? ["--polling"] : [])
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            let acknowledged = self.acknowledged, connected = self.connected, connections = self.connections
            let sessions = self.sessions, jobs = self.jobs
            let pending = Mutex("")
            output.fileHandleForReading.readOnThread { chunk in
                let text = String(decoding: chunk, as: UTF8.self)
                let lines: [Substring] = pending.withLock { buffer in
                    buffer += text
                    guard let last = buffer.lastIndex(of: "\n") else { return [] }
                    let complete = buffer[..<last].split(separator: "\n")
                    buffer = String(buffer[buffer.index(after: last)...])
                    return complete
                }
                for line in lines {
                    if line.hasPrefix("connected ") {
                        connected.withLock { $0 = true }
                        connections.withLock { $0 += 1 }
                        sessions.withLock { $0.append(String(line.dropFirst(10))) }
                    }
                    if line == "disconnected" { connected.withLock { $0 = false } }
                    if line.hasPrefix("job ") { jobs.withLock { $0.append(String(line.dropFirst(4))) } }
                    if line.hasPrefix("acked ") { acknowledged.withLock { $0.append(String(line.dropFirst(6))) } }
                }
            }
            try process.run()
        }

        deinit {
            if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    /// Opens (and prepares) a new connection to the store `environment` names.
    static func storeOpener(_ environment: [String: String]) throws -> @Sendable () async throws -> any Store {
        let configuration = try ServerConfiguration(environment: environment)
        return {
            let store = try PladmedApplication.openStore(configuration)
            try await PladmedApplication.prepare(store, logger: Logger(label: "child-server-test"), retrying: false)
            return store
        }
    }

    /// An owner with a million credits and `count` probes of theirs.
    static func seed(_ openStore: @Sendable () async throws -> any Store, probes count: Int) async throws -> (User, [Probe]) {
        let store = try await openStore()
        let owner = try await store.createUser(
            email: "owner@example.com", passwordHash: PasswordHasher(rounds: 1000).hash("Secure_Pass1"), isSuperuser: false)
        _ = try await store.addCredits(1_000_000, to: owner.id)
        var probes: [Probe] = []
        for _ in 0..<count { probes.append(try await store.createProbe(owner: owner.id, location: Location(latitude: 0, longitude: 0))) }
        return (owner, probes)
    }

    /// `POST /traceroute` by `owner` on `probes` with `params`, through a server on `port`; returns its status.
    static func traceroute(
        port: Int, owner: User, probes: [Probe], params: String, openStore: @Sendable () async throws -> any Store
    ) async throws -> HTTPResponse.Status {
        let current = try #require(try await openStore().user(id: owner.id))
        let body = #"{"probes":[\#(probes.map { "\"\($0.id.hex)\"" }.joined(separator: ","))],"params":\#(params),"result_format":"json"}"#
        let client = TestClient(host: "127.0.0.1", port: port)
        client.connect()
        var headers = HTTPFields()
        headers[HTTPField.Name("access_token")!] = TokenService(secret: "dev").userToken(for: current)
        let created = try await client.post("/traceroute", headers: headers, body: ByteBuffer(string: body))
        try await client.shutdown()
        return created.status
    }

    @Test("SIGKILL during 20 concurrent upload loops loses no acknowledged result and stores none twice", arguments: StoreKind.allCases)
    func killDuringUploads(_ kind: StoreKind) async throws {
        let folder = TemporaryDirectory()
        // MongoDB: a SecantusDB of its own, not shared with tests running meanwhile.
        let secantus = kind == .mongo ? try SecantusServer.start() : nil
        defer { secantus?.stop() }
        let environment = if let secantus { ["DATABASE": "mongo", "MONGODB_URI": secantus.uri()] } else {
            ["PLADMED_SQLITE_PATH": folder.path("pladmed.sqlite")]
        }
        let openStore = try Self.storeOpener(environment)
        // SecantusDB rewrites the whole operation document on each push: fewer results make the point there.
        let (target, minimum) = kind == .sqlite ? (300, 20) : (60, 10)
        let tokens = TokenService(secret: "dev")
        let (owner, probes) = try await Self.seed(openStore, probes: 20)
        let server = try ServerProcess(environment: environment)
        let uploaders = try probes.enumerated().map { index, probe in
            try Uploader(port: server.port, token: tokens.probeToken(for: probe), prefix: "p\(index)")
        }
        for _ in 0..<500 where !uploaders.allSatisfy({ $0.connected.withLock { $0 } }) {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(uploaders.allSatisfy { $0.connected.withLock { $0 } })
        try await Task.sleep(for: .milliseconds(300))

        // One traceroute to all 20 probes starts the upload loops.
        let params = #"{"cron":"* * * * *","stop_time":"01/01/2020 00:00","times_per_minute":1,"ips":["8.8.8.8"]}"#
        #expect(try await Self.traceroute(port: server.port, owner: owner, probes: probes, params: params, openStore: openStore) == .created)

        // Let the loops run until a few hundred results are acknowledged (at most 60 s on a loaded machine),
        // then kill the server mid-flight.
        for _ in 0..<3000 where uploaders.reduce(0, { $0 + $1.acknowledged.withLock { $0.count } }) < target {
            try await Task.sleep(for: .milliseconds(20))
        }
        server.kill()
        try await Task.sleep(for: .milliseconds(300))
        let acknowledged = uploaders.flatMap { $0.acknowledged.withLock { $0 } }
        #expect(acknowledged.count >= minimum, "only \(acknowledged.count) results were acknowledged before the kill")

        // Restart on the same store: everything acknowledged is there, once.
        let restarted = try ServerProcess(environment: environment)
        defer { restarted.kill() }
        let store = try await openStore()
        let operations = try await store.operations(owner: owner.id, includeResults: true)
        #expect(operations.count == 1)
        let codes = operations.first?.results.map(\.uniqueCode) ?? []
        #expect(Set(codes).count == codes.count, "a unique code was stored twice")
        let missing = Set(acknowledged).subtracting(codes)
        #expect(missing.isEmpty, "\(missing.count) acknowledged results were lost: \(missing.prefix(5))")
        // Every stored result paid for earned its owner its reward, no more, no less (past those, one per probe is
        // stored unpaid: DEVIATIONS #21).
        let operation = try #require(operations.first)
        let allowance = ResultAllowance(operation)
        let paid = Dictionary(grouping: operation.results, by: \.probe).values.reduce(0) { $0 + min($1.count, allowance.rewardedResultsPerProbe) }
        #expect(try await store.user(id: owner.id)?.credits == 1_000_000 - operation.credits + Double(paid) * allowance.rewardPerResult)
    }
}
