import HTTPTypes
import OpenAPIRuntime
import PladmedCore
import PladmedStorage

/// Checks the `access_token` header of protected operations (``Authenticator``) before their body is read, and
/// makes the caller available to the handler as ``AuthenticatedUser/current``. The token names its account by id;
/// an expired token, or one minted before the account's last logout, is refused.
struct AuthenticationMiddleware: ServerMiddleware {
    let authenticator: Authenticator

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        guard let requirement = AccessPolicy.requirements[operationID] else {
            return try await next(request, body, metadata)
        }
        let user = try await authenticator.caller(request.headerFields, meeting: requirement)
        return try await AuthenticatedUser.$current.withValue(user) {
            try await next(request, body, metadata)
        }
    }
}
