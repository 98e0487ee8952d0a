import Foundation
import JSONValues
import PladmedAPI
import Yams

/// The OpenAPI document as this server publishes it at `/openapi.yaml` and `/openapi.json`: the specification
/// with its `servers` replaced by this server (`/`), so that Swagger UI's "try it out" calls the server it was
/// loaded from. The JSON keeps the YAML's order, which is the order Swagger UI lists operations in.
struct PublishedSpecification: Sendable {
    let yaml: String
    let json: [UInt8]

    /// The document built from `text`, the specification's YAML.
    init(text: String) throws {
        guard case .mapping(var root)? = try Yams.compose(yaml: text) else {
            throw ConfigurationError("the OpenAPI specification is not a YAML mapping")
        }
        root["servers"] = .sequence([.mapping(["url": "/", "description": "this server"])])
        yaml = try Yams.serialize(node: .mapping(root), sortKeys: false)
        var out: [UInt8] = []
        try Self.writeJSON(.mapping(root), to: &out, depth: 0)
        json = out
    }

    /// The specification bundled with the build.
    static func bundled() throws -> PublishedSpecification {
        try PublishedSpecification(text: PladmedAPISpec.yaml())
    }

    private static func writeJSON(_ node: Node, to out: inout [UInt8], depth: Int) throws {
        guard depth < JSONValue.maximumDepth else { throw ConfigurationError("the OpenAPI specification nests too deeply") }
        switch node {
        case .scalar(let scalar):
            let tag = node.tag.description
            if tag == Tag.Name.null.rawValue {
                out += Array("null".utf8)
            } else if tag == Tag.Name.bool.rawValue, let value = node.bool {
                out += Array((value ? "true" : "false").utf8)
            } else if tag == Tag.Name.int.rawValue, let value = node.int {
                out += Array(String(value).utf8)
            } else if tag == Tag.Name.float.rawValue, let value = node.float, value.isFinite {
                out += Array(try JSONValue.double(value).serializedText().utf8)
            } else {
                JSONValue.appendQuoted(scalar.string, to: &out)
            }
        case .sequence(let sequence):
            out.append(UInt8(ascii: "["))
            for (index, element) in sequence.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                try writeJSON(element, to: &out, depth: depth + 1)
            }
            out.append(UInt8(ascii: "]"))
        case .mapping(let mapping):
            out.append(UInt8(ascii: "{"))
            for (index, pair) in mapping.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.appendQuoted(pair.key.string ?? "", to: &out)
                out.append(UInt8(ascii: ":"))
                try writeJSON(pair.value, to: &out, depth: depth + 1)
            }
            out.append(UInt8(ascii: "}"))
        case .alias:
            throw ConfigurationError("the OpenAPI specification uses YAML aliases")
        }
    }
}
