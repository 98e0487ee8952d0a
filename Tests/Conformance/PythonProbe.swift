import Foundation
#if canImport(Glibc)
import Glibc
#endif
import PladmedCore
import PladmedTestSupport

/// A real probe: python-socketio 5.0.4 (what probes pin) running Tests/Helpers/clients/probe_driver.py, commanded over
/// stdin; what it observes arrives as JSON lines.
final class PythonProbe: TestProbe, @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let observations = ObservationQueue()

    init(venv: String = "socketio-5.0.4") throws {
        let python = Repository.file(".venv/\(venv)/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw Oracle.Failure(description: "no venv at \(python.path): run `make test` first")
        }
        process.executableURL = python
        process.arguments = [Repository.file("Tests/Helpers/clients/probe_driver.py").path]
        process.standardInput = input
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let buffer = Mutex(Data())
        let observations = self.observations
        output.fileHandleForReading.readOnThread { chunk in
            let complete: [Data] = buffer.withLock { pending in
                pending.append(chunk)
                var found: [Data] = []
                while let newline = pending.firstIndex(of: 0x0A) {
                    found.append(pending[pending.startIndex..<newline])
                    pending.removeSubrange(pending.startIndex...newline)
                }
                return found
            }
            for line in complete {
                if let value = try? JSONValue(parsing: line) { observations.append(value) }
            }
        }
        try process.run()
    }

    deinit {
        try? input.fileHandleForWriting.close()
        // python-socketio's client threads outlive stdin and SIGTERM: end the probe outright.
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    func send(_ command: JSONValue) throws {
        input.fileHandleForWriting.write(try command.serialized() + Data("\n".utf8))
    }

    func next(within seconds: Double) async -> JSONValue? {
        await observations.next(within: seconds)
    }

    func connect(port: Int, token: String?, headers: [String: String]) async throws -> JSONValue? {
        var command: [String: JSONValue] = [
            "cmd": .string("connect"),
            "url": .string("http://127.0.0.1:\(port)\(token.map { "?token=\($0)" } ?? "")"),
            "headers": .object(headers.mapValues(JSONValue.string)),
        ]
        command["token"] = token.map(JSONValue.string)
        try send(.object(command))
        return await next()
    }

    func upload(operation: String, path: String, code: String, format: String) async throws -> JSONValue? {
        try send(.object(["cmd": .string("upload"), "operation_id": .string(operation), "path": .string(path),
                          "unique_code": .string(code), "format": .string(format)]))
        return await next()
    }

    func emit(_ event: String, _ data: JSONValue) async throws {
        try send(.object(["cmd": .string("emit"), "event": .string(event), "data": data]))
    }

    func disconnect() async throws -> JSONValue? {
        try send(.object(["cmd": .string("disconnect")]))
        return await next()
    }
}
