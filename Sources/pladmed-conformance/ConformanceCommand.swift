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
            superuser with --create-superuser. Each case prints PASS, FAIL or SKIP with its duration; a failure also \
            prints the request, the expectation and the answer. Exit status: 0 when every selected case passed, 1 \
            when a case failed, 2 when the suite could not run. See docs/endpoints/CONFORMANCE.md.

            Examples:
              # ours, judged by our contract
              pladmed-conformance --base-url http://127.0.0.1:5000 \\
                --create-superuser 'pladmed superuser create {email} {password}'
              # the original backend, judged by its own behaviour
              pladmed-conformance --base-url http://127.0.0.1:5055 --profile original \\
                --superuser 'admin@pladmed.test:Adm1n!pass' \\
                --create-superuser 'flask superuser create {email} {password}'
              # only what both contracts share, with reports for CI
              pladmed-conformance --base-url http://host:5000 --profile original \\
                --skip deviation --junit report.xml --json report.json
              # the cases and their tags, without running anything
              pladmed-conformance --base-url http://host:5000 --list
            """)

    @Option(help: ArgumentHelp("The backend under test, e.g. --base-url http://127.0.0.1:5000.", valueName: "url"))
    var baseURL: String

    @Option(help: ArgumentHelp(
        "The superuser to create and log in as, e.g. --superuser 'admin@example.com:S3cret!pass' (default conformance-super@example.com:Sup3r!secret).",
        valueName: "email:password"))
    var superuser: String?

    @Option(help: ArgumentHelp(
        "A shell command that creates the superuser on the target after the wipe, e.g. --create-superuser 'pladmed superuser create {email} {password}'; {email} and {password} are replaced, and set as PLADMED_SUPERUSER_EMAIL/PASSWORD. Without it, cases tagged superuser are skipped.",
        valueName: "command"))
    var createSuperuser: String?

    @Option(help: ArgumentHelp(
        "original (the original implementation's behaviour, defects included) or strict (ours: docs/endpoints/DEVIATIONS.md), e.g. --profile original.",
        valueName: "profile"))
    var profile: String = "strict"

    @Option(parsing: .upToNextOption, help: ArgumentHelp(
        "Run only cases with one of these tags (setup cases always run), e.g. --only probe superuser.", valueName: "tag"))
    var only: [String] = []

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Skip cases with one of these tags, e.g. --skip deviation.", valueName: "tag"))
    var skip: [String] = []

    @Option(help: ArgumentHelp("Write a JUnit XML report here, e.g. --junit report.xml.", valueName: "file"))
    var junit: String?

    @Option(help: ArgumentHelp("Write a JSON report here, e.g. --json report.json.", valueName: "file"))
    var json: String?

    @Option(help: ArgumentHelp("Fixes the run's generated values (emails, unique codes), e.g. --seed 7.", valueName: "n"))
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp(
        "Seconds to wait for one answer or frame, e.g. --timeout 3; the target gets six times as long to start answering.",
        valueName: "seconds"))
    var timeout: Double = 10

    @Option(help: ArgumentHelp(
        "An Origin header for the probes' WebSocket upgrades, e.g. --origin http://127.0.0.1:5000; none by default, as real probes send none.",
        valueName: "origin"))
    var origin: String?

    @Option(help: ArgumentHelp("The repository root holding docs/endpoints/ and Fixtures/, e.g. --root ~/pladmed-swift.", valueName: "dir"))
    var root: String = FileManager.default.currentDirectoryPath

    @Flag(help: "Print every case of the selected profile with its suite and tags, and exit without sending anything.")
    var list = false

    func run() async throws {
        guard let profile = Profile(rawValue: profile) else { throw ValidationError("--profile is original or strict") }
        var options = ConformanceOptions(baseURL: baseURL, root: root)
        options.profile = profile
        options.only = Set(only)
        options.skip = Set(skip)
        options.seed = seed
        guard timeout.isFinite, timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout is a number of seconds from 0 to 3600") }
        options.timeout = .milliseconds(Int(timeout * 1000))
        options.origin = origin
        if let superuser {
            guard let colon = superuser.firstIndex(of: ":") else { throw ValidationError("--superuser is EMAIL:PASSWORD") }
            options.superuser = (String(superuser[..<colon]), String(superuser[superuser.index(after: colon)...]))
        }
        if let createSuperuser {
            let command = SuperuserCommand(createSuperuser)
            options.createSuperuser = { try command.run(email: $0, password: $1) }
        }
        options.progress = { suite, testCase in Self.print(suite: suite, testCase) }
        if list {
            do {
                for entry in try ConformanceRunner(options: options).list() {
                    let note = entry.inProfile ? "" : "  (no \(profile.rawValue) expectation: skipped)"
                    Swift.print("\(entry.suite) › \(entry.name)  [\(entry.tags.joined(separator: ", "))]\(note)")
                }
            } catch {
                FileHandle.standardError.write(Data("pladmed-conformance: \(error)\n".utf8))
                throw ExitCode(2)
            }
            return
        }

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
            Swift.print("SKIP  \(suite) › \(testCase.name) (\(milliseconds) ms): \(reason)")
        case .failed(let message, let request, let expected, let actual):
            Swift.print("FAIL  \(suite) › \(testCase.name) (\(milliseconds) ms)\n      \(message)")
            for (title, text) in [("request", request), ("expected", expected), ("actual", actual)] where !text.isEmpty {
                Swift.print("      \(title):\n" + text.split(separator: "\n", omittingEmptySubsequences: false).map { "        " + $0 }.joined(separator: "\n"))
            }
        }
    }
}
