import Foundation
import PladmedConformance
import PladmedTestSupport
import Testing

/// The conformance suite against the live original backend (`../shared/peers/original`, run here on loopback):
/// the original profile describes it exactly, the strict profile fails on it exactly where DEVIATIONS.md says we
/// differ, and every contract break injected into it is caught. `make test` runs the live-peer suites on their own,
/// after the rest, so that their load does not disturb other tests' timing.
@Suite("Live peer: the original backend", .serialized)
struct LivePeerOriginalTests {
    static func options(_ backend: OriginalBackend, profile: Profile, timeout: Duration) -> ConformanceOptions {
        var options = ConformanceOptions(baseURL: backend.baseURL, root: Repository.root.path)
        options.profile = profile
        options.timeout = timeout
        options.superuser = ("admin@pladmed.test", "Adm1n!pass")
        options.createSuperuser = { email, password in try await backend.createSuperuser(email: email, password: password) }
        return options
    }

    static func cases(_ report: ConformanceReport) -> [ConformanceReport.Case] { report.suites.flatMap(\.cases) }

    static func failed(_ testCase: ConformanceReport.Case) -> Bool {
        if case .failed = testCase.outcome { true } else { false }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    @Test("the original profile passes on the original, skipping only the cases it declares it has no expectation for")
    func originalProfilePasses() async throws {
        let backend = try OriginalBackend()
        defer { backend.stop() }
        let options = Self.options(backend, profile: .original, timeout: .seconds(5))
        let declared = Set(try ConformanceRunner(options: options).list().filter { !$0.inProfile }.map(\.name))
        let start = ContinuousClock.now
        let report = try await ConformanceRunner(options: options).run()
        let elapsed = ContinuousClock.now - start
        let failures = Self.cases(report).filter(Self.failed)
        #expect(report.passed, "\(failures.map { "\($0.name): \($0.outcome)" })\n\(backend.errorLog.suffix(2000))")
        let skipped = Set(Self.cases(report).filter { if case .skipped = $0.outcome { true } else { false } }.map(\.name))
        #expect(skipped == declared, "skipped \(skipped.sorted()), declared \(declared.sorted())")
        #expect(Self.cases(report).count >= 170)
        print("original profile against the original: \(Self.cases(report).count) cases in \(Self.seconds(elapsed)) s")
    }

    @Test("the strict profile fails on the original exactly in the cases tagged deviation")
    func strictProfileFailsExactlyOnDeviations() async throws {
        let backend = try OriginalBackend()
        defer { backend.stop() }
        let start = ContinuousClock.now
        let report = try await ConformanceRunner(options: Self.options(backend, profile: .strict, timeout: .seconds(3))).run()
        let elapsed = ContinuousClock.now - start
        var deviations = 0
        for testCase in Self.cases(report) {
            let deviation = testCase.tags.contains("deviation")
            if deviation { deviations += 1 }
            if Self.failed(testCase) && !deviation {
                Issue.record("\(testCase.name) fails on the original but is not tagged deviation: \(testCase.outcome)")
            }
            if deviation && !Self.failed(testCase) {
                Issue.record("\(testCase.name) is tagged deviation but the original meets the strict expectation (\(testCase.outcome))")
            }
        }
        #expect(deviations >= 20)
        print("strict profile against the original: \(deviations) deviations of \(Self.cases(report).count) cases in \(Self.seconds(elapsed)) s")
    }

    @Test("every contract break injected into the original is caught by the original profile")
    func everyMutantIsCaught() async throws {
        let mutants = try await OriginalBackend.mutants()
        #expect(mutants.count >= 25)
        // Two at a time: each is a whole backend and a whole run, and the machine has two cores.
        let outcomes = try await withThrowingTaskGroup(of: (String, [String]).self) { group in
            var pending = mutants.makeIterator()
            var outcomes: [(String, [String])] = []
            func startNext() throws {
                guard let mutant = pending.next() else { return }
                let backend = try OriginalBackend(mutant: mutant.name)
                group.addTask {
                    defer { backend.stop() }
                    let report = try await ConformanceRunner(options: Self.options(backend, profile: .original, timeout: .seconds(3))).run()
                    return (mutant.name, Self.cases(report).filter(Self.failed).map(\.name))
                }
            }
            try startNext()
            try startNext()
            while let outcome = try await group.next() {
                outcomes.append(outcome)
                try startNext()
            }
            return outcomes
        }
        let missed = outcomes.filter { $0.1.isEmpty }.map(\.0).sorted()
        let breaks = Dictionary(uniqueKeysWithValues: mutants.map { ($0.name, $0.breaks) })
        #expect(missed.isEmpty, "the suite missed: \(missed.map { "\($0) (\(breaks[$0] ?? ""))" })")
        print("mutation self-check: caught \(outcomes.count - missed.count) of \(outcomes.count) contract breaks")
        for (name, failed) in outcomes.sorted(by: { $0.0 < $1.0 }) {
            print("  \(name): \(failed.count) cases failed, first \(failed.first ?? "none")")
        }
    }
}
