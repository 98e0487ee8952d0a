import Hummingbird

/// CORS as flask-cors answered for the original: every response allows any origin (`*`, or the request's
/// `Origin` echoed with `Vary: Origin`), and an `OPTIONS` preflight is answered directly with the requested
/// headers and every method allowed (and `Allow` listing what the path serves).
struct FlaskCORSMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable

    static var allowedMethods: String { "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let origin = request.headers[.origin]
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var response = Response(status: .ok)
            response.headers[.accessControlAllowMethods] = Self.allowedMethods
            if let allowed = routes.allowedMethods(for: request.uri.path) {
                response.headers[.allow] = allowed.joined(separator: ", ")
            }
            if let requested = request.headers[.accessControlRequestHeaders] {
                response.headers[.accessControlAllowHeaders] = requested.split(separator: ",")
                    .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")
            }
            Self.decorate(&response, origin: origin)
            return response
        }
        var response = try await next(request, context)
        Self.decorate(&response, origin: origin)
        return response
    }

    static func decorate(_ response: inout Response, origin: String?) {
        if let origin {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.vary] = "Origin"
        } else {
            response.headers[.accessControlAllowOrigin] = "*"
        }
    }
}
