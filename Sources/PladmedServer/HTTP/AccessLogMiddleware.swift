import HTTPTypes
import Hummingbird
import Logging

/// First on the router: gives each request an id (the client's `X-Request-Id` when it is a short token, else
/// Hummingbird's), puts it in the request's log metadata (`request_id`) and in the answer's `X-Request-Id`, logs
/// one line per request (`GET /probes 200 0.412 ms`), and counts it in ``PladmedMetrics`` under its route.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = PladmedRequestContext
    let metrics: PladmedMetrics
    let routes: RouteTable
    /// The Socket.IO path, whose polling requests count as one route.
    let socketPath: String

    static let requestIDHeader = HTTPField.Name("X-Request-Id")!
    private static let idCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:".utf8)
    private static let methods: Set<String> = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let id = request.headers[Self.requestIDHeader].flatMap(Self.acceptable) ?? context.id
        var context = context
        // One id per line: Hummingbird's own goes, as `request_id` carries it (or the client's).
        context.logger[metadataKey: "hb.request.id"] = nil
        context.logger[metadataKey: "request_id"] = .string(id)
        let status: Int
        do {
            var response = try await next(request, context)
            response.headers[Self.requestIDHeader] = id
            status = response.status.code
            finish(request, context: context, status: status, since: start)
            return response
        } catch {
            status = (error as? any HTTPResponseError)?.status.code ?? 500
            finish(request, context: context, status: status, since: start)
            throw error
        }
    }

    private func finish(_ request: Request, context: Context, status: Int, since start: ContinuousClock.Instant) {
        let duration = ContinuousClock.now - start
        let path = request.uri.path
        let method = request.method.rawValue
        metrics.request(method: Self.methods.contains(method) ? method : "other", route: route(path), status: status, duration: duration)
        context.logger.info("\(method) \(path) \(status) \(Self.milliseconds(duration)) ms")
    }

    /// `duration` in milliseconds with three decimals, formatted without floating point.
    static func milliseconds(_ duration: Duration) -> String {
        let microseconds = duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
        let fraction = String(microseconds % 1000)
        return "\(microseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    /// The route label of `path`: a known route, the Socket.IO path, `/docs/{file}`, or `other`.
    private func route(_ path: String) -> String {
        if routes.knows(path) { return path }
        if path == socketPath || path + "/" == socketPath { return socketPath }
        if path.hasPrefix("/docs/") { return "/docs/{file}" }
        return "other"
    }

    /// A client's request id when it is 1–128 characters of letters, digits, `-`, `_`, `.` and `:`.
    static func acceptable(_ id: String) -> String? {
        guard (1...128).contains(id.utf8.count), id.utf8.allSatisfy(idCharacters.contains) else { return nil }
        return id
    }
}
