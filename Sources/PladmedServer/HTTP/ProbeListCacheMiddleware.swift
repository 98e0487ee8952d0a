import Hummingbird
import NIOCore
import PladmedCore

/// Answers `GET /probes` from the ``ProbeListCache`` while it holds an answer for the current probes; otherwise
/// lets the generated handler answer and keeps that answer, byte for byte, with its headers.
struct ProbeListCacheMiddleware<Context: RequestContext>: RouterMiddleware {
    let cache: ProbeListCache
    let hub: any ProbeHub

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get, request.uri.path == "/probes" else { return try await next(request, context) }
        let now = NIODeadline.now()
        let key = cache.key(hub: await hub.revision())
        if let answer = cache.answer(for: key, now: now) {
            return Response(status: .ok, headers: answer.headers, body: ResponseBody(byteBuffer: answer.body))
        }
        var response = try await next(request, context)
        guard response.status == .ok, let length = response.body.contentLength, length <= cache.maxBytes else { return response }
        let body = try await BodyCollector.collect(response.body, capacity: length)
        cache.keep(.init(key: key, headers: response.headers, body: body, built: now))
        response.body = ResponseBody(byteBuffer: body)
        return response
    }
}
