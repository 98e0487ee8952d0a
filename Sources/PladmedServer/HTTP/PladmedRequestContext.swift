import Hummingbird
import NIOCore

/// The request context of the pladmed router: Hummingbird's basic one plus the client's address, which the
/// login rate limits and the Socket.IO handshakes read.
public struct PladmedRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection's peer.
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}

/// The client address of the request being answered, for the generated handlers (which see no router context).
enum ClientAddress {
    @TaskLocal static var current: String?
}

/// Makes ``ClientAddress/current`` the request's peer address for what runs after it.
struct ClientAddressMiddleware: RouterMiddleware {
    func handle(
        _ request: Request, context: PladmedRequestContext, next: (Request, PladmedRequestContext) async throws -> Response
    ) async throws -> Response {
        try await ClientAddress.$current.withValue(context.remoteAddress?.ipAddress) {
            try await next(request, context)
        }
    }
}
