import Foundation
import JSONValues

extension Run {
    /// Runs one request of the collection as a case of the `rest` suite.
    func perform(_ requestCase: RequestCase) async -> ConformanceReport.Case {
        if let reason = options.skipReason(tags: requestCase.tags) {
            return .init(name: requestCase.name, tags: requestCase.tags, seconds: 0, outcome: .skipped(reason: reason))
        }
        guard requestCase.expectation(for: options.profile) != nil else {
            return .init(name: requestCase.name, tags: requestCase.tags, seconds: 0,
                         outcome: .skipped(reason: "no expectation in the \(options.profile.rawValue) profile"))
        }
        return await timed(requestCase.name, tags: requestCase.tags) { () throws(CaseFailure) in
            try await send(requestCase, retry: 0)
            if requestCase.createsSuperuserAfter, let create = options.createSuperuser {
                do {
                    try await create(options.superuser.email, options.superuser.password)
                } catch {
                    throw CaseFailure(message: "creating the superuser failed: \(error)", request: "--create-superuser", expected: "success", actual: "\(error)")
                }
            }
        }
    }

    /// Sends the request and holds the answer against the profile's expectation; a `GET` is retried for up to
    /// `retry` seconds while it does not match (for state that settles, such as availability after a probe's
    /// message). Other methods are sent once: repeating them would change the state under test.
    func send(_ requestCase: RequestCase, retry: Double) async throws(CaseFailure) {
        guard let (example, specific) = requestCase.expectation(for: options.profile) else {
            throw CaseFailure(message: "'\(requestCase.name)' has no expectation in the \(options.profile.rawValue) profile",
                              request: requestCase.name, expected: "an example response", actual: "none")
        }
        let request = requestCase.request
        let method = request.method.uppercased()
        var described = "\(method) \(request.url.raw)"
        let path: String
        let headers: [(String, String)]
        let body: String?
        do {
            let url = try bindings.render(request.url.raw)
            guard url.hasPrefix(target.baseURL) else { throw TemplateError("the URL \(url) is not under {{baseUrl}}") }
            let rest = String(url.dropFirst(target.baseURL.count))
            path = rest.isEmpty ? "/" : rest
            headers = try (request.header ?? []).filter { $0.disabled != true }.map { ($0.key, try bindings.render($0.value)) }
            body = try request.body?.raw.map { try bindings.render($0) }
            described = ([method + " " + path] + headers.map { "\($0.0): \($0.1)" }).joined(separator: "\n") + (body.map { "\n\n" + $0 } ?? "")
        } catch {
            throw CaseFailure(message: "the request cannot be built: \(error)", request: described, expected: describe(example), actual: "not sent")
        }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(method == "GET" ? Int(retry * 1000) : 0))
        while true {
            let answer: HTTPTarget.Answer
            do {
                answer = try await target.send(method, path, headers: headers, body: body.map { Data($0.utf8) })
            } catch {
                throw CaseFailure(message: "no answer: \(error)", request: described, expected: describe(example), actual: "\(error)")
            }
            var trial = bindings
            var mismatches = Self.compare(answer, with: example, bindings: &trial)
            if mismatches.isEmpty, !(specific && options.profile == .original) {
                mismatches = validate(answer, method: method, path: path)
            }
            if mismatches.isEmpty || clock.now >= deadline {
                bindings = trial
                guard mismatches.isEmpty else {
                    throw CaseFailure(
                        message: mismatches.prefix(3).joined(separator: "; ") + (mismatches.count > 3 ? " (and \(mismatches.count - 3) more)" : ""),
                        request: described, expected: describe(example), actual: describe(answer))
                }
                return
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The differences between an answer and an example: status, the example's headers, the body.
    static func compare(_ answer: HTTPTarget.Answer, with example: PostmanCollection.Example, bindings: inout Bindings) -> [String] {
        var mismatches: [String] = []
        if answer.status != example.code { mismatches.append("status \(answer.status), expected \(example.code)") }
        for header in example.header ?? [] {
            guard let value = answer.headers[header.key.lowercased()] else {
                mismatches.append("header \(header.key): missing")
                continue
            }
            mismatches += bindings.matchText(header.value, value).map { "header \(header.key): \($0)" }
        }
        let expected = (example.body ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        if expected.isEmpty {
            if !answer.body.isEmpty { mismatches.append("body: expected none, got \(answer.body.count) bytes") }
        } else if let template = try? JSONValue(parsing: expected) {
            if let actual = try? JSONValue(parsing: answer.body) {
                mismatches += bindings.match(template, actual).map { "body \($0)" }
            } else {
                mismatches.append("body: expected JSON, got \(answer.text.prefix(200))")
            }
        } else {
            mismatches += bindings.matchText(expected, answer.text).map { "body: \($0)" }
        }
        return mismatches
    }

    /// Schema violations of the answer's body against the OpenAPI document, when it documents the operation.
    func validate(_ answer: HTTPTarget.Answer, method: String, path: String) -> [String] {
        let route = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        guard specification.root["paths"]?[route]?[method.lowercased()] != nil else { return [] }
        guard specification.declares(method: method, path: route, status: answer.status) else {
            return ["schema: \(method) \(route) does not declare status \(answer.status)"]
        }
        guard specification.responseSchema(method: method, path: route, status: answer.status) != nil else { return [] }
        guard let body = try? JSONValue(parsing: answer.body) else { return ["schema: the body of a \(answer.status) must be JSON"] }
        return specification.validate(body: body, method: method, path: route, status: answer.status).map { "schema: \($0)" }
    }

    func describe(_ example: PostmanCollection.Example) -> String {
        let headers = (example.header ?? []).map { "\($0.key): \($0.value)" }
        return ([String(example.code)] + headers).joined(separator: "\n") + ((example.body ?? "").isEmpty ? "" : "\n\n" + (example.body ?? ""))
    }

    func describe(_ answer: HTTPTarget.Answer) -> String {
        let headers = answer.headers.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        let text = answer.text
        return ([String(answer.status)] + headers).joined(separator: "\n") + (text.isEmpty ? "" : "\n\n" + (text.count > 4000 ? String(text.prefix(4000)) + "…" : text))
    }
}
