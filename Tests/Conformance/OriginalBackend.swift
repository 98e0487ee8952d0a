import Foundation
import PladmedConformance
import PladmedTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The original backend (`../shared/peers/original`, run through `Tests/Helpers/peers/original_peer.py` with the venv
/// `.venv/original` that `make test` builds) on 127.0.0.1, as it is or with one contract break injected. Each
/// instance is its own process with its own in-memory database; all are killed when the test process exits.
final class OriginalBackend: @unchecked Sendable {
    /// `http://127.0.0.1:PORT`.
    let baseURL: String
    /// The launcher's control port: `POST /cli {"args": [...]}` runs a Flask command in the server's process.
    let controlPort: Int
    /// The mutant it runs with, if any.
    let mutant: String?
    private let process = Process()
    private let folder: URL

    nonisolated(unsafe) private static var pids: [Int32] = []
    private static let pidsLock = NSLock()

    /// The mutants `Tests/Helpers/peers/original_peer.py` knows: name and what each breaks.
    static func mutants() async throws -> [(name: String, breaks: String)] {
        try await Oracle.run("peers/original_peer.py", ["--list"], venv: "original").split(separator: "\n").map { line in
            let parts = line.split(separator: "\t", maxSplits: 1)
            return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
        }
    }

    /// Starts the original (with `mutant`, if given) on two free loopback ports. It answers HTTP a second or two
    /// later; the conformance runner waits for that.
    init(mutant: String? = nil) throws {
        let python = Repository.file(".venv/original/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw Oracle.Failure(description: "no venv at \(python.path): run `make test` (or `make venv`) first")
        }
        let launcher = Repository.root.deletingLastPathComponent().appendingPathComponent("shared/peers/original/serve_original.py")
        guard FileManager.default.fileExists(atPath: launcher.path) else {
            throw Oracle.Failure(description: "the original backend is not at \(launcher.path)")
        }
        let port = try LoopbackPort.free(), controlPort = try LoopbackPort.free()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("pladmed-original-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        process.executableURL = python
        process.arguments = [Repository.file("Tests/Helpers/peers/original_peer.py").path] + (mutant.map { [$0] } ?? [])
        process.environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": folder.path,
            "HOST": "127.0.0.1", "PORT": "\(port)", "ORIGINAL_CTRL_PORT": "\(controlPort)", "SECRET_KEY": "dev",
            "FLASK_ENV": "development", "DEBUG": "0", "ORIGINAL_WORKDIR": folder.path, "ORIGINAL_LAUNCHER": launcher.path,
        ]
        process.currentDirectoryURL = folder
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: Self.createFile(folder.appendingPathComponent("stderr.log")))
        self.baseURL = "http://127.0.0.1:\(port)"
        self.controlPort = controlPort
        self.mutant = mutant
        try process.run()
        let pid = process.processIdentifier
        Self.pidsLock.withLock {
            if Self.pids.isEmpty { atexit { for pid in OriginalBackend.pids { kill(pid, SIGKILL) } } }
            Self.pids.append(pid)
        }
    }

    /// What the server wrote on standard error (its start-up lines, the mutant's name).
    var errorLog: String {
        (try? String(contentsOf: folder.appendingPathComponent("stderr.log"), encoding: .utf8)) ?? ""
    }

    /// Creates a superuser through the control port, with the original's own `flask superuser create`.
    func createSuperuser(email: String, password: String) async throws {
        let arguments = try JSONSerialization.data(withJSONObject: ["args": ["superuser", "create", email, password]])
        let control = try HTTPTarget(baseURL: "http://127.0.0.1:\(controlPort)", timeout: .seconds(10))
        let answer = try await control.send("POST", "/cli", body: arguments)
        guard answer.status == 200, answer.text.contains("\"exit_code\": 0") else {
            throw Oracle.Failure(description: "superuser create answered \(answer.status): \(answer.text)")
        }
    }

    /// Kills the server and removes its folder.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: folder)
    }

    private static func createFile(_ url: URL) -> URL {
        FileManager.default.createFile(atPath: url.path, contents: nil)
        return url
    }
}
