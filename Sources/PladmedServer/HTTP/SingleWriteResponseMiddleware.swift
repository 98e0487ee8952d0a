import Hummingbird
import NIOCore

/// Turns a streamed response body of known, bounded length into one buffer, so that the head, the body and
/// the end of the response leave in one write (one system call) instead of three. The OpenAPI handlers answer
/// with such bodies: their JSON is already encoded in memory, so nothing is held longer than before.
struct SingleWriteResponseMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Bodies longer than this stay streamed.
    let maxLength: Int

    init(maxLength: Int = 16 << 20) {
        self.maxLength = maxLength
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard let length = response.body.contentLength, length > 0, length <= maxLength else { return response }
        response.body = ResponseBody(byteBuffer: try await BodyCollector.collect(response.body, capacity: length))
        return response
    }
}
