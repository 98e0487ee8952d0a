import Hummingbird
import HTTPTypes

/// Gives every request its path's one spelling before anything matches it: empty segments (a trailing `/`, a
/// doubled `//`) removed, as the router itself ignores them. Every middleware and route then sees the path the
/// router matches, so that `/operation/`, `//operation` and `/operation` reach the same implementation.
struct PathSpellingMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let canonical = Self.canonical(request.uri.path) else { return try await next(request, context) }
        var head = request.head
        head.path = canonical + (request.uri.query.map { "?" + $0 } ?? "")
        return try await next(Request(head: head, body: request.body), context)
    }

    /// `path` without empty segments, or `nil` when it has none (`/` stays `/`).
    static func canonical(_ path: String) -> String? {
        let bytes = path.utf8
        var previousSlash = false, clean = true
        for byte in bytes {
            let slash = byte == UInt8(ascii: "/")
            if slash && previousSlash { clean = false; break }
            previousSlash = slash
        }
        if clean && !(bytes.count > 1 && bytes.last == UInt8(ascii: "/")) { return nil }
        return "/" + path.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
    }
}
