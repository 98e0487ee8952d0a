import Foundation
import Hummingbird
import NIOCore
import PladmedCore

/// A request's JSON body and query, read the one way every route reads them: the body (collected and bounded by
/// ``JSONBodyMiddleware``) parsed by ``JSONValue``'s parser, as the original's parser reads it (a member given twice
/// counts with its last value; a trailing comma is not JSON), then decoded into the generated type from that parse,
/// so that a field of the wrong type is named in the error as the document names it.
enum JSONRequest {
    /// The body as its JSON value; 400 when it is not JSON (`Invalid data provided` for `operation`'s contract).
    static func value(of request: Request, for operation: APIOperation) async throws -> JSONValue {
        let body = try await request.body.collect(upTo: .max)
        guard let value = try? body.withUnsafeReadableBytes({ try JSONValue(parsing: $0) }) else {
            throw operation.refusesBodiesAsInvalidData ? PladmedError.invalidData : PladmedError.badRequest("Request body is not valid JSON")
        }
        return value
    }

    /// The body as the generated `type`; 400 naming what is wrong (`Invalid data provided` for `operation`'s contract).
    static func decode<Body: Decodable>(_ type: Body.Type, from request: Request, for operation: APIOperation) async throws -> Body {
        let value = try await value(of: request, for: operation)
        do {
            return try JSONDecoder().decode(Body.self, from: Data(try value.serializedText().utf8))
        } catch let error as DecodingError {
            throw operation.refusesBodiesAsInvalidData ? PladmedError.invalidData : PladmedError.badRequest(describe(error))
        }
    }

    /// Query parameter `name` as sent, percent-decoded; `nil` when absent.
    static func query(_ name: String, of request: Request) -> String? {
        request.uri.queryParameters[Substring(name)].map(String.init)
    }

    /// A message naming the field a request body got wrong.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .typeMismatch(let type, let context):
            guard !context.codingPath.isEmpty else { return "Request body must be a JSON object" }
            return "\(path(context.codingPath)) is not \(typeName(type))"
        case .valueNotFound(_, let context):
            guard !context.codingPath.isEmpty else { return "Request body must be a JSON object" }
            return "\(path(context.codingPath)) must not be null"
        case .keyNotFound(let key, let context):
            return "Missing \(path(context.codingPath + [key])) field"
        case .dataCorrupted(let context):
            guard !context.codingPath.isEmpty else { return "Request body is not valid JSON" }
            return "\(path(context.codingPath)) is invalid"
        @unknown default:
            return "Request body is invalid"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type, is Float.Type, is Int.Type, is Int64.Type: "a number"
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is [Any].Type: "a list"
        default: "a JSON object"
        }
    }
}

/// An answer with a JSON body: the generated types through `JSONEncoder` (keys sorted, slashes unescaped), as the
/// document declares them, or text written directly (``OperationJSON``), in one buffer.
enum JSONAnswer {
    static let contentType = "application/json; charset=utf-8"

    /// `value` encoded, with `status`.
    static func encoding(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        text(try encoded(value), status: status)
    }

    /// `value` as the document's JSON: keys sorted, slashes unescaped.
    static func encoded(_ value: some Encodable) throws -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return ByteBuffer(bytes: try encoder.encode(value))
    }

    /// `body`, JSON already, with `status`.
    static func text(_ body: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: contentType], body: ResponseBody(byteBuffer: body))
    }

    /// `body`, JSON already.
    static func text(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        text(ByteBuffer(string: body), status: status)
    }

    /// An answer without a body.
    static func empty(_ status: HTTPResponse.Status) -> Response {
        Response(status: status)
    }
}
