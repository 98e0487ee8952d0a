import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Debian's `redis-server` on 127.0.0.1 without persistence, on a free port (or the one given, to restart a
/// stopped server in its place); killed when stopped or when the test process exits.
public final class RedisServer: @unchecked Sendable {
    public let port: Int
    private let process = Process()
    nonisolated(unsafe) private static var pids: [Int32] = []
    private static let pidsLock = NSLock()

    /// Whether Debian's redis-server is installed.
    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server") }

    /// Starts a server; `arguments` are more of redis-server's options (`--requirepass`, ...).
    public init(port: Int? = nil, arguments: [String] = []) throws {
        self.port = try port ?? Self.freePort()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments = ["--port", String(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--protected-mode", "no", "--daemonize", "no", "--dir", FileManager.default.temporaryDirectory.path] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let pid = process.processIdentifier
        Self.pidsLock.withLock {
            if Self.pids.isEmpty { atexit { for pid in RedisServer.pids { kill(pid, SIGKILL) } } }
            Self.pids.append(pid)
        }
        var seen = ""
        while !seen.contains("Ready to accept connections") {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw Oracle.Failure(description: "redis-server exited: \(seen)") }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        output.fileHandleForReading.readabilityHandler = { handle in
            if handle.availableData.isEmpty { handle.readabilityHandler = nil }
        }
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

    /// A port nothing listens on now.
    public static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Oracle.Failure(description: "socket() failed") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw Oracle.Failure(description: "bind() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
