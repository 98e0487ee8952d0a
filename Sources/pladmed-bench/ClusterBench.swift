import ArgumentParser
import Foundation
import PladmedTestSupport
import SocketIO

#if canImport(Glibc)
import Glibc
#endif

/// `pladmed-bench cluster`: three instances in cluster mode (Debian's redis-server, one SecantusDB) beside a single
/// instance on the same SecantusDB, measured by one client in one run: dispatch latency on one instance, within the
/// cluster and across it; results per second; and idle probes held by the three, with each instance's memory.
struct ClusterBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster", abstract: "Three instances joined by Redis beside a single one (make bench-cluster).")

    @Option(help: "Dispatch samples per measurement.")
    var samples = 200

    @Option(help: "Rounds of the dispatch measurements (they alternate between the set-ups).")
    var dispatchRounds = 3

    @Option(help: "Idle probes each instance holds.")
    var idleProbes = 5000

    @Option(help: "Seconds the idle probes are held (past a heartbeat: 25 s) before they are counted again.")
    var hold: Double = 30

    @Option(help: "Probes uploading in the ingest measurement, and results each.")
    var ingestProbes = 10
    @Option(help: "Results each ingest probe uploads.")
    var ingestResults = 20
    @Option(help: "Seconds after which an ingest probe stops uploading.")
    var ingestSeconds: Double = 30

    @Option(help: "The repository root (.venv/, Fixtures/).")
    var root = FileManager.default.currentDirectoryPath

    @Option(help: "Write the figures as JSON here.")
    var json = "bench-cluster.json"

    struct IdleFigure: Codable {
        var instance: String
        var probes: Int
        var connectSeconds: Double
        var rssBeforeMiB: Double
        var rssAfterMiB: Double
        var rssHeldMiB: Double
        var listedConnected: Int
        var listMilliseconds: Double
    }

    struct Report: Codable {
        var dispatch: [String: Scenarios.DispatchFigure] = [:]
        var ingest: [String: Scenarios.IngestFigure] = [:]
        var idle: [IdleFigure] = []
    }

    func run() async throws {
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let pladmed = bin.appendingPathComponent("pladmed").path
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pladmed-cluster-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = FileManager.default.changeCurrentDirectoryPath(root)
        let secantus = try SecantusServer.start()
        defer { secantus.stop() }
        let mongo = secantus.uri(database: "bench")
        let redisPort = try freePort()
        let redis = try BenchProcess(
            executable: URL(fileURLWithPath: "/usr/bin/redis-server"),
            arguments: ["--port", "\(redisPort)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"],
            environment: [:], portPattern: #"port=(\d+)\."#)
        defer { redis.stop() }

        let base = mongo.replacingOccurrences(of: "/bench", with: "/")
        func server(database: String, cluster name: String?) throws -> BenchProcess {
            var environment = [
                "SECRET_KEY": "dev", "DATABASE": "mongo", "MONGODB_URI": base + database, "PLADMED_LOGIN_RATE_PER_ADDRESS": "0",
                "PLADMED_LOGIN_RATE_PER_ACCOUNT": "0", "PLADMED_MAX_CONNECTIONS_PER_ADDRESS": "100000",
            ]
            if let name { environment.merge(["REDIS_URL": "redis://127.0.0.1:\(redisPort)/0", "PLADMED_INSTANCE": name]) { $1 } }
            return try BenchProcess(
                executable: URL(fileURLWithPath: pladmed), arguments: ["serve", "--host", "127.0.0.1", "--port", "0"],
                environment: environment, portPattern: #"port=(\d+) \[pladmed\] serving"#)
        }
        func backend(_ process: BenchProcess, database: String) throws -> RemoteBackend {
            try RemoteBackend(
                baseURL: "http://127.0.0.1:\(process.port)", superuser: "bench-super@example.com:B3nch!super",
                createSuperuser: "DATABASE=mongo MONGODB_URI=\(base + database) \(pladmed) superuser create {email} {password}")
        }
        let single = try server(database: "single", cluster: nil)
        defer { single.stop() }
        let instances = try ["server1", "server2", "server3"].map { try server(database: "cluster", cluster: $0) }
        defer { for instance in instances { instance.stop() } }
        let alone = try backend(single, database: "single")
        let members = try instances.map { try backend($0, database: "cluster") }
        for target in [alone] + members { try await target.waitUntilAnswering() }
        say("single instance on :\(single.port); cluster on :\(instances.map { String($0.port) }.joined(separator: ", :")) (release builds, SecantusDB, redis-server on :\(redisPort))")

        var report = Report()
        // The three in alternation, `rounds` times, so that the store's drift falls on all of them; each keeps its
        // median round (by p50).
        var rounds: [String: [Scenarios.DispatchFigure]] = [:]
        for round in 1...dispatchRounds {
            for (name, figure) in [
                ("single instance", { try await Scenarios.dispatch(alone, samples: samples) }),
                ("cluster, probe on the same instance", { try await Scenarios.dispatch(members[0], samples: samples) }),
                ("cluster, probe on another instance", { try await Scenarios.dispatch(members[0], probesThrough: members[1], samples: samples) }),
            ] as [(String, () async throws -> Scenarios.DispatchFigure)] {
                let measured = try await figure()
                rounds[name, default: []].append(measured)
                say(String(format: "round %d: dispatch, %@: p50 %.3f ms, p99 %.3f ms", round, name, measured.p50Milliseconds, measured.p99Milliseconds))
            }
        }
        for (name, figures) in rounds {
            report.dispatch[name] = figures.sorted { $0.p50Milliseconds < $1.p50Milliseconds }[figures.count / 2]
        }

        let warts = Array(try Data(contentsOf: URL(fileURLWithPath: root + "/Fixtures/warts/sample-backend-warts_example.warts")))
        let deadline = Duration.milliseconds(Int64(ingestSeconds * 1000))
        report.ingest["single instance"] = try await Scenarios.ingest(
            alone, probes: ingestProbes, results: ingestResults, warts: warts, deadline: deadline)
        report.ingest["cluster"] = try await Scenarios.ingest(
            members[0], probesThrough: members, probes: ingestProbes, results: ingestResults, warts: warts, deadline: deadline)
        for (name, figure) in report.ingest.sorted(by: { $0.key > $1.key }) {
            say(String(format: "ingest, %@: %d of %d acknowledged, %.0f results/s", name, figure.acknowledged, figure.results, figure.resultsPerSecond))
        }

        report.idle = try await idle(members, processes: instances)
        say("")
        say("| measure | single instance | cluster of 3 |")
        say("|---|---|---|")
        func latency(_ name: String) -> String {
            report.dispatch[name].map { String(format: "%.3f / %.3f", $0.p50Milliseconds, $0.p99Milliseconds) } ?? "-"
        }
        say("| dispatch p50 / p99, ms, median of \(dispatchRounds) rounds (probe on the instance posted to) | \(latency("single instance")) | \(latency("cluster, probe on the same instance")) |")
        say("| dispatch p50 / p99, ms (probe on another instance) | | \(latency("cluster, probe on another instance")) |")
        say(String(format: "| ingest (%d probes x up to %d warts results), results/s | %.1f | %.1f |", ingestProbes, ingestResults,
                   report.ingest["single instance"]?.resultsPerSecond ?? 0, report.ingest["cluster"]?.resultsPerSecond ?? 0))
        say("")
        say("| instance | idle probes | connected in, s | RSS before / connected / after \(Int(hold)) s, MiB | GET /probes lists connected | GET /probes, ms |")
        say("|---|---|---|---|---|---|")
        for figure in report.idle {
            say(String(format: "| %@ | %d | %.1f | %.0f / %.0f / %.0f | %d | %.1f |", figure.instance, figure.probes, figure.connectSeconds,
                       figure.rssBeforeMiB, figure.rssAfterMiB, figure.rssHeldMiB, figure.listedConnected, figure.listMilliseconds))
        }
        try Table.write(report, to: json)
        say("figures written to \(json)")
    }

    /// `idleProbes` probes connected to each instance at once, held for `hold` seconds; each instance's memory
    /// before, once connected and after the hold, and how many probes each instance's `GET /probes` lists as connected.
    func idle(_ members: [RemoteBackend], processes: [BenchProcess]) async throws -> [IdleFigure] {
        say("registering \(members.count) x \(idleProbes) probes")
        let registered = try await withThrowingTaskGroup(of: (Int, [(id: String, token: String)]).self) { group in
            for (index, member) in members.enumerated() {
                group.addTask {
                    let account = try await member.account(credits: 0)
                    return (index, try await member.probes(idleProbes, token: account.token))
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        let before = processes.map { Self.residentMiB($0.process.processIdentifier) }
        say("connecting them")
        let connected = try await withThrowingTaskGroup(of: (Int, [SocketIOClient], Double).self) { group in
            for (index, member) in members.enumerated() {
                group.addTask {
                    let start = ContinuousClock.now
                    var clients: [SocketIOClient] = []
                    for probe in registered[index] ?? [] { clients.append(try await member.connect(probeToken: probe.token, credits: 1000)) }
                    return (index, clients, inSeconds(ContinuousClock.now - start))
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = ($1.1, $1.2) }
        }
        let after = processes.map { Self.residentMiB($0.process.processIdentifier) }
        say("holding them \(Int(hold)) s")
        try await Task.sleep(for: .milliseconds(Int64(hold * 1000)))
        let held = processes.map { Self.residentMiB($0.process.processIdentifier) }
        var figures: [IdleFigure] = []
        for (index, member) in members.enumerated() {
            let start = ContinuousClock.now
            let listed = try await member.call("GET", "/probes").json?.array ?? []
            let milliseconds = inSeconds(ContinuousClock.now - start) * 1000
            figures.append(IdleFigure(
                instance: "server\(index + 1)", probes: connected[index]?.0.count ?? 0, connectSeconds: connected[index]?.1 ?? 0,
                rssBeforeMiB: before[index], rssAfterMiB: after[index], rssHeldMiB: held[index],
                listedConnected: listed.filter { $0["connected"] == .bool(true) }.count, listMilliseconds: milliseconds))
        }
        withExtendedLifetime(connected) {}
        return figures
    }

    /// The resident memory of process `pid`, in MiB.
    static func residentMiB(_ pid: Int32) -> Double {
        Double(residentKiB(of: pid)) / 1024
    }
}
