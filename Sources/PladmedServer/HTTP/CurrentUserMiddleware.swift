import Hummingbird
import NIOCore
import PladmedCore

/// Answers `GET /users/me` with the caller's public fields written directly, the bytes the generated handler writes
/// (sorted keys, numbers and strings as its `JSONEncoder` writes them), without the runtime's routing, middleware
/// and encoder, which were most of the request's time. The caller is checked by the same ``Authenticator`` as every
/// protected operation.
struct CurrentUserMiddleware<Context: RequestContext>: RouterMiddleware {
    let authenticator: Authenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get, request.uri.path == "/users/me" else { return try await next(request, context) }
        let caller = try await authenticator.caller(request.headers, meeting: AccessPolicy.requirements["getCurrentUser"] ?? .user)
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: try Self.text(of: caller))))
    }

    /// `{"_id":...,"credits":...,"email":...,"is_superuser":...}`.
    static func text(of user: User) throws -> String {
        try JSONValue.object([
            "_id": .string(user.id.hex), "credits": .double(user.credits), "email": .string(user.email),
            "is_superuser": .bool(user.isSuperuser),
        ]).serializedText()
    }
}
