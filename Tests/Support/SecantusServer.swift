import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// SecantusDB (a MongoDB wire-compatible server from PyPI, `.venv/secantus`), started once per test process on
/// 127.0.0.1 with in-memory storage, and killed when the process exits.
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

    /// `mongodb://127.0.0.1:PORT/`.
    public let uri: String
    public let port: Int
    private let process = Process()

    private static let lock = NSLock()
    nonisolated(unsafe) private static var instance: SecantusServer?
    nonisolated(unsafe) private static var pid: Int32 = 0

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
        Self.pid = process.processIdentifier
        atexit { if SecantusServer.pid > 0 { kill(SecantusServer.pid, SIGKILL) } }
        var buffer = ""
        let deadline = Date().addingTimeInterval(30)
        while !buffer.contains("listening on 127.0.0.1:") || !buffer.hasSuffix("\n") {
            let chunk = log.fileHandleForReading.availableData
            guard !chunk.isEmpty, Date() < deadline else { throw Oracle.Failure(description: "SecantusDB did not start: \(buffer)") }
            buffer += String(decoding: chunk, as: UTF8.self)
        }
        let line = buffer.split(separator: "\n").first { $0.contains("listening on 127.0.0.1:") } ?? ""
        guard let port = line.split(separator: ":").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) else {
            throw Oracle.Failure(description: "no port in SecantusDB's log: \(buffer)")
        }
        self.port = port
        self.uri = "mongodb://127.0.0.1:\(port)/"
        // Keep draining its log so that it never blocks on a full pipe.
        log.fileHandleForReading.readabilityHandler = { handle in
            if handle.availableData.isEmpty { handle.readabilityHandler = nil }
        }
    }
}
