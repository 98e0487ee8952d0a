/// Who may call which operation. The OpenAPI generator ignores `security`, so this table mirrors the spec's
/// `security: [access_token]` declarations (a test keeps the two equal).
public enum AccessPolicy {
    /// What a caller must be.
    public enum Requirement: Sendable, Equatable {
        /// Any user with a valid token.
        case user
        /// A superuser.
        case superuser
    }

    /// The requirement of each protected operation, by operation id.
    public static let requirements: [String: Requirement] = [
        "getCurrentUser": .user,
        "logout": .user,
        "addCredits": .superuser,
        "setProbeLimit": .superuser,
        "registerProbe": .user,
        "rotateProbeToken": .user,
        "listOwnProbes": .user,
        "createTraceroute": .user,
        "createPing": .user,
        "createDns": .user,
        "listOwnOperations": .user,
        "listOperations": .user,
    ]
}
