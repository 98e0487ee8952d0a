import Foundation
import PladmedCore

/// One step of `recordings/rest.json`: a request the original answered, or a note about what happened between
/// requests (a CLI command, probes connecting, a job received).
struct RecordedStep: Decodable {
    struct Request: Decodable {
        let method: String
        let path: String
        let headers: [String: String]
        let body: String?
    }

    struct Response: Decodable {
        let status: Int
        let headers: [String: String]
        let content_type: String?
        let body_json: JSONValue?
        let body_text: String
    }

    let name: String
    let request: Request?
    let response: Response?
    let note: JSONValue?

    /// Every step of the recording, in order.
    static func load(from recordings: URL) throws -> [RecordedStep] {
        struct File: Decodable { let steps: [RecordedStep] }
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: recordings.appendingPathComponent("rest.json"))).steps
    }

    /// The instant the original answered (its `Date` header).
    var answeredAt: Date? {
        guard let text = response?.headers["Date"] else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }
}
