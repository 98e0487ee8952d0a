import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Debian's `redis-server` on 127.0.0.1 without persistence, on a free port (or the one given, to restart a
/// stopped server in its place); killed when stopped or when the test process exits.
public final class RedisServer: @unchecked Sendable {
    public let port: Int
    private let process = Process()

    /// Whether Debian's redis-server is installed.
    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server") }

    /// Starts a server; `arguments` are more of redis-server's options (`--requirepass`, ...).
    public init(port: Int? = nil, arguments: [String] = []) throws {
        self.port = try port ?? LoopbackPort.free()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments = ["--port", String(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--protected-mode", "no", "--daemonize", "no", "--dir", FileManager.default.temporaryDirectory.path] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        ChildProcess.killAtExit(process.processIdentifier)
        var seen = ""
        while !seen.contains("Ready to accept connections") {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw Oracle.Failure(description: "redis-server exited: \(seen)") }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        output.fileHandleForReading.readOnThread()
    }

    /// `redis://127.0.0.1:PORT/DB`, with `credentials` (`user:password@` or `:password@`) when given.
    public func url(database: Int = 0, credentials: String = "") -> String {
        "redis://\(credentials)127.0.0.1:\(port)/\(database)"
    }

    /// Kills the server (SIGKILL) and waits for it.
    public func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { stop() }
    }
}
