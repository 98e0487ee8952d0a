import Foundation
import PladmedTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The real probe software (`../shared/peers/pladmed-client`, unmodified), run by
/// `Tests/Helpers/peers/pladmed_client.sh` in private mount and PID namespaces with a cron daemon of its own, against
/// a TLS endpoint. What it did is read from its log: the tasks it finished and those the backend acknowledged.
final class RealProbe: @unchecked Sendable {
    /// The running client; ``restart()`` replaces it (the test's one task calls it, never concurrently).
    private var process = Process()
    private let arguments: [String]
    /// Holds the client's code, state, cron spool and logs.
    let folder = TemporaryDirectory()

    /// Starts the client for the probe of `token`, talking to 127.0.0.1:`port` (TLS, trusting `certificate`); its
    /// local ports are `portBase` to `portBase + 2` (different for clients side by side).
    init(port: Int, token: String, certificate: TestCertificate, portBase: Int) throws {
        let source = Repository.root.deletingLastPathComponent().appendingPathComponent("shared/peers/pladmed-client/src")
        guard FileManager.default.fileExists(atPath: source.appendingPathComponent("main.py").path) else {
            throw Oracle.Failure(description: "the real probe software is not at \(source.path)")
        }
        let venv = Repository.file(".venv/pladmed-client")
        guard FileManager.default.isExecutableFile(atPath: venv.appendingPathComponent("bin/python").path) else {
            throw Oracle.Failure(description: "no venv at \(venv.path): run `make test` (or `make venv`) first")
        }
        guard getuid() == 0 else {
            throw Oracle.Failure(description: "the real probe runs as root (scamper's raw sockets, namespaces, cron): run `make test` as root")
        }
        arguments = [folder.path("work"), source.path, venv.path, "127.0.0.1:\(port)", token, certificate.certificate, String(portBase)]
        FileManager.default.createFile(atPath: folder.path("launcher.log"), contents: nil)
        try launch()
    }

    private func launch() throws {
        // The script execs `unshare`, whose death kills everything in the namespaces (``stop()``).
        process = Process()
        process.executableURL = Repository.file("Tests/Helpers/peers/pladmed_client.sh")
        process.arguments = arguments
        process.environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: folder.path("launcher.log")))
        errors.seekToEndOfFile()
        process.standardError = errors
        try process.run()
        ChildProcess.killAtExit(process.processIdentifier)
    }

    /// Kills the client and starts it again on the same state, as a volunteer restarting it would: at its start it
    /// sends again the results it finished and holds unacknowledged (its log goes on in the same file).
    func restart() async throws {
        await stop()
        try launch()
    }

    /// The client's own output (python-socketio's and its prints).
    var log: String { (try? String(contentsOfFile: folder.path("work/client.log"), encoding: .utf8)) ?? "" }

    /// What went wrong starting it, if anything.
    var launcherLog: String { (try? String(contentsOfFile: folder.path("launcher.log"), encoding: .utf8)) ?? "" }

    /// Matches of `pattern` anywhere in `text` (the log by default), each as its capture groups: the client prints
    /// from several threads and processes, so that one line may hold the ends of two messages.
    private func matches(_ pattern: String, in text: String? = nil) -> [[String]] {
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return [] }
        let text = text ?? log
        let range = NSRange(text.startIndex..., in: text)
        return expression.matches(in: text, range: range).map { match in
            (1..<match.numberOfRanges).map { index in Range(match.range(at: index), in: text).map { String(text[$0]) } ?? "" }
        }
    }

    /// Task codes by operation id, from the messages `<prefix> <code> for operation: <id>`.
    private func tasks(_ prefix: String) -> [String: Set<String>] {
        var found: [String: Set<String>] = [:]
        for groups in matches(prefix + #"\s+([0-9a-f-]{36})\s+for operation:\s+([0-9a-f]{24})"#) {
            found[groups[1], default: []].insert(groups[0])
        }
        return found
    }

    /// The measurements it finished, by operation (`Got finished task: CODE for operation: ID`).
    var finished: [String: Set<String>] { tasks("Got finished task:") }
    /// The results whose acknowledgement it took as stored, by operation (`Successfully sent task: ...`).
    var acknowledged: [String: Set<String>] { tasks("Successfully sent task:") }

    /// One `results` upload and the answer it got.
    struct Upload: Hashable {
        let operation: String
        let code: String
        /// The ack: the operation id (stored), `{"Error": ...}`, or nil when none came.
        let ack: String?
    }

    /// Every `results` event it sent (`Sending packet MESSAGE data 51-N["results",{...}]`) with its ack
    /// (`Received packet MESSAGE data 3N[...]`), from python-engineio's packet log; ack ids start again with each
    /// connection, so each connection's part of the log is read on its own.
    var uploads: [Upload] {
        log.components(separatedBy: "WebSocket connection accepted").flatMap { part in
            var acks: [String: String] = [:]
            for groups in matches(#"Received packet MESSAGE data 3(\d+)\[(.*?)\]\n"#, in: part) { acks[groups[0]] = groups[1] }
            return matches(
                #"Sending packet MESSAGE data 51-(\d+)\["results",\{"operation_id":"([0-9a-f]{24})","content":\{[^}]*\},"unique_code":"([^"]+)""#,
                in: part
            ).map { Upload(operation: $0[1], code: $0[2], ack: acks[$0[0]]) }
        }
    }

    /// The credits of every `new_operation` and `finish_operation` event it sent, in total.
    var creditsClaimed: (new: Double, finished: Double) {
        func total(_ event: String) -> Double {
            matches(#"Sending packet MESSAGE data 2\[""# + event + #"",\{"credits":([0-9.eE+-]+)\}\]"#).reduce(0) { $0 + (Double($1[0]) ?? 0) }
        }
        return (total("new_operation"), total("finish_operation"))
    }

    /// Whether a process of the client died of an exception (its own races: a Python traceback in its log).
    var crashed: Bool { log.contains("Traceback (most recent call last)") }

    /// Results waiting in its folder to be sent (a backend that never acknowledges leaves them there).
    var pending: [String] { (try? FileManager.default.contentsOfDirectory(atPath: folder.path("work/safe_storage/results"))) ?? [] }
    /// The Socket.IO connections it made (`Client connected` lines).
    var connections: Int { matches(#"(Client connected)"#).count }

    /// Keeps the client's and cron's logs as `.build/real-probe/<name>.client.log` and `.cron.log` (the temporary
    /// folder goes with the test): what to read when a run went wrong.
    func keepLogs(as name: String) {
        let kept = Repository.file(".build/real-probe")
        try? FileManager.default.createDirectory(at: kept, withIntermediateDirectories: true)
        for log in ["client", "cron"] {
            let target = kept.appendingPathComponent("\(name).\(log).log")
            try? FileManager.default.removeItem(at: target)
            try? FileManager.default.copyItem(atPath: folder.path("work/\(log).log"), toPath: target.path)
        }
    }

    /// Kills the client, its cron daemon and every measurement they started (off the cooperative pool: it waits).
    func stop() async {
        let process = self.process
        try? await ChildProcess.offCooperativePool {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { kill(process.processIdentifier, SIGKILL) }
}
