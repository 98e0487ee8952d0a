import Foundation
import Hummingbird
import Logging
import NIOHTTP1
import PladmedCore
import PladmedStorage

/// Turns every error into a JSON answer `{"Error": message}`: domain errors with their status (a body that does not
/// decode is one, ``JSONRequest``), an unreachable store 503, a body the HTTP parser refused 400, unknown routes
/// 404, known routes with another method 405, and anything unexpected 500 (logged, never shown).
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable

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
        case let error where error.isStoreUnavailable:
            context.logger.error("database unavailable", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return Self.json(status: 503, message: "The database is unavailable, try again later")
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
}
