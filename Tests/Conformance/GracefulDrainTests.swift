import Foundation
import Logging
import PladmedCore
import PladmedServer
import PladmedStorage
import PladmedTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM to a `pladmed serve` child while python-socketio 5.0.4 probes upload results in a loop: the server
/// drains (the uploads in flight are acknowledged, the probe sessions are closed with 1001 and a reason) and exits
/// 0; restarted on the same port and file, the probes reconnect by themselves and go on; nothing acknowledged is
/// lost or stored twice.
@Suite("Graceful drain")
struct GracefulDrainTests {
    /// A raw WebSocket probe session (Tests/Helpers/clients/close_reason.py) that reports the server's close frame.
    final class CloseWatcher: @unchecked Sendable {
        let process = Process()
        let lines = Mutex<[String]>([])

        init(port: Int, token: String) throws {
            process.executableURL = Repository.file(".venv/socketio-5.0.4/bin/python")
            process.arguments = [Repository.file("Tests/Helpers/clients/close_reason.py").path, String(port), token]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            let lines = self.lines
            output.fileHandleForReading.readOnThread { chunk in
                let text = String(decoding: chunk, as: UTF8.self)
                lines.withLock { $0 += text.split(separator: "\n").map(String.init) }
            }
            try process.run()
        }

        deinit {
            if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    @Test("SIGTERM during 5 upload loops: acknowledged results kept, sessions closed with 1001, probes reconnect after restart")
    func drainDuringUploads() async throws {
        let folder = TemporaryDirectory()
        let environment = [
            "PLADMED_SQLITE_PATH": folder.path("pladmed.sqlite"), "LOG_FILE": folder.path("pladmed.log"), "PLADMED_DRAIN_TIMEOUT": "5",
        ]
        let openStore = try CrashTests.storeOpener(environment)
        let tokens = TokenService(secret: "dev")
        let (owner, probes) = try await CrashTests.seed(openStore, probes: 6)
        let server = try CrashTests.ServerProcess(environment: environment)
        let port = server.port
        let uploaders = try probes.prefix(5).enumerated().map { index, probe in
            try CrashTests.Uploader(port: port, token: tokens.probeToken(for: probe), prefix: "p\(index)", reconnect: true)
        }
        let watcher = try CloseWatcher(port: port, token: tokens.probeToken(for: probes[5]))
        #expect(try await Eventually.holds(within: 20, every: .milliseconds(20)) {
            uploaders.allSatisfy { $0.connected.withLock { $0 } } && watcher.lines.withLock { $0.contains("joined") }
        })

        // Ten runs a minute for two hours: far more results paid for than the loops upload.
        let format = DateFormatter()
        format.dateFormat = "dd/MM/yyyy HH:mm"
        format.timeZone = TimeZone(identifier: "UTC")
        let stop = format.string(from: Date().addingTimeInterval(7200))
        let params = #"{"cron":"* * * * *","stop_time":"\#(stop)","times_per_minute":10,"ips":["8.8.8.8"]}"#
        #expect(try await CrashTests.traceroute(port: port, owner: owner, probes: Array(probes.prefix(5)), params: params, openStore: openStore) == .created)
        let acknowledgedCount = { uploaders.reduce(0) { $0 + $1.acknowledged.withLock { $0.count } } }
        #expect(try await Eventually.holds(within: 60, every: .milliseconds(20)) { acknowledgedCount() >= 50 })

        // SIGTERM in the middle of the loops.
        let start = ContinuousClock.now
        let status = try await server.terminate()
        let took = ContinuousClock.now - start
        #expect(status == 0, "pladmed serve exited \(status) on SIGTERM")
        #expect(took < .seconds(12), "the drain took \(took)")
        #expect(try await Eventually.holds(within: 5, every: .milliseconds(20)) { watcher.lines.withLock { $0.count >= 2 } })
        let close = try JSONValue(parsing: watcher.lines.withLock { $0.last ?? "" })
        #expect(close == .object(["code": .int(1001), "reason": .string("server shutting down")]))
        let log = try String(contentsOfFile: folder.path("pladmed.log"), encoding: .utf8)
        #expect(log.contains("stopping: probe sessions closed unfinished_handlers=0") || log.contains("unfinished_handlers=0"))
        #expect(log.contains("stopped"))
        let beforeRestart = acknowledgedCount()

        // Restarted on the same port and file: the probes come back by themselves and go on uploading.
        let restarted = try CrashTests.ServerProcess(environment: environment, port: port)
        defer { restarted.kill() }
        #expect(try await Eventually.holds(within: 60, every: .milliseconds(20)) {
            uploaders.allSatisfy { $0.connections.withLock { $0 } >= 2 } && acknowledgedCount() >= beforeRestart + 25
        }, "probes reconnected: \(uploaders.map { $0.connections.withLock { $0 } }), acknowledged \(acknowledgedCount()) after \(beforeRestart)")
        restarted.kill()

        let acknowledged = uploaders.flatMap { $0.acknowledged.withLock { $0 } }
        let store = try await openStore()
        let codes = try await store.operations(owner: owner.id, includeResults: true).first?.results.map(\.uniqueCode) ?? []
        #expect(Set(codes).count == codes.count, "a unique code was stored twice")
        let missing = Set(acknowledged).subtracting(codes)
        #expect(missing.isEmpty, "\(missing.count) acknowledged results were lost: \(missing.prefix(5))")
    }
}
