import Hummingbird
import NIOCore
import PladmedCore
import PladmedStorage

/// Answers `GET /operations/me` with ``OperationJSON``: the bytes the generated handler writes, without the
/// runtime's `JSONEncoder`, which was a fifth of the request's time for a single operation. The caller is checked
/// by the same ``Authenticator`` as every protected operation.
struct OwnOperationsMiddleware<Context: RequestContext>: RouterMiddleware {
    let store: any Store
    let authenticator: Authenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get, request.uri.path == "/operations/me" else { return try await next(request, context) }
        let caller = try await authenticator.caller(request.headers, meeting: AccessPolicy.requirements["listOwnOperations"] ?? .user)
        let operations = try await store.operations(owner: caller.id, includeResults: true)
        let text = "[" + (try operations.map(OperationJSON.text(of:)).joined(separator: ",")) + "]"
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
