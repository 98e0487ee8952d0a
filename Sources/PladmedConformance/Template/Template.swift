import Foundation
import JSONValues

/// The placeholder language of the collection's examples and the probe sessions (documented in
/// `docs/endpoints/CONFORMANCE.md`):
/// - `{{name}}`: the value bound to variable `name`;
/// - `{{$kind}}`: in an expectation, any value of that kind; in a request, a fresh value (`$guid` only);
/// - `{{name=$kind}}`: the same, and the value is bound to `name` for later steps;
/// - `{{= expression}}`: the number an ``Expression`` of bound variables gives.
///
/// Kinds: `any`, `string`, `number`, `integer`, `boolean`, `objectId`, `jwt`, `guid`.
public enum Placeholder: Equatable, Sendable {
    case variable(String)
    case kind(Kind)
    case capture(String, Kind)
    case expression(Expression)

    /// What a `$kind` placeholder accepts.
    public enum Kind: String, Sendable, CaseIterable {
        case any, string, number, integer, boolean, objectId, jwt, guid

        /// Whether `value` is of this kind.
        func accepts(_ value: JSONValue) -> Bool {
            switch self {
            case .any: return true
            case .number: return value.number != nil
            case .integer: return value.integer != nil
            case .boolean: if case .bool = value { return true } else { return false }
            case .string: return value.string != nil
            case .objectId:
                guard let text = value.string else { return false }
                return text.utf8.count == 24 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
            case .jwt:
                guard let text = value.string else { return false }
                let parts = text.split(separator: ".", omittingEmptySubsequences: false)
                return parts.count == 3 && parts.allSatisfy { part in
                    !part.isEmpty && part.utf8.allSatisfy { $0 == 45 || $0 == 95 || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) }
                }
            case .guid:
                guard let text = value.string else { return false }
                return UUID(uuidString: text) != nil
            }
        }
    }

    /// The placeholder spelled by `inner` (the text between `{{` and `}}`), or `nil` when it is not one.
    public init?(_ inner: Substring) {
        let text = inner.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("=") {
            guard let expression = Expression(String(text.dropFirst())) else { return nil }
            self = .expression(expression)
        } else if text.hasPrefix("$") {
            guard let kind = Kind(rawValue: String(text.dropFirst())) else { return nil }
            self = .kind(kind)
        } else if let equals = text.firstIndex(of: "=") {
            let name = String(text[..<equals])
            let rest = text[text.index(after: equals)...]
            guard Self.isName(name), rest.hasPrefix("$"), let kind = Kind(rawValue: String(rest.dropFirst())) else { return nil }
            self = .capture(name, kind)
        } else {
            guard Self.isName(text) else { return nil }
            self = .variable(text)
        }
    }

    static func isName(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "." }
    }
}

/// A template text cut into literal runs and placeholders.
struct TemplateText {
    enum Piece: Equatable {
        case literal(String)
        case placeholder(Placeholder)
    }

    let pieces: [Piece]

    init(_ text: String) {
        var pieces: [Piece] = []
        var rest = Substring(text)
        var literal = ""
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else { break }
            if let placeholder = Placeholder(rest[open.upperBound..<close.lowerBound]) {
                literal += rest[..<open.lowerBound]
                if !literal.isEmpty { pieces.append(.literal(literal)) }
                literal = ""
                pieces.append(.placeholder(placeholder))
            } else {
                literal += rest[..<close.upperBound]
            }
            rest = rest[close.upperBound...]
        }
        literal += rest
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        self.pieces = pieces
    }

    /// The placeholder when the whole text is exactly one.
    var single: Placeholder? {
        if pieces.count == 1, case .placeholder(let placeholder) = pieces[0] { placeholder } else { nil }
    }

    var hasPlaceholders: Bool { pieces.contains { if case .placeholder = $0 { true } else { false } } }
}

/// Why a template could not be filled in.
public struct TemplateError: Error, CustomStringConvertible, Equatable {
    public let description: String
    init(_ description: String) { self.description = description }
}
