import HTTPTypes
import OpenAPIRuntime
import PladmedCore
import PladmedStorage

/// Checks the `access_token` header of protected operations before their body is read, and makes the
/// caller available to the handler as ``AuthenticatedUser/current``. The token names its account by id; an
/// expired token, or one minted before the account's last logout, is refused.
///
/// The header may also be spelled `access-token`, which the original's WSGI server folded into the same name.
struct AuthenticationMiddleware: ServerMiddleware {
    let store: any Store
    let tokens: TokenService

    static let headerNames = [HTTPField.Name("access_token")!, HTTPField.Name("access-token")!]

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        guard let requirement = AccessPolicy.requirements[operationID] else {
            return try await next(request, body, metadata)
        }
        guard let token = Self.headerNames.lazy.compactMap({ request.headerFields[$0] }).first,
              let claims = tokens.userClaims(fromToken: token),
              let user = try await store.user(id: claims.id),
              claims.version == user.tokenVersion,
              requirement == .user || user.isSuperuser
        else { throw PladmedError.unauthorized }
        return try await AuthenticatedUser.$current.withValue(user) {
            try await next(request, body, metadata)
        }
    }
}
