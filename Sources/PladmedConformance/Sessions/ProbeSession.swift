import Foundation
import JSONValues

/// A recorded probe session (`Fixtures/probe-sessions/*.jsonl`): a header line, then one step per line.
/// The format is documented in `docs/endpoints/CONFORMANCE.md`.
public struct ProbeSession: Sendable {
    /// What one line asks for.
    public enum Action: Sendable {
        /// Opens probe connection `probe` (query and headers are templates).
        case connect(transport: String, query: [String: String], headers: [String: String])
        /// Sends a text frame (a template), then each attachment as a binary frame.
        case send(text: String, attachments: [Attachment])
        /// Expects the next frame to match a template; `schema` names a component schema of the OpenAPI
        /// document that the packet's first argument must follow.
        case receive(template: String, schema: String?)
        /// Expects no frame for `seconds`.
        case silence(seconds: Double)
        /// Upgrades a polling connection to WebSocket.
        case upgrade
        /// Expects the server to close the connection.
        case closed
        /// Closes the connection from the probe's side.
        case close
        /// Runs a request of the collection (by `Folder / Request` name), retrying for up to `retry` seconds
        /// until its expectation is met.
        case request(name: String, retry: Double)
    }

    /// A binary frame: a file (relative to the fixtures root) or base64 text.
    public enum Attachment: Sendable {
        case file(String)
        case base64(String)
    }

    public struct Step: Sendable {
        /// The line in the file (from 1), for reports.
        public let line: Int
        /// Which connection (for requests, `nil`).
        public let probe: String?
        /// Run only in this profile.
        public let profile: Profile?
        public let action: Action
    }

    public let name: String
    public let description: String
    public let tags: [String]
    /// The profiles the session applies to.
    public let profiles: [Profile]
    public let steps: [Step]

    /// The session's tags as a run reports them: its own, `probe`, `strict-only` or `original-only` for a session
    /// of one profile, and `deviation` when it differs between the profiles (a step of one profile only, or a
    /// request for which `deviating` is true).
    public func tags(deviating: (String) -> Bool) -> [String] {
        var tags = ["probe"] + self.tags
        if profiles == [.strict] { tags.append("strict-only") }
        if profiles == [.original] { tags.append("original-only") }
        let differs = profiles.count < 2 || steps.contains { step in
            if case .request(let name, _) = step.action, deviating(name) { return true }
            return step.profile != nil
        }
        if differs { tags.append("deviation") }
        return Array(Set(tags)).sorted()
    }

    /// Parses the lines of a session file.
    public init(jsonl text: String, file: String) throws {
        var header: [String: JSONValue]?
        var steps: [Step] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            let where_ = "\(file):\(index + 1)"
            guard case .object(let fields) = try? JSONValue(parsing: trimmed) else { throw CollectionError("\(where_): not a JSON object") }
            if header == nil {
                guard case .object(let session)? = fields["session"] else { throw CollectionError("\(where_): the first line must be {\"session\": {...}}") }
                header = session
                continue
            }
            steps.append(try Self.step(fields, line: index + 1, at: where_))
        }
        guard let header, let name = header["name"]?.string else { throw CollectionError("\(file): no session header with a name") }
        self.name = name
        self.description = header["description"]?.string ?? ""
        self.tags = header["tags"]?.array?.compactMap(\.string) ?? []
        let profiles = try (header["profiles"]?.array ?? [.string("original"), .string("strict")]).map { value in
            guard let profile = value.string.flatMap(Profile.init(rawValue:)) else { throw CollectionError("\(file): unknown profile \(value)") }
            return profile
        }
        self.profiles = profiles
        self.steps = steps
    }

    private static func step(_ fields: [String: JSONValue], line: Int, at where_: String) throws -> Step {
        let probe = fields["probe"]?.string
        var profile: Profile?
        if let name = fields["profile"]?.string {
            guard let known = Profile(rawValue: name) else { throw CollectionError("\(where_): unknown profile '\(name)'") }
            profile = known
        }
        func strings(_ value: JSONValue?) -> [String: String] {
            (value?.object ?? [:]).compactMapValues { $0.string }
        }
        let action: Action
        if let request = fields["request"]?.string {
            action = .request(name: request, retry: fields["retry"]?.number ?? 0)
        } else {
            guard probe != nil else { throw CollectionError("\(where_): a step needs \"probe\" (or \"request\")") }
            if case .object(let connect)? = fields["connect"] {
                action = .connect(transport: connect["transport"]?.string ?? "websocket", query: strings(connect["query"]), headers: strings(connect["headers"]))
            } else if let text = fields["send"]?.string {
                let attachments = try (fields["attachments"]?.array ?? []).map { value -> Attachment in
                    if let file = value["file"]?.string { return .file(file) }
                    if let base64 = value["base64"]?.string { return .base64(base64) }
                    throw CollectionError("\(where_): an attachment is {\"file\": PATH} or {\"base64\": TEXT}")
                }
                action = .send(text: text, attachments: attachments)
            } else if let template = fields["receive"]?.string {
                action = .receive(template: template, schema: fields["schema"]?.string)
            } else if let seconds = fields["silence"]?.number {
                action = .silence(seconds: seconds)
            } else if fields["upgrade"] == .bool(true) {
                action = .upgrade
            } else if fields["closed"] == .bool(true) {
                action = .closed
            } else if fields["close"] == .bool(true) {
                action = .close
            } else {
                throw CollectionError("\(where_): unknown step \(fields.keys.sorted())")
            }
        }
        return Step(line: line, probe: probe, profile: profile, action: action)
    }

    /// Every `*.jsonl` session in `directory`, by file name.
    public static func all(in directory: String) throws -> [ProbeSession] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".jsonl") }.sorted()
        return try files.map { file in
            try ProbeSession(jsonl: String(contentsOfFile: directory + "/" + file, encoding: .utf8), file: file)
        }
    }
}
