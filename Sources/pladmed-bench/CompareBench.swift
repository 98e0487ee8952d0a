import ArgumentParser
import Foundation
import PladmedCore
import PladmedTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `pladmed-bench compare`: the original backend, ours and a bare Hummingbird route (`socketio-echo`'s 404), started
/// on loopback side by side and measured by the same client in one run, each scenario in alternation; prints the
/// figures, the ratios and the targets, and writes them as JSON.
struct CompareBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare", abstract: "Ours beside the original and a bare route, in one run (make bench-compare).")

    @Option(help: "Seconds per HTTP measurement.")
    var seconds: Double = 5

    @Option(help: "Rounds of the HTTP measurements (they alternate between the targets).")
    var rounds = 2

    @Option(help: "Dispatch samples per backend and round.")
    var samples = 200

    @Option(help: "Rounds of the dispatch measurement (they alternate between the backends); each backend's median round counts.")
    var dispatchRounds = 5

    @Option(help: "The scenarios to run, comma-separated: http, dispatch, ingest.")
    var scenarios = "http,dispatch,ingest"

    @Option(help: "Probes uploading in the ingest scenario, and results each.")
    var ingestProbes = 20
    @Option(help: "Results each ingest probe uploads.")
    var ingestResults = 200

    @Option(help: "Seconds after which an ingest probe stops uploading (the original takes minutes for what ours does in one).")
    var ingestSeconds: Double = 30

    @Option(help: "The repository root (scripts/, Fixtures/, .venv/).")
    var root = FileManager.default.currentDirectoryPath

    @Option(help: "Write the figures as JSON here.")
    var json = "bench-compare.json"

    struct Report: Codable {
        var http: [Scenarios.HTTPFigure] = []
        /// Each backend's median round (the original's, then ours).
        var dispatch: [Scenarios.DispatchFigure] = []
        /// Every round, in the order measured.
        var dispatchRounds: [Scenarios.DispatchFigure] = []
        var ingest: [Scenarios.IngestFigure] = []
        var ratios: [String: Double] = [:]
    }

    func run() async throws {
        let chosen = Set(scenarios.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        guard !chosen.isEmpty, chosen.isSubset(of: ["http", "dispatch", "ingest"]) else {
            throw ValidationError("--scenarios lists http, dispatch or ingest, not '\(scenarios)'")
        }
        guard dispatchRounds >= 1, samples >= 1 else { throw ValidationError("--dispatch-rounds and --samples must be at least 1") }
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pladmed-compare-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        let control = try freePort(), originalPort = try freePort()
        let original = try BenchProcess(
            executable: URL(fileURLWithPath: root + "/.venv/original/bin/python"), arguments: [root + "/Tests/Helpers/peers/original_peer.py"],
            environment: ["PORT": "\(originalPort)", "ORIGINAL_CTRL_PORT": "\(control)", "HOST": "127.0.0.1", "SECRET_KEY": "dev",
                          "FLASK_ENV": "development", "DEBUG": "0", "ORIGINAL_WORKDIR": folder.path], port: originalPort)
        defer { original.stop() }
        let sqlite = folder.appendingPathComponent("ours.sqlite").path
        let ours = try BenchProcess(
            executable: bin.appendingPathComponent("pladmed"), arguments: ["serve", "--host", "127.0.0.1", "--port", "0"],
            environment: ["SECRET_KEY": "dev", "PLADMED_SQLITE_PATH": sqlite,
                          "PLADMED_LOGIN_RATE_PER_ADDRESS": "0", "PLADMED_LOGIN_RATE_PER_ACCOUNT": "0"],
            portPattern: #"port=(\d+) \[pladmed\] serving"#)
        defer { ours.stop() }
        let bare = try BenchProcess(
            executable: bin.appendingPathComponent("socketio-echo"), arguments: ["--port", "0"], environment: [:],
            portPattern: #"listening on 127\.0\.0\.1:(\d+)"#)
        defer { bare.stop() }

        let theirs = try RemoteBackend(
            baseURL: "http://127.0.0.1:\(originalPort)", superuser: "bench-super@example.com:B3nch!super",
            createSuperuser: #"curl -sf -X POST http://127.0.0.1:\#(control)/cli -d '{"args":["superuser","create","{email}","{password}"]}'"#)
        let mine = try RemoteBackend(
            baseURL: "http://127.0.0.1:\(ours.port)", superuser: "bench-super@example.com:B3nch!super",
            createSuperuser: "PLADMED_SQLITE_PATH=\(sqlite) \(bin.appendingPathComponent("pladmed").path) superuser create {email} {password}")
        try await theirs.waitUntilAnswering()
        try await mine.waitUntilAnswering()
        say("seeding both: an account, 100 probes, 10 of them connected")
        say("original on :\(originalPort), ours on :\(ours.port) (release build, SQLite), bare route on :\(bare.port)")

        // The same data on both: 100 probes registered, 10 of them connected; one account reads its own.
        var tokens: [String: String] = [:]
        var connected: [Any] = []
        for (name, backend) in [("original", theirs), ("ours", mine)] {
            let account = try await backend.account(credits: 1000)
            let probes = try await backend.probes(100, token: account.token)
            for probe in probes.prefix(10) { connected.append(try await backend.connect(probeToken: probe.token)) }
            _ = try await backend.call("POST", "/ping", #"{"probes":["\#(probes[0].id)"],"params":{"cron":"* * * * *","stop_time":"01/01/2020 00:00","times_per_minute":1,"ips":["192.0.2.1"]}}"#, token: account.token)
            tokens[name] = account.token
        }

        var report = Report()
        let targets: [(name: String, host: String, port: Int, path: String, token: String?)] = [
            ("bare", "127.0.0.1", bare.port, "/nope", nil),
            ("original", theirs.host, theirs.port, "/probes", nil), ("ours", mine.host, mine.port, "/probes", nil),
            ("original", theirs.host, theirs.port, "/users/me", tokens["original"]), ("ours", mine.host, mine.port, "/users/me", tokens["ours"]),
            ("original", theirs.host, theirs.port, "/operations/me", tokens["original"]),
            ("ours", mine.host, mine.port, "/operations/me", tokens["ours"]),
        ]
        var best: [String: Scenarios.HTTPFigure] = [:]
        for round in 1...rounds where chosen.contains("http") {
            for target in targets {
                var figure = try await Scenarios.http(
                    target: target.name, host: target.host, port: target.port, path: target.path,
                    headers: target.token.map { [("access_token", $0)] } ?? [], connections: 10, seconds: seconds)
                figure.target = target.name
                report.http.append(figure)
                let key = target.name + " " + target.path
                if (best[key]?.requestsPerSecond ?? 0) < figure.requestsPerSecond { best[key] = figure }
                say(String(format: "round %d: %@ %@ %.0f requests/s, p99 %.3f ms", round, target.name, target.path, figure.requestsPerSecond, figure.p99Milliseconds))
            }
        }
        // The machine's speed drifts within minutes: the backends take turns, and each one's median round counts.
        var dispatchFigures: [[Scenarios.DispatchFigure]] = [[], []]
        for round in 1...dispatchRounds where chosen.contains("dispatch") {
            for (index, backend) in [theirs, mine].enumerated() {
                let figure = try await Scenarios.dispatch(backend, samples: samples)
                say(String(format: "round %d: dispatch %@: p50 %.3f ms, p99 %.3f ms", round, backend.baseURL, figure.p50Milliseconds, figure.p99Milliseconds))
                report.dispatchRounds.append(figure)
                dispatchFigures[index].append(figure)
            }
        }
        if chosen.contains("dispatch") {
            report.dispatch = dispatchFigures.map { $0.sorted { $0.p50Milliseconds < $1.p50Milliseconds }[$0.count / 2] }
        }
        let warts = Array(try Data(contentsOf: URL(fileURLWithPath: root + "/Fixtures/warts/sample-backend-warts_example.warts")))
        for backend in [theirs, mine] where chosen.contains("ingest") {
            let figure = try await Scenarios.ingest(
                backend, probes: ingestProbes, results: ingestResults, warts: warts, deadline: .milliseconds(Int64(ingestSeconds * 1000)))
            say(String(format: "ingest %@: %d of %d acknowledged, %d probes dropped, %.0f results/s", backend.baseURL, figure.acknowledged,
                         figure.results, figure.droppedProbes, figure.resultsPerSecond))
            report.ingest.append(figure)
        }

        func rps(_ key: String) -> Double { best[key]?.requestsPerSecond ?? 0 }
        if chosen.contains("http") {
            report.ratios["ours/original GET /probes"] = rps("ours /probes") / max(1, rps("original /probes"))
            report.ratios["ours GET /probes / bare"] = rps("ours /probes") / max(1, rps("bare /nope"))
            report.ratios["ours GET /users/me / bare"] = rps("ours /users/me") / max(1, rps("bare /nope"))
            report.ratios["ours GET /operations/me / bare"] = rps("ours /operations/me") / max(1, rps("bare /nope"))
        }
        if chosen.contains("dispatch") {
            report.ratios["ours/original dispatch p50"] = report.dispatch[1].p50Milliseconds / report.dispatch[0].p50Milliseconds
        }
        if chosen.contains("ingest") {
            report.ratios["ours/original ingest"] = report.ingest[1].resultsPerSecond / max(0.001, report.ingest[0].resultsPerSecond)
        }
        say("")
        for figure in report.ingest where figure.droppedProbes > 0 {
            say("note: \(figure.target) dropped \(figure.droppedProbes) of \(figure.probes) uploading probes; its rate counts the \(figure.acknowledged) results it acknowledged")
        }
        say("| measure | original | ours | bare route | ratio | target |")
        say("|---|---|---|---|---|---|")
        if chosen.contains("http") {
            say(String(format: "| GET /probes (100 probes, 10 connected), requests/s | %.0f | %.0f | %.0f | %.1fx original, %.0f%% of bare | >= 10x, >= 70%% |",
                         rps("original /probes"), rps("ours /probes"), rps("bare /nope"), report.ratios["ours/original GET /probes"]!,
                         100 * report.ratios["ours GET /probes / bare"]!))
            say(String(format: "| GET /probes p99 at 10 connections, ms | %.2f | %.2f | | | < 5 ms |",
                         best["original /probes"]?.p99Milliseconds ?? 0, best["ours /probes"]?.p99Milliseconds ?? 0))
            say(String(format: "| GET /users/me, requests/s | %.0f | %.0f | | %.0f%% of bare | >= 60%% |",
                         rps("original /users/me"), rps("ours /users/me"), 100 * report.ratios["ours GET /users/me / bare"]!))
            say(String(format: "| GET /operations/me, requests/s | %.0f | %.0f | | %.0f%% of bare | >= 60%% |",
                         rps("original /operations/me"), rps("ours /operations/me"), 100 * report.ratios["ours GET /operations/me / bare"]!))
        }
        if chosen.contains("dispatch") {
            say(String(format: "| dispatch p50 / p99, ms (median of %d rounds) | %.3f / %.3f | %.3f / %.3f | | %.2fx | <= 0.25x, p50 < 1 ms |",
                         dispatchRounds, report.dispatch[0].p50Milliseconds, report.dispatch[0].p99Milliseconds,
                         report.dispatch[1].p50Milliseconds, report.dispatch[1].p99Milliseconds, report.ratios["ours/original dispatch p50"]!))
        }
        if chosen.contains("ingest") {
            say(String(format: "| ingest (%d probes x up to %d warts results, %.0f s at most), results/s | %.0f | %.0f | | %.0fx | >= 50x, >= 5000/s |",
                         ingestProbes, ingestResults, ingestSeconds, report.ingest[0].resultsPerSecond, report.ingest[1].resultsPerSecond,
                         report.ratios["ours/original ingest"]!))
        }
        try Table.write(report, to: json)
        say("figures written to \(json)")
        _ = connected
    }
}

/// Prints a line at once (standard output is block-buffered into a pipe, and the comparison takes minutes).
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// A child process of the benchmark (a server), killed when stopped; its port is the one given or the one it prints.
final class BenchProcess {
    let process = Process()
    let port: Int

    init(executable: URL, arguments: [String], environment: [String: String], port: Int? = nil, portPattern: String? = nil) throws {
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        if let portPattern {
            let expression = try NSRegularExpression(pattern: portPattern)
            var buffer = ""
            var found: Int?
            while found == nil {
                let chunk = output.fileHandleForReading.availableData
                guard !chunk.isEmpty else { throw BenchError("\(executable.lastPathComponent) exited: \(buffer)") }
                buffer += String(decoding: chunk, as: UTF8.self)
                if let match = expression.firstMatch(in: buffer, range: NSRange(buffer.startIndex..., in: buffer)),
                   let range = Range(match.range(at: 1), in: buffer) {
                    found = Int(buffer[range])
                }
            }
            self.port = found!
        } else {
            self.port = port ?? 0
        }
        output.fileHandleForReading.readOnThread()
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// A port nothing listens on now: bound to 127.0.0.1:0, read back and released.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw BenchError("no free port on 127.0.0.1") }
    return Int(UInt16(bigEndian: address.sin_port))
}
