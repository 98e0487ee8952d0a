import Foundation
import JSONValues
import Logging

/// Runs the conformance suite against a backend: waits until it answers, replays the collection's requests in
/// order (acting as the frontend), then the probe sessions (acting as probes), checks every answer and frame
/// against its expectation and every JSON body against the OpenAPI document, and reports each case.
public struct ConformanceRunner: Sendable {
    public let options: ConformanceOptions

    public init(options: ConformanceOptions) {
        self.options = options
    }

    /// Every case of the suite in run order, with its suite, tags and whether the profile has an expectation for
    /// it; nothing is sent. Throws when the fixtures cannot be read.
    public func list() throws -> [(suite: String, name: String, tags: [String], inProfile: Bool)] {
        let cases = try RequestCase.all(in: try PostmanCollection(contentsOf: options.collectionPath))
        let sessions = try ProbeSession.all(in: options.sessionsDirectory)
        let deviating = Set(cases.filter { $0.tags.contains("deviation") }.map(\.name))
        return cases.filter { !$0.sessionsOnly }.map { ("rest", $0.name, $0.tags, $0.expectation(for: options.profile) != nil) }
            + sessions.map { ("probe sessions", $0.name, $0.tags(deviating: deviating.contains), $0.profiles.contains(options.profile)) }
    }

    /// Runs the selected cases. Throws only when the suite itself cannot run (unreadable fixtures, a target
    /// that never answers); everything the target does wrong is a failed case in the report.
    public func run() async throws -> ConformanceReport {
        let collection = try PostmanCollection(contentsOf: options.collectionPath)
        let cases = try RequestCase.all(in: collection)
        let sessions = try ProbeSession.all(in: options.sessionsDirectory)
        let specification = try OpenAPIDocument(contentsOf: options.specificationPath)
        let target = try HTTPTarget(baseURL: options.baseURL, timeout: options.timeout)
        try await target.waitUntilAnswering(deadline: options.timeout * 6)

        let run = Run(options: options, target: target, specification: specification, cases: cases)
        run.bind(collection.variable ?? [])
        try run.check(sessions)
        var rest: [ConformanceReport.Case] = []
        for requestCase in cases where !requestCase.sessionsOnly {
            let result = await run.perform(requestCase)
            options.progress?("rest", result)
            rest.append(result)
        }
        var probe: [ConformanceReport.Case] = []
        for session in sessions {
            let result = await run.perform(session)
            options.progress?("probe sessions", result)
            probe.append(result)
        }
        return ConformanceReport(
            target: options.baseURL, profile: options.profile.rawValue,
            suites: [.init(name: "rest", cases: rest), .init(name: "probe sessions", cases: probe)])
    }
}

/// A case that did not meet its expectation.
struct CaseFailure: Error {
    var message: String
    var request: String
    var expected: String
    var actual: String
}

/// The state of one run: the bindings, and the cases sessions can name. Used by one task only.
final class Run {
    let options: ConformanceOptions
    let target: HTTPTarget
    let specification: OpenAPIDocument
    let cases: [String: RequestCase]
    var bindings: Bindings
    let logger = Logger(label: "pladmed-conformance")

    init(options: ConformanceOptions, target: HTTPTarget, specification: OpenAPIDocument, cases: [RequestCase]) {
        self.options = options
        self.target = target
        self.specification = specification
        self.cases = Dictionary(cases.map { ($0.name, $0) }) { first, _ in first }
        self.bindings = Bindings(seed: options.seed)
    }

    /// Binds the collection's variables, then the run's own: `baseUrl`, a seeded `runId` and the superuser.
    func bind(_ variables: [PostmanCollection.Variable]) {
        bindings["baseUrl"] = .string(target.baseURL)
        bindings["runId"] = .string(bindings.hex(8))
        bindings["superuserEmail"] = .string(options.superuser.email)
        bindings["superuserPassword"] = .string(options.superuser.password)
        for variable in variables where bindings[variable.key] == nil {
            bindings[variable.key] = .string((try? bindings.render(variable.value)) ?? variable.value)
        }
    }

    /// Every request a session names exists.
    func check(_ sessions: [ProbeSession]) throws {
        for session in sessions {
            for step in session.steps {
                if case .request(let name, _) = step.action, cases[name] == nil {
                    throw CollectionError("session '\(session.name)' line \(step.line) names the request '\(name)', which the collection lacks")
                }
            }
        }
    }

    /// Times `body` into a case.
    func timed(_ name: String, tags: [String], _ body: () async throws(CaseFailure) -> Void) async -> ConformanceReport.Case {
        let clock = ContinuousClock()
        let start = clock.now
        let outcome: ConformanceReport.Outcome
        do {
            try await body()
            outcome = .passed
        } catch {
            outcome = .failed(message: error.message, request: error.request, expected: error.expected, actual: error.actual)
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return ConformanceReport.Case(name: name, tags: tags, seconds: seconds, outcome: outcome)
    }
}
