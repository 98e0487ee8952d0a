import ArgumentParser
import Foundation
import PladmedConformance

/// `pladmed-conformance`: judges a running pladmed backend against the contract.
@main
struct ConformanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pladmed-conformance",
        abstract: "Replay the pladmed Postman collection and probe sessions against a running backend.",
        discussion: """
            The target must serve in development mode: the run starts with DELETE /delete_all, then creates the \
            superuser with --create-superuser. Exit status: 0 when every selected case passed, 1 when a case \
            failed, 2 when the suite could not run. See docs/endpoints/CONFORMANCE.md.
            """)

    @Option(help: "The backend, as http://host:port.")
    var baseURL: String

    @Option(help: "The superuser to create and log in as, EMAIL:PASSWORD.")
    var superuser: String?

    @Option(help: ArgumentHelp(
        "A shell command that creates the superuser on the target; {email} and {password} are replaced, and set as PLADMED_SUPERUSER_EMAIL/PASSWORD.",
        valueName: "command"))
    var createSuperuser: String?

    @Option(help: "original (the original implementation's contract) or strict (ours, docs/endpoints/DEVIATIONS.md).")
    var profile: String = "strict"

    @Option(parsing: .upToNextOption, help: "Run only cases with one of these tags (setup cases always run).")
    var only: [String] = []

    @Option(parsing: .upToNextOption, help: "Skip cases with one of these tags.")
    var skip: [String] = []

    @Option(help: "Write a JUnit XML report here.")
    var junit: String?

    @Option(help: "Write a JSON report here.")
    var json: String?

    @Option(help: "Fixes the run's generated values (emails, unique codes).")
    var seed: UInt64 = 1

    @Option(help: "Seconds to wait for one answer or frame (the target gets six times as long to start).")
    var timeout: Double = 10

    @Option(help: "The repository root holding docs/endpoints/ and Fixtures/.")
    var root: String = FileManager.default.currentDirectoryPath

    func run() async throws {
        guard let profile = Profile(rawValue: profile) else { throw ValidationError("--profile is original or strict") }
        var options = ConformanceOptions(baseURL: baseURL, root: root)
        options.profile = profile
        options.only = Set(only)
        options.skip = Set(skip)
        options.seed = seed
        options.timeout = .milliseconds(Int(timeout * 1000))
        if let superuser {
            guard let colon = superuser.firstIndex(of: ":") else { throw ValidationError("--superuser is EMAIL:PASSWORD") }
            options.superuser = (String(superuser[..<colon]), String(superuser[superuser.index(after: colon)...]))
        }
        if let createSuperuser { options.createSuperuser = { try Self.runShell(createSuperuser, email: $0, password: $1) } }
        options.progress = { suite, testCase in Self.print(suite: suite, testCase) }

        let report: ConformanceReport
        do {
            report = try await ConformanceRunner(options: options).run()
        } catch {
            FileHandle.standardError.write(Data("pladmed-conformance: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if let junit { try report.junitXML().write(toFile: junit, atomically: true, encoding: .utf8) }
        if let json { try report.json().serializedText().write(toFile: json, atomically: true, encoding: .utf8) }
        let cases = report.suites.flatMap(\.cases)
        let failed = cases.filter { if case .failed = $0.outcome { true } else { false } }.count
        let skipped = cases.filter { if case .skipped = $0.outcome { true } else { false } }.count
        Swift.print("\n\(cases.count - failed - skipped) passed, \(failed) failed, \(skipped) skipped (\(profile.rawValue) profile, \(baseURL))")
        if !report.passed { throw ExitCode(1) }
    }

    /// One progress line per case; a failure also gets what was sent, expected and received.
    static func print(suite: String, _ testCase: ConformanceReport.Case) {
        let milliseconds = Int(testCase.seconds * 1000)
        switch testCase.outcome {
        case .passed:
            Swift.print("PASS  \(suite) › \(testCase.name) (\(milliseconds) ms)")
        case .skipped(let reason):
            Swift.print("SKIP  \(suite) › \(testCase.name): \(reason)")
        case .failed(let message, let request, let expected, let actual):
            Swift.print("FAIL  \(suite) › \(testCase.name) (\(milliseconds) ms)\n      \(message)")
            for (title, text) in [("request", request), ("expected", expected), ("actual", actual)] where !text.isEmpty {
                Swift.print("      \(title):\n" + text.split(separator: "\n", omittingEmptySubsequences: false).map { "        " + $0 }.joined(separator: "\n"))
            }
        }
    }

    /// Runs `command` with `sh -c`; throws with its output when it fails.
    static func runShell(_ command: String, email: String, password: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command.replacingOccurrences(of: "{email}", with: email).replacingOccurrences(of: "{password}", with: password)]
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["PLADMED_SUPERUSER_EMAIL": email, "PLADMED_SUPERUSER_PASSWORD": password]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ShellError(description: "--create-superuser exited with \(process.terminationStatus): \(text)")
        }
    }
}

/// A `--create-superuser` command that failed.
struct ShellError: Error, CustomStringConvertible {
    let description: String
}
