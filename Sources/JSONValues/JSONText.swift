import Foundation

/// Serialized JSON, kept as text: what a writer produced or storage returned travels and is stored without
/// building the values it denotes. Two texts are equal when they denote equal values (key order and spacing
/// aside).
public struct JSONText: Sendable, Hashable, CustomStringConvertible {
    /// The JSON text.
    public let text: String

    /// Text the caller vouches for: written by a JSON writer, or read back from where such text was stored.
    public init(trusted text: String) {
        self.text = text
    }

    /// The compact text of `value` (see ``JSONValue/serializedText()``).
    public init(_ value: JSONValue) throws {
        self.text = try value.serializedText()
    }

    /// The value the text denotes.
    public func value() throws -> JSONValue {
        try JSONValue(parsing: text)
    }

    public var description: String { text }

    public static func == (lhs: JSONText, rhs: JSONText) -> Bool {
        lhs.text == rhs.text || (try? lhs.value()).map { $0 == (try? rhs.value()) } ?? false
    }

    public func hash(into hasher: inout Hasher) {
        if let value = try? value() { hasher.combine(value) } else { hasher.combine(text) }
    }
}
