import Foundation
import JSONValues

/// One way an instance breaks a schema.
public struct SchemaViolation: Sendable, Equatable, CustomStringConvertible {
    /// Where in the instance, as a JSON pointer (`""` is the whole value).
    public let instancePath: String
    /// The schema keyword that failed (`type`, `required`, ...).
    public let keyword: String
    /// What is wrong, in words.
    public let message: String

    public init(instancePath: String, keyword: String, message: String) {
        self.instancePath = instancePath
        self.keyword = keyword
        self.message = message
    }

    public var description: String { "\(instancePath.isEmpty ? "(root)" : instancePath): \(message) [\(keyword)]" }
}

/// Validates JSON values (numbers compare as numbers; `true` is never `1`) against JSON Schema 2020-12 as OpenAPI 3.1 uses it: `type` (one or several, `null`
/// included), `enum`, `const`, `properties`, `required`, `additionalProperties`, `items`, `minItems`,
/// `maxItems`, `uniqueItems`, `minLength`, `maxLength`, `pattern`, `minimum`, `maximum`,
/// `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf`, `allOf`, `anyOf`, `oneOf`, `not`, `$ref` within the
/// document (`#/...`), and OpenAPI 3.0's `nullable`. Annotations (`description`, `examples`, `format`, ...)
/// do not constrain. Unknown keywords are ignored, as the specification says.
public struct JSONSchemaValidator: Sendable {
    /// The document `$ref`s point into (an OpenAPI file as JSON).
    public let document: JSONValue

    public init(document: JSONValue) {
        self.document = document
    }

    /// Every violation of `schema` by `instance`; empty when it is valid.
    public func validate(_ instance: JSONValue, against schema: JSONValue) -> [SchemaViolation] {
        var violations: [SchemaViolation] = []
        check(instance, schema, path: "", depth: 0, into: &violations)
        return violations
    }

