import Foundation
import JSONValues

extension Run {
    /// Replays one probe session as a case of the `probe sessions` suite.
    func perform(_ session: ProbeSession) async -> ConformanceReport.Case {
        let tags = session.tags(deviating: { cases[$0]?.tags.contains("deviation") == true })
        if let reason = options.skipReason(tags: tags) {
            return .init(name: session.name, tags: tags, seconds: 0, outcome: .skipped(reason: reason))
        }
        guard session.profiles.contains(options.profile) else {
            return .init(name: session.name, tags: tags, seconds: 0, outcome: .skipped(reason: "not part of the \(options.profile.rawValue) profile"))
        }
        var connections: [String: FrameConnection] = [:]
        let result = await timed(session.name, tags: tags) { () throws(CaseFailure) in
            for step in session.steps where step.profile == nil || step.profile == options.profile {
                do throws(CaseFailure) {
                    try await perform(step, connections: &connections)
                } catch {
                    var failure = error
                    failure.message = "line \(step.line): " + failure.message
                    throw failure
                }
            }
        }
        for connection in connections.values { await connection.close() }
        return result
    }

    private func perform(_ step: ProbeSession.Step, connections: inout [String: FrameConnection]) async throws(CaseFailure) {
        let timeout = options.timeout
        func connection() throws(CaseFailure) -> FrameConnection {
            guard let probe = step.probe, let connection = connections[probe] else {
                throw CaseFailure(message: "probe '\(step.probe ?? "")' is not connected", request: "", expected: "", actual: "")
            }
            return connection
        }
        func render(_ text: String) throws(CaseFailure) -> String {
            do { return try bindings.render(text) } catch {
                throw CaseFailure(message: "\(error)", request: text, expected: "", actual: "not sent")
            }
        }
        switch step.action {
        case .connect(let transport, let query, let headers):
            guard let kind = FrameConnection.Transport(rawValue: transport) else {
                throw CaseFailure(message: "unknown transport '\(transport)'", request: "", expected: "websocket or polling", actual: transport)
            }
            var renderedQuery: [String: String] = [:]
            for (key, value) in query { renderedQuery[key] = try render(value) }
            var renderedHeaders: [(String, String)] = []
            for (key, value) in headers.sorted(by: { $0.key < $1.key }) { renderedHeaders.append((key, try render(value))) }
            let connection = FrameConnection(target: target, transport: kind, query: renderedQuery, headers: renderedHeaders, origin: options.origin, logger: logger)
            let described = "connect \(transport) ?\(renderedQuery.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")) \(renderedHeaders)"
            do { try await connection.open() } catch {
                throw CaseFailure(message: "connecting failed: \(error)", request: described, expected: "a connection", actual: "\(error)")
            }
            if let previous = connections[step.probe ?? ""] { await previous.close() }
            connections[step.probe ?? ""] = connection
        case .send(let text, let attachments):
            let connection = try connection()
            let frame = try render(text)
            do {
                try await connection.send(.text(frame))
                for attachment in attachments {
                    try await connection.send(.binary(try bytes(of: attachment)))
                }
            } catch {
                throw CaseFailure(message: "sending failed: \(error)", request: frame, expected: "sent", actual: "\(error)")
            }
        case .receive(let template, let schema):
            let connection = try connection()
            guard let frame = await connection.next(timeout: timeout) else {
                let why = await connection.isClosed ? "the server closed the connection" : "nothing arrived within \(timeout)"
                throw CaseFailure(message: "expected a frame; \(why)", request: "probe '\(step.probe ?? "")' waits", expected: template, actual: why)
            }
            guard case .text(let text) = frame else {
                throw CaseFailure(message: "expected a text frame, got a binary one", request: "", expected: template, actual: "\(frame)")
            }
            var mismatches = bindings.matchFrame(template, text)
            // The document describes our contract: an original-only expectation is not held against it.
            if mismatches.isEmpty, let schema, step.profile != .original { mismatches = validate(frame: text, schema: schema) }
            guard mismatches.isEmpty else {
                throw CaseFailure(message: mismatches.prefix(3).joined(separator: "; "), request: "probe '\(step.probe ?? "")' waits", expected: template, actual: text)
            }
        case .silence(let seconds):
            let connection = try connection()
            if let frame = await connection.next(timeout: .milliseconds(Int(seconds * 1000))) {
                throw CaseFailure(message: "expected no frame for \(seconds) s, got one", request: "probe '\(step.probe ?? "")' waits", expected: "nothing", actual: "\(frame)")
            }
        case .upgrade:
            do { try await connection().upgrade(timeout: timeout) } catch let failure as CaseFailure { throw failure } catch {
                throw CaseFailure(message: "the upgrade failed: \(error)", request: "2probe, 5", expected: "3probe", actual: "\(error)")
            }
        case .closed:
            let connection = try connection()
            while let frame = await connection.next(timeout: timeout) {
                // A Socket.IO DISCONNECT or an Engine.IO CLOSE may come before the end.
                guard frame == .text("41") || frame == .text("1") else {
                    throw CaseFailure(message: "expected the server to close the connection, got a frame", request: "", expected: "closed", actual: "\(frame)")
                }
            }
            guard await connection.isClosed else {
                throw CaseFailure(message: "the server kept the connection open for \(timeout)", request: "", expected: "closed", actual: "open")
            }
        case .close:
            try await connection().close()
        case .request(let name, let retry):
            guard let requestCase = cases[name] else {
                throw CaseFailure(message: "no request named '\(name)'", request: name, expected: "", actual: "")
            }
            do { try await send(requestCase, retry: retry) } catch {
                var failure = error
                failure.message = "request '\(name)': " + failure.message
                throw failure
            }
        }
    }

    private func bytes(of attachment: ProbeSession.Attachment) throws -> [UInt8] {
        switch attachment {
        case .file(let path): return Array(try Data(contentsOf: URL(fileURLWithPath: options.fixturesRoot + "/" + path)))
        case .base64(let text):
            guard let data = Data(base64Encoded: text) else { throw CollectionError("an attachment is not valid base64") }
            return Array(data)
        }
    }

    /// Holds a packet's argument against a component schema of the OpenAPI document: the event's first
    /// argument (`42[name, argument]`), or the whole payload of an ack (`43N[...]`) or of an open,
    /// CONNECT or CONNECT_ERROR packet.
    private func validate(frame text: String, schema name: String) -> [String] {
        guard let (prefix, json) = Bindings.split(frame: text), let value = try? JSONValue(parsing: json) else {
            return ["schema \(name): the frame has no JSON payload"]
        }
        let argument: JSONValue?
        switch prefix.prefix(2) {
        case "42", "45": argument = value.array.flatMap { $0.count > 1 ? $0[1] : nil }
        default: argument = value
        }
        guard let argument else { return ["schema \(name): the packet has no argument"] }
        return specification.validator.validate(argument, against: .object(["$ref": .string("#/components/schemas/\(name)")]))
            .map { "schema \(name): \($0)" }
    }
}
