import Foundation
import JSONValues
@testable import PladmedConformance
import PladmedTestSupport
import Testing

/// The suite's fixtures themselves: the Postman collection and the probe sessions are well formed, every
/// variable is bound before use, and every request replaying a recorded step expects (in the original
/// profile) exactly what the original answered.
@Suite("Conformance fixtures: the collection and the probe sessions")
struct ConformanceFixturesTests {
    static let collection = Repository.file("docs/endpoints/pladmed.postman_collection.json").path
    static let sessions = Repository.file("Fixtures/probe-sessions").path

    /// Names a template uses as `{{name}}`, and names it captures as `{{name=$kind}}`.
    static func names(in text: String) -> (used: Set<String>, captured: Set<String>) {
        var used: Set<String> = [], captured: Set<String> = []
        let expression = try! NSRegularExpression(pattern: #"\{\{([A-Za-z0-9_.-]+)(=\$[a-zA-Z]+)?\}\}"#)
        for match in expression.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let name = String(text[Range(match.range(at: 1), in: text)!])
            if match.range(at: 2).location != NSNotFound { captured.insert(name) } else { used.insert(name) }
        }
        return (used, captured)
    }

    @Test("the collection is Postman v2.1 with an expectation for every request, and names are unique")
    func collectionShape() throws {
        let collection = try PostmanCollection(contentsOf: Self.collection)
        let cases = try RequestCase.all(in: collection)
        #expect(collection.info.schema == "https://schema.getpostman.com/json/collection/v2.1.0/collection.json")
        #expect(cases.count >= 140)
        for requestCase in cases {
            #expect(requestCase.request.url.raw.hasPrefix("{{baseUrl}}/"), "\(requestCase.name)")
            #expect(requestCase.expectation(for: .strict) != nil || requestCase.expectation(for: .original) != nil)
        }
        // Every request of the original collection is here, corrected (DNS and Register Probe had bodies wrong or missing).
        let routes = Set(cases.map { "\($0.request.method) \($0.request.url.raw.split(separator: "?")[0])" })
        for route in ["POST {{baseUrl}}/traceroute", "POST {{baseUrl}}/dns", "POST {{baseUrl}}/ping", "POST {{baseUrl}}/register",
                      "POST {{baseUrl}}/login", "GET {{baseUrl}}/probes", "POST {{baseUrl}}/probes", "GET {{baseUrl}}/users/me",
                      "GET {{baseUrl}}/operation", "DELETE {{baseUrl}}/delete_all", "POST {{baseUrl}}/credits",
                      "GET {{baseUrl}}/probes/me", "GET {{baseUrl}}/operations/me", "GET {{baseUrl}}/operations", "GET {{baseUrl}}/health"] {
            #expect(routes.contains(route), "\(route)")
        }
        let tagged = Dictionary(grouping: cases.filter { $0.tags.contains("deviation") }, by: \.name)
        #expect(tagged.count >= 18, "requests with both an original and a strict expectation")
    }

    @Test("every variable is bound before it is used, in the order the runner replays")
    func variablesBoundBeforeUse() throws {
        let collection = try PostmanCollection(contentsOf: Self.collection)
        let cases = try RequestCase.all(in: collection)
        let byName = Dictionary(uniqueKeysWithValues: cases.map { ($0.name, $0) })
        var bound: Set<String> = ["baseUrl", "runId", "superuserEmail", "superuserPassword"]
        bound.formUnion((collection.variable ?? []).map(\.key))

        func request(_ requestCase: RequestCase, at place: String) {
            let request = requestCase.request
            let text = ([request.url.raw, request.body?.raw ?? ""] + (request.header ?? []).map(\.value)).joined(separator: "\n")
            let unbound = Self.names(in: text).used.subtracting(bound)
            #expect(unbound.isEmpty, "\(place): '\(requestCase.name)' uses \(unbound.sorted()) before they are bound")
            for profile in Profile.allCases {
                guard let (example, _) = requestCase.expectation(for: profile) else { continue }
                let names = Self.names(in: example.body ?? "")
                bound.formUnion(names.captured)
            }
        }
        for requestCase in cases where !requestCase.sessionsOnly { request(requestCase, at: "rest") }
        for session in try ProbeSession.all(in: Self.sessions) {
            for step in session.steps {
                let place = "\(session.name) line \(step.line)"
                switch step.action {
                case .request(let name, _):
                    let requestCase = try #require(byName[name], "\(place) names '\(name)'")
                    request(requestCase, at: place)
                case .connect(_, let query, let headers):
                    let unbound = Self.names(in: (Array(query.values) + Array(headers.values)).joined()).used.subtracting(bound)
                    #expect(unbound.isEmpty, "\(place) uses \(unbound.sorted())")
                case .send(let text, _):
                    let names = Self.names(in: text)
                    #expect(names.used.subtracting(bound).isEmpty, "\(place) uses \(names.used.subtracting(bound).sorted())")
                    bound.formUnion(names.captured)
                case .receive(let template, _):
                    let names = Self.names(in: template)
                    #expect(names.used.subtracting(bound).isEmpty, "\(place) expects \(names.used.subtracting(bound).sorted())")
                    bound.formUnion(names.captured)
                default:
                    break
                }
            }
        }
    }

