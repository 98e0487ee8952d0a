import Foundation
import JSONValues

/// The variables of a run (the collection's, then every value captured on the way) and the seeded source of
/// fresh values. Fills request templates in and matches answers against expectation templates.
public struct Bindings: Sendable {
    /// Variable name -> value.
    public private(set) var values: [String: JSONValue]
    private var random: SeededGenerator

    /// Starts with `values`; `seed` fixes every generated `$guid`.
    public init(_ values: [String: JSONValue] = [:], seed: UInt64) {
        self.values = values
        self.random = SeededGenerator(seed: seed)
    }

    public subscript(name: String) -> JSONValue? {
        get { values[name] }
        set { values[name] = newValue }
    }

    /// A fresh UUID from the seeded generator.
    public mutating func guid() -> String {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let cuts = [0, 8, 12, 16, 20, 32].map { hex.index(hex.startIndex, offsetBy: $0) }
        return (0..<5).map { String(hex[cuts[$0]..<cuts[$0 + 1]]) }.joined(separator: "-")
    }

    /// Fresh lowercase hexadecimal text of `count` digits.
    public mutating func hex(_ count: Int) -> String {
        String((0..<count).map { _ in "0123456789abcdef".randomElement(using: &random)! })
    }

    // MARK: Requests

    /// `text` with every placeholder replaced: variables by their value (strings raw, anything else as JSON
    /// text), `$guid` by a fresh one (bound too when named).
    public mutating func render(_ text: String) throws -> String {
        var output = ""
        for piece in TemplateText(text).pieces {
            switch piece {
            case .literal(let literal): output += literal
            case .placeholder(.variable(let name)):
                guard let value = values[name] else { throw TemplateError("variable '\(name)' is not bound") }
                output += try value.string ?? value.serializedText()
            case .placeholder(.expression(let expression)):
                output += try Expression.json(expression.evaluate(values)).serializedText()
            case .placeholder(.kind(.guid)): output += guid()
            case .placeholder(.capture(let name, .guid)):
                let fresh = guid()
                values[name] = .string(fresh)
                output += fresh
            case .placeholder(let other):
                throw TemplateError("\(other) cannot be filled into a request; only variables and $guid can")
            }
        }
        return output
    }

    // MARK: Expectations

    /// The differences between the expectation template `expected` and `actual`, each with its JSON path;
    /// captures are bound on the way. Objects must have the same keys unless the template has the key
    /// `{{$more}}`; arrays the same length; numbers compare as JSON numbers.
    public mutating func match(_ expected: JSONValue, _ actual: JSONValue, path: String = "$") -> [String] {
        switch expected {
        case .string(let text):
            let template = TemplateText(text)
            if let placeholder = template.single { return match(placeholder, actual, path: path) }
            guard template.hasPlaceholders else { break }
            guard let actualText = actual.string else { return ["\(path): expected a string like \(quoted(text)), got \(describe(actual))"] }
            return matchText(template, actualText).map { "\(path): \($0)" }
        case .object(let fields):
            guard let actualFields = actual.object else { return ["\(path): expected an object, got \(describe(actual))"] }
            var mismatches: [String] = []
            let open = fields["{{$more}}"] != nil
            for key in fields.keys.sorted() where key != "{{$more}}" {
                if let value = actualFields[key] {
                    mismatches += match(fields[key]!, value, path: "\(path).\(key)")
                } else {
                    mismatches.append("\(path).\(key): missing")
                }
            }
            if !open {
                for key in actualFields.keys.sorted() where fields[key] == nil { mismatches.append("\(path).\(key): unexpected") }
            }
            return mismatches
        case .array(let elements):
            guard let actualElements = actual.array else { return ["\(path): expected an array, got \(describe(actual))"] }
            guard elements.count == actualElements.count else {
                return ["\(path): expected \(elements.count) elements, got \(actualElements.count)"]
            }
            return zip(elements, actualElements).enumerated().flatMap { match($1.0, $1.1, path: "\(path)[\($0)]") }
        default:
            break
        }
        return expected == actual ? [] : ["\(path): expected \(describe(expected)), got \(describe(actual))"]
    }

    private mutating func match(_ placeholder: Placeholder, _ actual: JSONValue, path: String) -> [String] {
        switch placeholder {
        case .variable(let name):
            guard let bound = values[name] else { return ["\(path): variable '\(name)' is not bound"] }
            return bound == actual ? [] : ["\(path): expected \(describe(bound)) ({{\(name)}}), got \(describe(actual))"]
        case .kind(let kind):
            return kind.accepts(actual) ? [] : ["\(path): expected any \(kind.rawValue), got \(describe(actual))"]
        case .capture(let name, let kind):
            guard kind.accepts(actual) else { return ["\(path): expected any \(kind.rawValue) (for {{\(name)}}), got \(describe(actual))"] }
            values[name] = actual
            return []
        case .expression(let expression):
            let expected: Double
            do { expected = try expression.evaluate(values) } catch { return ["\(path): {{= \(expression.text)}}: \(error)"] }
            guard let number = actual.number, Expression.agrees(number, with: expected) else {
                return ["\(path): expected \(describe(Expression.json(expected))) ({{= \(expression.text)}}), got \(describe(actual))"]
            }
            return []
        }
    }

