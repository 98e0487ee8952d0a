import Hummingbird

/// Answers `Connection: close` to a request that asked for it (RFC 9112 §9.6: a server that closes the connection
/// after a request carrying the `close` option says so in its answer). Hummingbird closes such a connection once it
/// has answered, but without saying so; a client that pools connections (Node's agent, under node-fetch) then
/// sends its next request on the closing socket and gets "socket hang up". Wrap the router's responder in it:
/// `Application(responder: ConnectionCloseResponder(router.buildResponder()), ...)`.
public struct ConnectionCloseResponder<Base: HTTPResponder>: HTTPResponder where Base.Context: RequestContext {
    public typealias Context = Base.Context

    let base: Base

    public init(_ base: Base) {
        self.base = base
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        var response: Response
        do {
            response = try await base.respond(to: request, context: context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        if Self.asksToClose(request) { response.headers[.connection] = "close" }
        return response
    }

    /// Whether the request's `Connection` header carries the `close` option (a comma-separated list, any case).
    static func asksToClose(_ request: Request) -> Bool {
        request.headers[values: .connection].contains { value in
            value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "close" }
        }
    }
}