    @Test("the probe sessions parse, name their recordings, and each session's attachments exist")
    func sessionsShape() throws {
        let sessions = try ProbeSession.all(in: Self.sessions)
        #expect(sessions.count == 10)
        for session in sessions {
            #expect(!session.steps.isEmpty && !session.description.isEmpty, "\(session.name)")
            for step in session.steps {
                guard case .send(_, let attachments) = step.action else { continue }
                for case .file(let path) in attachments {
                    #expect(FileManager.default.fileExists(atPath: Repository.file(path).path), "\(session.name): \(path)")
                }
            }
        }
        #expect(throws: CollectionError.self) { try ProbeSession(jsonl: #"{"probe":"a","send":"40"}"#, file: "x.jsonl") }
        #expect(throws: CollectionError.self) { try ProbeSession(jsonl: "{\"session\":{\"name\":\"x\"}}\n{\"probe\":\"a\",\"dance\":1}", file: "x.jsonl") }
    }

    @Test("every request replaying a recorded step expects, in the original profile, what the original answered")
    func originalProfileAgreesWithTheRecording() throws {
        let recorded = try RecordedStep.load(from: Repository.recordings)
        let steps = Dictionary(recorded.filter { $0.request != nil }.map { ($0.name, $0) }) { first, _ in first }
        let cases = try RequestCase.all(in: try PostmanCollection(contentsOf: Self.collection))
        // The recording's accounts, in place of the run's generated ones.
        var bindings = Bindings([
            "baseUrl": .string("http://127.0.0.1:5055"), "aliceEmail": .string("alice@example.com"), "bobEmail": .string("bob@example.com"),
            "carolEmail": .string("carol@example.com"), "superuserEmail": .string("root@pladmed.test"), "superuserPassword": .string("R00t!secret"),
        ], seed: 1)
        var compared = 0
        for requestCase in cases {
            guard let name = requestCase.recorded else { continue }
            let step = try #require(steps[name], "'\(requestCase.name)' names '\(name)', which the recording lacks")
            let request = try #require(step.request), response = try #require(step.response)
            let (example, _) = try #require(requestCase.expectation(for: .original), "\(requestCase.name) has no original expectation")
            // The request is the recorded one.
            let path = String(try bindings.render(requestCase.request.url.raw).dropFirst("http://127.0.0.1:5055".count))
            #expect(requestCase.request.method == request.method && path == request.path, "\(requestCase.name): \(requestCase.request.method) \(path)")
            let body = try requestCase.request.body?.raw.map { try bindings.render($0) }
            if let body, let parsed = try? JSONValue(parsing: body), let recordedBody = request.body {
                #expect(parsed == (try? JSONValue(parsing: recordedBody)), "\(requestCase.name): body \(body)")
            } else {
                #expect(body ?? "" == request.body ?? "", "\(requestCase.name): body")
            }
            // The expectation holds for the recorded answer.
            let answer = HTTPTarget.Answer(
                status: response.status, headers: Dictionary(response.headers.map { ($0.key.lowercased(), $0.value) }) { first, _ in first },
                body: Data(response.body_text.utf8))
            let mismatches = Run.compare(answer, with: example, bindings: &bindings)
            #expect(mismatches.isEmpty, "\(requestCase.name): \(mismatches)")
            compared += 1
        }
        #expect(compared >= 115, "compared \(compared) recorded answers")
    }
}
