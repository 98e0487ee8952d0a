import Foundation

/// JSON text with object keys in a chosen order and numbers printed like Python's `json.dumps`
/// (integral values without a fraction), compact separators: what PyJWT 1.7 signed for the original.
public indirect enum OrderedJSON: Sendable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    case object([(String, OrderedJSON)])

    /// The compact text.
    public var text: String {
        switch self {
        case .string(let value): Self.quote(value)
        case .number(let value): Self.format(value)
        case .bool(let value): value ? "true" : "false"
        case .null: "null"
        case .object(let members):
            "{" + members.map { Self.quote($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    static func format(_ value: Double) -> String {
        if value.isFinite, value.rounded() == value, abs(value) < 1e16 {
            return String(Int64(value))
        }
        return "\(value)"
    }

    /// Quotes like Python's `json.dumps` with `ensure_ascii=True`.
    static func quote(_ value: String) -> String {
        var out = "\""
        for unit in value.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(unit)!)
            default: out += String(format: "\\u%04x", unit)
            }
        }
        return out + "\""
    }
}
