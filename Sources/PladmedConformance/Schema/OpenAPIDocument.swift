import Foundation
import JSONValues
import Yams

/// An OpenAPI 3.1 document (`docs/endpoints/openapi.yaml`) as JSON, answering which schema a response of an
/// operation must follow.
public struct OpenAPIDocument: Sendable {
    /// The whole document.
    public let root: JSONValue
    /// A validator whose `$ref`s resolve in this document.
    public var validator: JSONSchemaValidator { JSONSchemaValidator(document: root) }

    /// Parses YAML (or JSON) text.
    public init(yaml text: String) throws {
        guard let parsed = try Yams.load(yaml: text) else { throw OpenAPIDocumentError("the document is empty") }
        root = try Self.json(parsed)
    }

    /// Reads the file at `path`.
    public init(contentsOf path: String) throws {
        try self.init(yaml: try String(contentsOfFile: path, encoding: .utf8))
    }

    /// The schema of the JSON body answering `method path` with `status` (the exact code, then `2XX`-style
    /// ranges, then `default`); `nil` when the document declares no JSON body for it.
    public func responseSchema(method: String, path: String, status: Int) -> JSONValue? {
        let route = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        guard let responses = root["paths"]?[route]?[method.lowercased()]?["responses"] else { return nil }
        for key in [String(status), "\(status / 100)XX", "default"] {
            if let content = responses[key]?["content"]?["application/json"] { return content["schema"] }
        }
        return nil
    }

    /// Whether the document declares `status` for `method path` at all.
    public func declares(method: String, path: String, status: Int) -> Bool {
        let route = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        guard let responses = root["paths"]?[route]?[method.lowercased()]?["responses"]?.object else { return false }
        return responses[String(status)] != nil || responses["\(status / 100)XX"] != nil || responses["default"] != nil
    }

    /// Validates `body` against the schema of that response; a violation when the response is undeclared.
    public func validate(body: JSONValue, method: String, path: String, status: Int) -> [SchemaViolation] {
        guard declares(method: method, path: path, status: status) else {
            return [SchemaViolation(instancePath: "", keyword: "responses", message: "\(method.uppercased()) \(path) does not declare status \(status)")]
        }
        guard let schema = responseSchema(method: method, path: path, status: status) else { return [] }
        return validator.validate(body, against: schema)
    }

    /// YAML's values as JSON (keys as strings; YAML integers stay integers).
    static func json(_ value: Any) throws -> JSONValue {
        switch value {
        case is NSNull: return .null
        case let bool as Bool: return .bool(bool)
        case let int as Int: return .int(int)
        case let double as Double: return .double(double)
        case let string as String: return .string(string)
        case let array as [Any]: return .array(try array.map(json))
        case let dictionary as [String: Any]: return .object(try dictionary.mapValues(json))
        case let dictionary as [AnyHashable: Any]:
            return .object(Dictionary(uniqueKeysWithValues: try dictionary.map { ("\($0.key)", try json($0.value)) }))
        case let date as Date: return .string(ISO8601DateFormatter().string(from: date))
        default: throw OpenAPIDocumentError("a value of type \(type(of: value)) has no JSON form")
        }
    }
}

/// An OpenAPI document that could not be read.
public struct OpenAPIDocumentError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
