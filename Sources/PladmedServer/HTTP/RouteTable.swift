import HTTPTypes

/// Which methods each path serves, so that a known path asked with another method answers 405 with `Allow`, and
/// requests are counted under their route. Made once, before the server serves, from the routes the router is
/// given; read without a lock.
struct RouteTable: Sendable {
    private let routes: [String: [String]]

    /// The table of `routes`.
    init(_ routes: [(method: HTTPRequest.Method, path: String)]) {
        var methods: [String: Set<String>] = [:]
        for route in routes { methods[route.path, default: ["OPTIONS"]].insert(route.method.rawValue) }
        self.routes = methods.mapValues { $0.sorted() }
    }

    /// The methods `path` serves (with `OPTIONS`, which CORS answers), or `nil` for an unknown path.
    func allowedMethods(for path: String) -> [String]? {
        routes[path]
    }

    /// Whether `path` is a route: the label requests to it are counted under.
    func knows(_ path: String) -> Bool {
        routes[path] != nil
    }
}
