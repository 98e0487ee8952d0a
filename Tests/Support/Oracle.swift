import Foundation

/// Runs the test helpers of `Tests/Helpers/` (`oracles/`: PyJWT, passlib, openapi-spec-validator, ...; `clients/`;
/// `peers/`) with the venv that `make test` creates under `.venv/`.
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

    /// Runs `Tests/Helpers/<script>` (`oracles/check_spec.py`) with `arguments` (with the Python of `.venv/<venv>` when given) as a
    /// ``ChildProcess``; returns standard output without the trailing newline. Throws when the venv is missing or
    /// the script exits non-zero.
    public static func run(_ script: String, _ arguments: [String], venv: String? = nil) async throws -> String {
        let python = venv.map { Repository.file(".venv/\($0)/bin/python") } ?? Self.python
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw Failure(description: "no venv at \(python.path): run `make test` (or `make venv`) first")
        }
        let run = try await ChildProcess.run(python, [Repository.file("Tests/Helpers/\(script)").path] + arguments, directory: Repository.root)
        guard run.status == 0 else {
            throw Failure(description: "\(script) \(arguments.first ?? "") exited \(run.status): \(String(decoding: run.errors, as: UTF8.self))")
        }
        return run.text.trimmingCharacters(in: .newlines)
    }
}