    /// The value a `#/a/b` reference names, `nil` when it names nothing.
    public func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#") else { return nil }
        var value = document
        for token in reference.dropFirst().split(separator: "/", omittingEmptySubsequences: true) {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch value {
            case .object(let members): guard let next = members[key] else { return nil }; value = next
            case .array(let items): guard let index = Int(key), items.indices.contains(index) else { return nil }; value = items[index]
            default: return nil
            }
        }
        return value
    }

    private func check(_ instance: JSONValue, _ schema: JSONValue, path: String, depth: Int, into violations: inout [SchemaViolation]) {
        func fail(_ keyword: String, _ message: String) {
            violations.append(SchemaViolation(instancePath: path, keyword: keyword, message: message))
        }
        guard depth < 64 else { return fail("$ref", "references nest too deeply (a cycle?)") }
        switch schema {
        case .bool(let allowed):
            if !allowed { fail("false", "no value is allowed here") }
            return
        case .object: break
        default: return
        }
        if case .string(let reference)? = schema["$ref"] {
            if let target = resolve(reference) {
                check(instance, target, path: path, depth: depth + 1, into: &violations)
            } else {
                fail("$ref", "unresolvable reference \(reference)")
            }
        }
        if schema["nullable"] == .bool(true), instance == .null { return }

        if let types = Self.types(schema["type"]), !types.contains(where: { Self.instance(instance, is: $0) }) {
            fail("type", "expected \(types.joined(separator: " or ")), got \(Self.typeName(instance))")
        }
        if case .array(let options)? = schema["enum"], !options.contains(instance) {
            fail("enum", "\(Self.short(instance)) is not one of \(options.map(Self.short).joined(separator: ", "))")
        }
        if let constant = schema["const"], constant != instance {
            fail("const", "expected \(Self.short(constant)), got \(Self.short(instance))")
        }

        switch instance {
        case .object(let members):
            checkObject(members, schema, path: path, depth: depth, into: &violations)
        case .array(let items):
            checkArray(items, schema, path: path, depth: depth, into: &violations)
        case .string(let text):
            let length = text.unicodeScalars.count
            if let minimum = schema["minLength"]?.integer, length < minimum { fail("minLength", "shorter than \(minimum) characters") }
            if let maximum = schema["maxLength"]?.integer, length > maximum { fail("maxLength", "longer than \(maximum) characters") }
            if case .string(let pattern)? = schema["pattern"] {
                if let expression = try? NSRegularExpression(pattern: pattern),
                   expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                    fail("pattern", "\(Self.short(instance)) does not match \(pattern)")
                }
            }
        case .int, .double:
            let number = instance.number!
            if let minimum = schema["minimum"]?.number, number < minimum { fail("minimum", "\(Self.short(instance)) is below \(Self.short(.double(minimum)))") }
            if let maximum = schema["maximum"]?.number, number > maximum { fail("maximum", "\(Self.short(instance)) is above \(Self.short(.double(maximum)))") }
            if let minimum = schema["exclusiveMinimum"]?.number, number <= minimum {
                fail("exclusiveMinimum", "\(Self.short(instance)) is not above \(Self.short(.double(minimum)))")
            }
            if let maximum = schema["exclusiveMaximum"]?.number, number >= maximum {
                fail("exclusiveMaximum", "\(Self.short(instance)) is not below \(Self.short(.double(maximum)))")
            }
            if let divisor = schema["multipleOf"]?.number, divisor > 0, (number / divisor).rounded() != number / divisor {
                fail("multipleOf", "\(Self.short(instance)) is not a multiple of \(Self.short(.double(divisor)))")
            }
        default:
            break
        }

        if case .array(let parts)? = schema["allOf"] {
            for part in parts { check(instance, part, path: path, depth: depth + 1, into: &violations) }
        }
        if case .array(let parts)? = schema["anyOf"], !parts.contains(where: { validate(instance, against: $0, depth: depth).isEmpty }) {
            fail("anyOf", "matches none of \(parts.count) alternatives")
        }
        if case .array(let parts)? = schema["oneOf"] {
            let matching = parts.filter { validate(instance, against: $0, depth: depth).isEmpty }.count
            if matching != 1 { fail("oneOf", "matches \(matching) of \(parts.count) alternatives, not exactly one") }
        }
        if let negated = schema["not"], validate(instance, against: negated, depth: depth).isEmpty {
            fail("not", "matches a schema it must not")
        }
    }

    private func validate(_ instance: JSONValue, against schema: JSONValue, depth: Int) -> [SchemaViolation] {
        var violations: [SchemaViolation] = []
        check(instance, schema, path: "", depth: depth + 1, into: &violations)
        return violations
    }

    private func checkObject(_ members: [String: JSONValue], _ schema: JSONValue, path: String, depth: Int, into violations: inout [SchemaViolation]) {
        let properties = schema["properties"]?.object ?? [:]
        if case .array(let required)? = schema["required"] {
            for case .string(let name) in required where members[name] == nil {
                violations.append(SchemaViolation(instancePath: path, keyword: "required", message: "missing required property \"\(name)\""))
            }
        }
        for (name, value) in members.sorted(by: { $0.key < $1.key }) {
            let childPath = path + "/" + name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
            if let property = properties[name] {
                check(value, property, path: childPath, depth: depth + 1, into: &violations)
            } else if let additional = schema["additionalProperties"] {
                if additional == .bool(false) {
                    violations.append(SchemaViolation(instancePath: childPath, keyword: "additionalProperties", message: "property \"\(name)\" is not allowed"))
                } else {
                    check(value, additional, path: childPath, depth: depth + 1, into: &violations)
                }
            }
        }
    }

    private func checkArray(_ items: [JSONValue], _ schema: JSONValue, path: String, depth: Int, into violations: inout [SchemaViolation]) {
        if let minimum = schema["minItems"]?.integer, items.count < minimum {
            violations.append(SchemaViolation(instancePath: path, keyword: "minItems", message: "\(items.count) items, fewer than \(minimum)"))
        }
        if let maximum = schema["maxItems"]?.integer, items.count > maximum {
            violations.append(SchemaViolation(instancePath: path, keyword: "maxItems", message: "\(items.count) items, more than \(maximum)"))
        }
        if schema["uniqueItems"] == .bool(true) {
            for (index, item) in items.enumerated() where items[..<index].contains(item) {
                violations.append(SchemaViolation(instancePath: path + "/\(index)", keyword: "uniqueItems", message: "repeats an earlier item"))
            }
        }
        if let itemSchema = schema["items"] {
            for (index, item) in items.enumerated() { check(item, itemSchema, path: path + "/\(index)", depth: depth + 1, into: &violations) }
        }
    }

    // MARK: types

    static func types(_ value: JSONValue?) -> [String]? {
        switch value {
        case .string(let type): [type]
        case .array(let types): types.compactMap(\.string)
        default: nil
        }
    }

    static func instance(_ value: JSONValue, is type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): true
        case ("number", .int), ("number", .double), ("integer", .int): true
        case ("integer", .double(let number)): number.rounded() == number
        default: false
        }
    }

    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .int: "integer"
        case .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    static func short(_ value: JSONValue) -> String {
        let text = (try? value.serializedText()) ?? "?"
        return text.count > 60 ? String(text.prefix(57)) + "..." : text
    }
}
