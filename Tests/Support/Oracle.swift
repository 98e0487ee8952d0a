import Foundation

/// Runs the third-party oracles of `scripts/` (PyJWT, passlib, openapi-spec-validator) with the venv that
/// `make test` creates under `.venv/`.
public enum Oracle {
    /// Why an oracle could not answer.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// The venv's Python.
    public static var python: URL { Repository.file(".venv/bin/python") }

    /// Runs `scripts/<script>` with `arguments` (with the Python of `.venv/<venv>` when given); returns
    /// standard output without the trailing newline. Throws when the venv is missing or the script exits non-zero.
    public static func run(_ script: String, _ arguments: [String], venv: String? = nil) throws -> String {
        let python = venv.map { Repository.file(".venv/\($0)/bin/python") } ?? Self.python
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw Failure(description: "no venv at \(python.path): run `make test` (or `make venv`) first")
        }
        let process = Process()
        process.executableURL = python
        process.arguments = [Repository.file("scripts/\(script)").path] + arguments
        process.currentDirectoryURL = Repository.root
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(script) \(arguments.first ?? "") exited \(process.terminationStatus): \(errorText)")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    /// ``run(_:_:venv:)`` on a Dispatch thread, for async callers: waiting for a child on one of the cooperative
    /// pool's threads (two on this machine) can starve a server running in the same process, which the child talks to.
    public static func runDetached(_ script: String, _ arguments: [String], venv: String? = nil) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try run(script, arguments, venv: venv) })
            }
        }
    }
}