    /// Matches `actual` against a text template with placeholders inside it; nothing when they agree.
    public mutating func matchText(_ template: String, _ actual: String) -> [String] {
        matchText(TemplateText(template), actual)
    }

    private mutating func matchText(_ template: TemplateText, _ actual: String) -> [String] {
        var pattern = "^"
        var groups: [Placeholder] = []
        for piece in template.pieces {
            switch piece {
            case .literal(let literal): pattern += NSRegularExpression.escapedPattern(for: literal)
            case .placeholder(.variable(let name)):
                guard let bound = values[name] else { return ["variable '\(name)' is not bound"] }
                pattern += NSRegularExpression.escapedPattern(for: bound.string ?? ((try? bound.serializedText()) ?? ""))
            case .placeholder(.expression(let expression)):
                guard let value = try? expression.evaluate(values) else { return ["{{= \(expression.text)}} cannot be evaluated"] }
                pattern += NSRegularExpression.escapedPattern(for: (try? Expression.json(value).serializedText()) ?? "")
            case .placeholder(let placeholder):
                pattern += "([\\s\\S]*?)"
                groups.append(placeholder)
            }
        }
        pattern += "$"
        let expected = quoted(template.pieces.map { piece -> String in
            switch piece {
            case .literal(let literal): literal
            case .placeholder(.variable(let name)): values[name].map { $0.string ?? ((try? $0.serializedText()) ?? "") } ?? "{{\(name)}}"
            case .placeholder(.kind(let kind)): "{{$\(kind.rawValue)}}"
            case .placeholder(.capture(let name, let kind)): "{{\(name)=$\(kind.rawValue)}}"
            case .placeholder(.expression(let expression)): "{{= \(expression.text)}}"
            }
        }.joined())
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let found = regex.firstMatch(in: actual, range: NSRange(actual.startIndex..., in: actual))
        else { return ["expected \(expected), got \(quoted(actual))"] }
        var mismatches: [String] = []
        for (index, placeholder) in groups.enumerated() {
            let text = Range(found.range(at: index + 1), in: actual).map { String(actual[$0]) } ?? ""
            let kind: Placeholder.Kind
            let name: String?
            switch placeholder {
            case .kind(let k): (kind, name) = (k, nil)
            case .capture(let n, let k): (kind, name) = (k, n)
            case .variable, .expression: continue
            }
            let value: JSONValue = (kind == .number || kind == .integer) ? ((try? JSONValue(parsing: text)) ?? .string(text)) : .string(text)
            if !kind.accepts(value) {
                mismatches.append("expected any \(kind.rawValue) in \(expected), got \(quoted(text))")
            } else if let name {
                values[name] = value
            }
        }
        return mismatches
    }

    /// Matches an Engine.IO frame: the packet-type prefix as text, the JSON after it structurally.
    public mutating func matchFrame(_ template: String, _ actual: String) -> [String] {
        guard let (templatePrefix, templateJSON) = Self.split(frame: template), let (actualPrefix, actualJSON) = Self.split(frame: actual),
              let expectedValue = try? JSONValue(parsing: templateJSON)
        else { return matchText(template, actual) }
        guard let actualValue = try? JSONValue(parsing: actualJSON) else {
            return ["expected \(quoted(template)), got \(quoted(actual)) (its payload is not JSON)"]
        }
        let prefixMismatches = matchText(templatePrefix, actualPrefix)
        if !prefixMismatches.isEmpty { return ["expected \(quoted(template)), got \(quoted(actual))"] }
        return match(expectedValue, actualValue, path: "$")
    }

    /// A frame's text before its JSON payload, and the payload.
    static func split(frame: String) -> (prefix: String, json: String)? {
        guard let start = frame.firstIndex(where: { $0 == "[" || $0 == "{" }) else { return nil }
        return (String(frame[..<start]), String(frame[start...]))
    }

    private func describe(_ value: JSONValue) -> String {
        let text = (try? value.serializedText()) ?? "\(value)"
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }

    private func quoted(_ text: String) -> String {
        let shown = text.count > 300 ? String(text.prefix(300)) + "…" : text
        return "\"" + shown + "\""
    }
}
