import Foundation
import Hummingbird
import Logging
import NIOHTTP1
import OpenAPIRuntime
import PladmedCore
import PladmedStorage

/// Turns every error into a JSON answer `{"Error": message}`: domain errors with their status, request bodies
/// that do not decode with a 400 naming the field, unknown routes 404, known routes with another method 405,
/// and anything unexpected 500 (logged, never shown).
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable

    /// Operations whose decoding failures answer the contract's `Invalid data provided`.
    static var contractValidatedOperations: Set<String> { ["createTraceroute", "createPing", "createDns", "addCredits", "setProbeLimit"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return response(for: error, request: request, context: context)
        }
    }

    func response(for error: any Error, request: Request, context: Context) -> Response {
        switch error {
        case let error as PladmedError:
            return Self.json(error)
        case let error as ServerError:
            if let domain = error.underlyingError as? PladmedError {
                return Self.json(domain)
            }
            if error.underlyingError.isStoreUnavailable {
                context.logger.error("database unavailable", metadata: ["operation": "\(error.operationID)", "error": "\(error.underlyingError)"])
                return Self.json(status: 503, message: "The database is unavailable, try again later")
            }
            if let decoding = error.underlyingError as? DecodingError {
                // A request without a body failed on its query: say so, never that a body is wrong.
                if request.method == .get || request.method == .delete {
                    let message = Self.describe(decoding)
                    return Self.json(status: 400, message: message.hasPrefix("Request body")
                        ? "A query parameter is not of its type (\(request.uri.query.map { String($0.prefix(100)) } ?? "none"))"
                        : "Query parameter " + message)
                }
                if Self.contractValidatedOperations.contains(error.operationID) {
                    return Self.json(status: 400, message: PladmedError.invalidData.message)
                }
                return Self.json(status: 400, message: Self.describe(decoding))
            }
            if (400..<500).contains(error.httpStatus.code) {
                return Self.json(status: error.httpStatus.code, message: error.causeDescription)
            }
            context.logger.error("request failed", metadata: ["operation": "\(error.operationID)", "error": "\(error.underlyingError)"])
            return Self.json(status: 500, message: "Internal server error")
        case is HTTPParserError:
            // A body the parser refused (a bad chunk size): the client's fault, and the connection cannot go on.
            var response = Self.json(status: 400, message: "The request is not valid HTTP/1.1")
            response.headers[.connection] = "close"
            return response
        case let error as HTTPError where error.status == .notFound:
            if let allowed = routes.allowedMethods(for: request.uri.path) {
                var response = Self.json(status: 405, message: "Method not allowed")
                response.headers[.allow] = allowed.joined(separator: ", ")
                return response
            }
            return Self.json(status: 404, message: "Not found")
        case let error as HTTPError:
            return Self.json(status: error.status.code, message: error.body ?? error.status.reasonPhrase)
        default:
            context.logger.error("request failed", metadata: ["error": "\(error)"])
            return Self.json(status: 500, message: "Internal server error")
        }
    }

    /// `{"Error": message}` with `status`.
    /// The answer of a domain error, with `Retry-After` when it says how long to wait.
    static func json(_ error: PladmedError) -> Response {
        var response = json(status: error.status, message: error.message)
        if let seconds = error.retryAfter { response.headers[.retryAfter] = String(seconds) }
        return response
    }

    static func json(status: Int, message: String) -> Response {
        let body = (try? JSONValue.object(["Error": .string(message)]).serialized()) ?? Data()
        var response = Response(status: .init(code: status), body: .init(byteBuffer: ByteBuffer(bytes: body)))
        response.headers[.contentType] = "application/json"
        return response
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
