import Foundation
import HTTPTypes
import Hummingbird
import PladmedCore

/// The routes an operator reads: `/metrics` (Prometheus text format), `/openapi.yaml` and `/openapi.json` (the
/// published specification) and `/docs` (Swagger UI on it, when its files are configured).
struct OperatorRoutes: Sendable {
    let metrics: PladmedMetrics
    /// The probes connected to this instance.
    let probesConnected: @Sendable () -> Int
    let sessions: @Sendable () -> Int
    let clock: @Sendable () -> ClockState?
    let specification: PublishedSpecification
    let swaggerUI: SwaggerUI?

    /// The routes ``install(on:)`` adds, for the ``RouteTable``.
    static let routes: [(method: HTTPRequest.Method, path: String)] = ["/metrics", "/openapi.yaml", "/openapi.json", "/docs"].map { (.get, $0) }

    func install(on router: Router<PladmedRequestContext>) {
        router.get("/metrics") { _, _ in
            let text = metrics.exposition(sessions: sessions(), probesConnected: probesConnected(), clock: clock())
            return Self.answer(ByteBuffer(bytes: text), type: "text/plain; version=0.0.4; charset=utf-8")
        }
        let yaml = ByteBuffer(string: specification.yaml), json = ByteBuffer(bytes: specification.json)
        router.get("/openapi.yaml") { _, _ in Self.answer(yaml, type: "application/yaml; charset=utf-8") }
        router.get("/openapi.json") { _, _ in Self.answer(json, type: "application/json") }
        guard let swaggerUI else {
            router.get("/docs") { _, _ -> Response in
                throw PladmedError.notFound("Swagger UI is not installed on this server (set PLADMED_SWAGGER_UI_DIR)")
            }
            return
        }
        let page = ByteBuffer(string: SwaggerUI.page), starter = ByteBuffer(string: SwaggerUI.starter)
        router.get("/docs") { _, _ in Self.secured(Self.answer(page, type: "text/html; charset=utf-8")) }
        router.get("/docs/:file") { _, context in
            guard let name = context.parameters.get("file") else { throw PladmedError.notFound("Not found") }
            if name == "pladmed-docs.js" { return Self.secured(Self.answer(starter, type: "text/javascript; charset=utf-8")) }
            guard let type = SwaggerUI.files[name], let content = swaggerUI.contents[name] else { throw PladmedError.notFound("Not found") }
            var response = Self.secured(Self.answer(content, type: type))
            response.headers[.cacheControl] = "public, max-age=3600"
            return response
        }
    }

    private static func secured(_ response: Response) -> Response {
        var response = response
        for (name, value) in SwaggerUI.securityHeaders { response.headers[HTTPField.Name(name)!] = value }
        return response
    }

    private static func answer(_ body: ByteBuffer, type: String) -> Response {
        var response = Response(status: .ok, body: .init(byteBuffer: body))
        response.headers[.contentType] = type
        return response
    }
}
