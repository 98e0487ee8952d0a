import ArgumentParser
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PladmedCore
import PladmedTestSupport
import PladmedServer
import PladmedStorage
import SocketIO

#if canImport(Glibc)
import Glibc
#endif

/// `pladmed-bench ingest`: the server in-process on a temporary SQLite file and N probes on our Swift
/// Socket.IO client. Measures results/s ingested end to end (upload -> decoded -> stored -> acked) and the
/// dispatch latency from `POST /ping` to the job event at the probe. With `--base-url`, any running backend
/// instead (ingest only), given a superuser to grant the credits.
struct IngestBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ingest", abstract: "Results ingest and dispatch latency.")

    @Option(help: "Simulated probes.")
    var probes = 50

    @Option(help: "Results each probe uploads.")
    var results = 200

    @Option(help: "Dispatch latency samples.")
    var samples = 200

    @Option(help: "The warts file each result carries.")
    var warts = "Fixtures/warts/sample-backend-warts_example.warts"

    @Option(help: "The store: sqlite (a temporary file) or mongo (--mongo-uri, or a SecantusDB started from .venv/secantus).")
    var store = "sqlite"

    @Option(help: "The MongoDB to use with --store mongo.")
    var mongoURI: String?

    @Option(help: "Measure a running backend instead, e.g. --base-url http://127.0.0.1:5000 (ingest only).")
    var baseURL: String?

    @Option(help: "With --base-url: the superuser granting credits, EMAIL:PASSWORD.")
    var superuser: String?

    @Option(help: "With --base-url: a shell command creating the superuser; {email} and {password} are replaced.")
    var createSuperuser: String?

    func run() async throws {
        if let baseURL {
            let backend = try RemoteBackend(baseURL: baseURL, superuser: superuser, createSuperuser: createSuperuser)
            try await backend.waitUntilAnswering()
            let figure = try await Scenarios.ingest(
                backend, probes: probes, results: results, warts: Array(try Data(contentsOf: URL(fileURLWithPath: warts))))
            print(String(format: "ingest: %d of %d results from %d probes acknowledged in %.2f s: %.0f results/s",
                         figure.acknowledged, figure.results, figure.probes, figure.seconds, figure.resultsPerSecond))
            return
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pladmed-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var environment = ["SECRET_KEY": "bench", "HOST": "127.0.0.1", "PORT": "0"]
        environment["PLADMED_SQLITE_PATH"] = folder.appendingPathComponent("bench.sqlite").path
        var secantus: SecantusServer?
        // Python children of this process ignore SIGTERM: killed.
        defer { secantus?.stop() }
        if self.store == "mongo" {
            environment["DATABASE"] = "mongo"
            if let mongoURI {
                environment["MONGODB_URI"] = mongoURI
            } else {
                let server = try SecantusServer.start()
                secantus = server
                environment["MONGODB_URI"] = server.uri(database: "bench")
            }
        }
        let configuration = try ServerConfiguration(environment: environment)
        let store = try PladmedApplication.openStore(configuration)
        try await PladmedApplication.prepare(store, logger: Logger(label: "bench"), retrying: false)
        print("store: \(store.driverName)\(self.store == "mongo" ? " at \(configuration.mongoURI)" : "")")
        let tokens = TokenService(secret: "bench")
        let owner = try await store.createUser(email: "bench@example.com", passwordHash: "x", isSuperuser: false)
        _ = try await store.addCredits(1e12, to: owner.id)
        var created: [Probe] = []
        for _ in 0..<probes { created.append(try await store.createProbe(owner: owner.id, location: Location(latitude: 0, longitude: 0))) }
        let probeRecords = created
        // Where a POST's time goes in the store: the reads and the write (with its commit) it makes.
        func median(_ body: () async throws -> Void) async rethrows -> Double {
            var samples: [Duration] = []
            for _ in 0..<200 {
                let started = ContinuousClock.now
                try await body()
                samples.append(ContinuousClock.now - started)
            }
            let middle = samples.sorted()[100]
            return Double(middle.components.seconds) * 1000 + Double(middle.components.attoseconds) / 1e15
        }
        let read = try await median { _ = try await store.user(id: owner.id) }
        let probesRead = try await median { _ = try await store.probes(ids: [probeRecords[0].id]) }
        let write = try await median {
            _ = try await store.createOperation(NewOperation(kind: .ping, owner: owner.id, params: .object([:]), probes: [probeRecords[0]], credits: 1, resultFormat: "json"))
        }
        print(String(format: "store p50: user read %.3f ms, probes read %.3f ms, operation write (committed) %.3f ms", read, probesRead, write))
        let content = Array(try Data(contentsOf: URL(fileURLWithPath: warts)))
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let app = try PladmedApplication.make(configuration: configuration, store: store, registry: ProbeRegistry(), logger: logger)
        let results = self.results, samples = self.samples, probes = self.probes
        try await app.test(.live) { http in
            let port = http.port!
            let jobs = JobArrivals()
            var clients: [SocketIOClient] = []
            for probe in probeRecords {
                var headers = HTTPFields()
                headers[HTTPField.Name("total_credits")!] = "1000000000"
                headers[HTTPField.Name("in_use_credits")!] = "0"
                let client = SocketIOClient(options: .init(url: "http://127.0.0.1:\(port)", query: ["token": tokens.probeToken(for: probe)], headers: headers))
                for kind in ["traceroute", "ping"] {
                    await client.on(kind) { arguments, _ in
                        if let id = arguments.first?["_id"]?.string { jobs.arrived(id, at: ContinuousClock.now) }
                    }
                }
                try await client.connect()
                clients.append(client)
            }
            let auth = ["access_token": tokens.userToken(for: owner)]

            func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15 }
            // The floor under any REST figure: a request that does next to nothing, on the same client.
            var health: [Duration] = []
            for _ in 0..<samples {
                let started = ContinuousClock.now
                _ = try await http.execute(uri: "/health", method: .get)
                health.append(ContinuousClock.now - started)
            }
            health.sort()
            print(String(format: "HTTP round trip (GET /health), %d samples: p50 %.3f ms, p99 %.3f ms",
                         samples, ms(health[samples / 2]), ms(health[samples * 99 / 100])))

            // Dispatch latency: POST /ping to one probe until its event handler runs.
            var latencies: [Duration] = [], responses: [Duration] = []
            for sample in 0..<samples {
                let probe = probeRecords[sample % probeRecords.count]
                let started = ContinuousClock.now
                let created = try await http.execute(uri: "/ping", method: .post, headers: Self.fields(auth),
                    body: ByteBuffer(string: #"{"probes":["\#(probe.id.hex)"],"params":{"cron":"* * * * *","stop_time":"01/01/2020 00:00","times_per_minute":1,"ips":["8.8.8.8"]}}"#))
                responses.append(ContinuousClock.now - started)
                let id = try JSONValue(parsing: Data(buffer: created.body))["_id"]!.string!
                latencies.append(await jobs.arrival(of: id) - started)
            }
            latencies.sort()
            responses.sort()
            print(String(format: "dispatch latency (POST /ping -> event at the probe), %d samples: p50 %.3f ms, p99 %.3f ms",
                         samples, ms(latencies[latencies.count / 2]), ms(latencies[latencies.count * 99 / 100])))
            print(String(format: "POST /ping response (stored, dispatched, answered): p50 %.3f ms, p99 %.3f ms",
                         ms(responses[responses.count / 2]), ms(responses[responses.count * 99 / 100])))

            // Ingest: one traceroute to every probe, paying for as many runs on each as it uploads results, then every
            // probe uploads its results, one ack at a time.
            let body = #"{"probes":[\#(probeRecords.map { "\"\($0.id.hex)\"" }.joined(separator: ","))],"params":{"cron":"* * * * *","stop_time":"01/01/2020 00:00","times_per_minute":\#(results),"ips":["8.8.8.8"]},"result_format":"json"}"#
            let created = try await http.execute(uri: "/traceroute", method: .post, headers: Self.fields(auth), body: ByteBuffer(string: body))
            let operation = try JSONValue(parsing: Data(buffer: created.body))["_id"]!.string!
            let started = ContinuousClock.now
            let cpuBefore = Self.processCPUSeconds()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, client) in clients.enumerated() {
                    group.addTask {
                        for n in 0..<results {
                            let ack = try await client.emitWithAck("results", [.object([
                                "operation_id": .string(operation), "content": .binary(content),
                                "unique_code": .string("p\(index)-\(n)"), "format": .string("warts"),
                            ])])
                            guard ack == [.string(operation)] else { throw ValidationError("unexpected ack \(ack)") }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let elapsed = ContinuousClock.now - started
            let cpu = Self.processCPUSeconds() - cpuBefore
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let total = probes * results
            print(String(format: "ingest: %d results from %d probes in %.2f s: %.0f results/s (each %d bytes of warts -> %d JSON records, stored, acked)",
                         total, probes, seconds, Double(total) / seconds, content.count, 4))
            print(String(format: "ingest CPU (server and probes together): %.0f µs per result, %.0f%% of one core",
                         cpu / Double(total) * 1e6, cpu / seconds * 100))
            let stored = try await store.operation(id: ObjectID(operation)!, includeResults: true)?.results.count ?? 0
            print("stored results: \(stored) of \(total)")
            if let mongo = store as? MongoStore {
                try await Self.compareWithDatabase(mongo, uri: configuration.mongoURI, resultsPerSecond: Double(total) / seconds, writers: probes)
            }
            for client in clients { await client.disconnect() }
        }
    }

    /// The database's own rate for documents the size of a stored result, measured by pymongo with as many writers as
    /// there were probes (`Tests/Helpers/clients/mongo_insert_rate.py`), and the ingest's share of it.
    static func compareWithDatabase(_ store: MongoStore, uri: String, resultsPerSecond: Double, writers: Int) async throws {
        guard let sample = try await store.connection.findOne("results", [:]) else { return }
        let python = Repository.file(".venv/secantus/bin/python").path
        let run = try await ChildProcess.run(
            URL(fileURLWithPath: python),
            [Repository.file("Tests/Helpers/clients/mongo_insert_rate.py").path, uri, "2000", String(sample.encodedSize), String(writers)])
        guard run.status == 0, let perSecond = (try? JSONValue(parsing: run.output))?["per_second"]?.number else {
            throw ValidationError("mongo_insert_rate.py failed: \(run.text)")
        }
        print(String(format: "database inserts (pymongo, %d writers, %d-byte documents): %.0f/s; ingest is %.2f of it (goal: at least 0.5)",
                     writers, sample.encodedSize, perSecond, resultsPerSecond / perSecond))
    }

    /// User plus system CPU time of this process so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    static func fields(_ values: [String: String]) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in values { fields[HTTPField.Name(name)!] = value }
        return fields
    }
}
