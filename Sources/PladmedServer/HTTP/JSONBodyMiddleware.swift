import Hummingbird

/// Reads every request body as JSON whatever its `Content-Type` says, as the original did (Flask's
/// `get_json(force=True)`): the generated handlers accept only `application/json`.
struct JSONBodyMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard [.post, .put, .patch].contains(request.method),
              request.headers[.contentType]?.lowercased().hasPrefix("application/json") != true
        else { return try await next(request, context) }
        var head = request.head
        head.headerFields[.contentType] = "application/json"
        return try await next(Request(head: head, body: request.body), context)
    }
}
