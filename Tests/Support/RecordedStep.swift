import Foundation
import PladmedCore

/// One step of `recordings/rest.json`: a request the original answered, or a note about what happened between
/// requests (a CLI command, probes connecting, a job received).
public struct RecordedStep: Decodable, Sendable {
    public struct Request: Decodable, Sendable {
        public let method: String
        public let path: String
        public let headers: [String: String]
        public let body: String?
    }

    public struct Response: Decodable, Sendable {
        public let status: Int
        public let headers: [String: String]
        public let content_type: String?
        public let body_json: JSONValue?
        public let body_text: String
    }

    public let name: String
    public let request: Request?
    public let response: Response?
    public let note: JSONValue?

    /// Every step of the recording, in order.
    public static func load(from recordings: URL) throws -> [RecordedStep] {
        struct File: Decodable { let steps: [RecordedStep] }
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: recordings.appendingPathComponent("rest.json"))).steps
    }

    /// The instant the original answered (its `Date` header).
    public var answeredAt: Date? {
        guard let text = response?.headers["Date"] else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}
