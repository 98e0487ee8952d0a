import Foundation
import PladmedCore

/// Compares the original's recorded JSON with ours. Identifiers and tokens differ between runs, so they are
/// compared by shape and remembered: once recorded id X has been seen as our id Y, every later X must be Y,
/// and requests replayed later have X replaced by Y.
final class ValueMatcher: Sendable {
    private let learned = Mutex<[String: String]>([:])

    /// Recorded value -> our value, for ObjectIds and JWTs.
    var substitutions: [String: String] { learned.withLock { $0 } }

    /// Differences found, each with its JSON path.
    typealias Mismatch = String

    static func isObjectID(_ text: String) -> Bool { ObjectID(text) != nil && text.count == 24 }
    static func isJWT(_ text: String) -> Bool { text.hasPrefix("eyJ") && text.split(separator: ".").count == 3 }

    /// Replaces every recorded identifier and token in `text` with ours.
    func substitute(_ text: String) -> String {
        substitutions.reduce(text) { $0.replacingOccurrences(of: $1.key, with: $1.value) }
    }

    /// The differences between `expected` (recorded) and `actual` (ours), learning substitutions on the way.
    /// A recorded `null` location of an operation's probe must be a real location in ours (strict profile).
    func compare(_ expected: JSONValue, _ actual: JSONValue, path: String = "$") -> [Mismatch] {
        switch (expected, actual) {
        case (.string(let recorded), .string(let ours)) where Self.isObjectID(recorded) || Self.isJWT(recorded):
            let sameShape = Self.isObjectID(recorded) ? Self.isObjectID(ours) : Self.isJWT(ours)
            guard sameShape else { return ["\(path): expected an id/token like \(recorded), got \(ours)"] }
            return learned.withLock { learned in
                if let known = learned[recorded], known != ours {
                    return ["\(path): expected \(known) (recorded \(recorded)), got \(ours)"]
                }
                learned[recorded] = ours
                return []
            }
        case (.null, .object(let location)) where path.hasSuffix(".location") && path.contains(".probes["):
            return location["latitude"]?.number != nil && location["longitude"]?.number != nil
                ? [] : ["\(path): expected a location, got \(actual)"]
        case (.object(let recorded), .object(let ours)):
            var mismatches: [Mismatch] = []
            for key in Set(recorded.keys).union(ours.keys).sorted() {
                switch (recorded[key], ours[key]) {
                case (let expectedValue?, let actualValue?):
                    mismatches += compare(expectedValue, actualValue, path: "\(path).\(key)")
                case (.some, nil): mismatches.append("\(path).\(key): missing")
                case (nil, .some): mismatches.append("\(path).\(key): unexpected")
                case (nil, nil): break
                }
            }
            return mismatches
        case (.array(let recorded), .array(let ours)):
            guard recorded.count == ours.count else {
                return ["\(path): expected \(recorded.count) elements, got \(ours.count)"]
            }
            return zip(recorded, ours).enumerated().flatMap { compare($1.0, $1.1, path: "\(path)[\($0)]") }
        default:
            if let a = expected.number, let b = actual.number {
                return abs(a - b) <= 1e-9 * max(1, abs(a)) ? [] : ["\(path): expected \(a), got \(b)"]
            }
            return expected == actual ? [] : ["\(path): expected \(expected), got \(actual)"]
        }
    }
}
