import Foundation
import JSONValues

/// A Socket.IO argument: any JSON value, or binary data (sent as an attachment).
public enum SocketIOValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case binary([UInt8])
    case array([SocketIOValue])
    case object([String: SocketIOValue])

    /// Member `key` of an object.
    public subscript(key: String) -> SocketIOValue? {
        if case .object(let members) = self { members[key] } else { nil }
    }

    /// The string, if this is one.
    public var string: String? { if case .string(let value) = self { value } else { nil } }

    /// The number, if this is one (booleans are not).
    public var number: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }

    /// Parses JSON text; binary values cannot appear in it.
    static func parse(_ text: Substring) throws -> SocketIOValue {
        do {
            return SocketIOValue(try JSONValue(parsing: text))
        } catch {
            throw SocketIOProtocolError("invalid JSON payload")
        }
    }

    /// Replaces binary values with `{"_placeholder":true,"num":n}`, collecting them in order.
    func deconstructed(into attachments: inout [[UInt8]]) -> SocketIOValue {
        switch self {
        case .binary(let bytes):
            attachments.append(bytes)
            return .object(["_placeholder": .bool(true), "num": .int(attachments.count - 1)])
        case .array(let values): return .array(values.map { $0.deconstructed(into: &attachments) })
        case .object(let members): return .object(members.mapValues { $0.deconstructed(into: &attachments) })
        default: return self
        }
    }

    /// Puts attachments back in place of their placeholders; throws on a placeholder without attachment.
    func reconstructed(with attachments: [[UInt8]]) throws -> SocketIOValue {
        switch self {
        case .object(let members) where members["_placeholder"] == .bool(true):
            guard let index = members["num"].flatMap({ if case .int(let n) = $0 { n } else { nil } }),
                  attachments.indices.contains(index)
            else { throw SocketIOProtocolError("placeholder without a matching attachment") }
            return .binary(attachments[index])
        case .array(let values): return .array(try values.map { try $0.reconstructed(with: attachments) })
        case .object(let members): return .object(try members.mapValues { try $0.reconstructed(with: attachments) })
        default: return self
        }
    }

    /// Compact JSON text (no binary may remain).
    var jsonText: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .int(let value): String(value)
        case .double(let value): value.isFinite ? (value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : "\(value)") : "null"
        case .string(let value): Self.quote(value)
        case .binary: "null"
        case .array(let values): "[" + values.map(\.jsonText).joined(separator: ",") + "]"
        case .object(let members):
            "{" + members.sorted { $0.key < $1.key }.map { Self.quote($0.key) + ":" + $0.value.jsonText }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// A packet that breaks the Engine.IO or Socket.IO protocol. Its description is short and one line whatever the
/// packet held: it names bytes of the packet escaped, never its text.
public struct SocketIOProtocolError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }

    /// `byte` as `0xHH` (a printable ASCII byte also as itself: `0x37 '7'`).
    static func escaped(_ byte: UInt8) -> String {
        let hex = "0x" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
        return (0x21...0x7E).contains(byte) && byte != UInt8(ascii: "'") ? hex + " '" + String(UnicodeScalar(byte)) + "'" : hex
    }
}

extension SocketIOValue {
    /// The Socket.IO form of a JSON value.
    public init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool(let bool): self = .bool(bool)
        case .int(let int): self = .int(int)
        case .double(let double): self = .double(double)
        case .string(let string): self = .string(string)
        case .array(let values): self = .array(values.map(SocketIOValue.init))
        case .object(let members): self = .object(members.mapValues(SocketIOValue.init))
        }
    }

    /// The JSON value, `nil` when binary data is inside.
    public var json: JSONValue? {
        switch self {
        case .null: .null
        case .bool(let bool): .bool(bool)
        case .int(let int): .int(int)
        case .double(let double): .double(double)
        case .string(let string): .string(string)
        case .binary: nil
        case .array(let values):
            values.reduce(into: [JSONValue]?([])) { result, value in
                if let json = value.json { result?.append(json) } else { result = nil }
            }.map(JSONValue.array)
        case .object(let members):
            members.reduce(into: [String: JSONValue]?([:])) { result, member in
                if let json = member.value.json { result?[member.key] = json } else { result = nil }
            }.map(JSONValue.object)
        }
    }
}
