import Hummingbird
import HTTPTypes
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

/// The client address of the request being answered, for the handlers (which see the request, not the router's
/// context).
enum ClientAddress {
    @TaskLocal static var current: String?
}

/// Makes ``ClientAddress/current`` the request's client address for what runs after it: the peer's, or, when the
/// peer is a trusted proxy, the last address of its `X-Forwarded-For` (the one that proxy saw).
struct ClientAddressMiddleware: RouterMiddleware {
    let trustedProxies: Set<String>

    func handle(
        _ request: Request, context: PladmedRequestContext, next: (Request, PladmedRequestContext) async throws -> Response
    ) async throws -> Response {
        try await ClientAddress.$current.withValue(Self.address(of: request, peer: context.remoteAddress?.ipAddress, trusting: trustedProxies)) {
            try await next(request, context)
        }
    }

    private static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    static func address(of request: Request, peer: String?, trusting proxies: Set<String>) -> String? {
        guard let peer, proxies.contains(peer), let forwarded = request.headers[values: forwardedFor].last,
              let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty, last.utf8.count <= 64
        else { return peer }
        return last
    }
}
