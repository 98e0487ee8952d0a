import Foundation

/// JSON kept in the form it arrived in: text (from a writer, or read back from where text was stored) or a
/// value (built in memory, or read from a store that keeps values). Each form is turned into the other only
/// when asked, so text travels to storage and values to an encoder without a round trip. Two payloads are
/// equal when they denote equal values (key order and spacing aside).
public struct JSONPayload: Sendable, Hashable, CustomStringConvertible {
    private enum Form: Sendable {
        case text(String)
        case value(JSONValue)
    }

    private let form: Form

    /// Text the caller vouches for: written by a JSON writer, or read back from where such text was stored.
    public init(trusted text: String) {
        form = .text(text)
    }

    /// A value.
    public init(_ value: JSONValue) {
        form = .value(value)
    }

    /// The compact text (see ``JSONValue/serializedText()`` for a value); throws for a non-finite number.
    public func text() throws -> String {
        switch form {
        case .text(let text): text
        case .value(let value): try value.serializedText()
        }
    }

    /// The value denoted.
    public func value() throws -> JSONValue {
        switch form {
        case .text(let text): try JSONValue(parsing: text)
        case .value(let value): value
        }
    }

    /// Bytes of the compact text: counted when kept as text, serialized to count otherwise (0 if it cannot be).
    public var byteCount: Int {
        switch form {
        case .text(let text): text.utf8.count
        case .value(let value): (try? value.serializedText().utf8.count) ?? 0
        }
    }

    public var description: String {
        switch form {
        case .text(let text): text
        case .value(let value): (try? value.serializedText()) ?? "\(value)"
        }
    }

    public static func == (lhs: JSONPayload, rhs: JSONPayload) -> Bool {
        if case .text(let left) = lhs.form, case .text(let right) = rhs.form, left == right { return true }
        return (try? lhs.value()).map { $0 == (try? rhs.value()) } ?? false
    }

    public func hash(into hasher: inout Hasher) {
        if let value = try? value() { hasher.combine(value) } else { hasher.combine(description) }
    }
}
