import Foundation

/// A shell command that creates a superuser on a backend, with `{email}` and `{password}` replaced (also set as
/// `PLADMED_SUPERUSER_EMAIL` / `PLADMED_SUPERUSER_PASSWORD`): how the conformance suite and the benchmark get a
/// superuser on a backend they only reach over HTTP, e.g. `pladmed superuser create {email} {password}` or the
/// original's `flask superuser create {email} {password}`.
public struct SuperuserCommand: Sendable {
    /// The command, as given.
    public let template: String

    public init(_ template: String) {
        self.template = template
    }

    /// A `--create-superuser` command that failed.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs the command with `sh -c`; throws with its output when it exits non-zero.
    public func run(email: String, password: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", template.replacingOccurrences(of: "{email}", with: email).replacingOccurrences(of: "{password}", with: password)]
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["PLADMED_SUPERUSER_EMAIL": email, "PLADMED_SUPERUSER_PASSWORD": password]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "--create-superuser exited with \(process.terminationStatus): \(text)")
        }
    }
}
