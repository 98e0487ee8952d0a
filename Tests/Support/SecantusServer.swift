import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// SecantusDB (a MongoDB wire-compatible server from PyPI, `.venv/secantus`) on 127.0.0.1 with in-memory
/// storage: one shared per test process, or private ones a test may pause; all are killed when the process exits.
public final class SecantusServer: @unchecked Sendable {
    /// The shared server; starting it throws when the venv is missing or it does not come up.
    public static func shared() throws -> SecantusServer {
        try lock.withLock {
            if let server = instance { return server }
            let server = try SecantusServer()
            instance = server
            return server
        }
    }

    /// A server of the caller's own (to pause, resume or kill).
    public static func start() throws -> SecantusServer {
        try SecantusServer()
    }

    /// Freezes the server (SIGSTOP): connections stay open and nothing answers, as with a network partition.
    public func pause() { kill(process.processIdentifier, SIGSTOP) }

    /// Lets a paused server go on (SIGCONT).
    public func resume() { kill(process.processIdentifier, SIGCONT) }

    /// Kills the server.
    public func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// `mongodb://127.0.0.1:PORT/`.
    public let uri: String
    public let port: Int
    private let process = Process()

    private static let lock = NSLock()
    nonisolated(unsafe) private static var instance: SecantusServer?

    /// A URI naming a fresh database, so that each test has its own.
    public func uri(database: String = "t" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20)) -> String {
        "mongodb://127.0.0.1:\(port)/\(database)"
    }

    private init() throws {
        let executable = Repository.file(".venv/secantus/bin/secantusd-py")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw Oracle.Failure(description: "no SecantusDB at \(executable.path): run `make test` (or `make venv`) first")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("secantus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let config = folder.appendingPathComponent("secantusd.toml")
        try Data().write(to: config)
        process.executableURL = executable
        process.arguments = ["--host", "127.0.0.1", "--port", "0", "--storage-path", ":memory:", "--config", config.path]
        process.currentDirectoryURL = folder
        let log = Pipe()
        process.standardError = log
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        ChildProcess.killAtExit(process.processIdentifier)
        let port = try log.listeningPort(matching: #"listening on 127\.0\.0\.1:(\d+)"#, child: "SecantusDB", drain: true)
        self.port = port
        self.uri = "mongodb://127.0.0.1:\(port)/"
    }
}
