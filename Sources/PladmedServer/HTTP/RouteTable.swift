import HTTPTypes
import OpenAPIRuntime
import PladmedCore

/// Which methods each API path serves, so that a known path asked with another method answers 405 with
/// `Allow`. Filled by ``Recorder`` while the generated handlers are registered.
final class RouteTable: Sendable {
    private let routes = Mutex<[String: Set<HTTPRequest.Method>]>([:])

    /// The methods `path` serves (with `OPTIONS`, which CORS answers), or `nil` for an unknown path.
    func allowedMethods(for path: String) -> [String]? {
        routes.withLock { routes in
            routes[path].map { (Array($0.map(\.rawValue)) + ["OPTIONS"]).sorted() }
        }
    }

    /// Whether `path` is a route: the label requests to it are counted under.
    func knows(_ path: String) -> Bool {
        routes.withLock { $0[path] != nil }
    }

    /// Records that `path` serves `method` (for routes registered on the router directly).
    func record(_ method: HTTPRequest.Method, _ path: String) {
        routes.withLock { _ = $0[path, default: []].insert(method) }
    }

    /// A transport that forwards every registration to `transport` and records it in `table`.
    struct Recorder: ServerTransport {
        let transport: any ServerTransport
        let table: RouteTable

        func register(
            _ handler: @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
            method: HTTPRequest.Method, path: String
        ) throws {
            try transport.register(handler, method: method, path: path)
            table.record(method, path)
        }
    }
}
