import HTTPTypes
import PladmedCore
import PladmedStorage

/// The token check of protected operations: the `access_token` header names a valid, unexpired token minted at the
/// account's current token version, and the account meets the requirement. The header may also be spelled
/// `access-token`, which the original's WSGI server folded into the same name.
struct Authenticator: Sendable {
    let store: any Store
    let tokens: TokenService

    static let headerNames = [HTTPField.Name("access_token")!, HTTPField.Name("access-token")!]

    /// The caller `headers` authenticate, meeting `requirement`; throws ``PladmedError/unauthorized`` otherwise.
    func caller(_ headers: HTTPFields, meeting requirement: AccessPolicy.Requirement) async throws -> User {
        guard let token = Self.headerNames.lazy.compactMap({ headers[$0] }).first,
              let claims = tokens.userClaims(fromToken: token),
              let user = try await store.user(id: claims.id),
              claims.version == user.tokenVersion,
              requirement == .user || user.isSuperuser
        else { throw PladmedError.unauthorized }
        return user
    }
}
