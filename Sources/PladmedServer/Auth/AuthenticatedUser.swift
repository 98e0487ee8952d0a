import PladmedCore

/// The caller of a protected operation, set by ``AuthenticationMiddleware`` for the handler's task.
enum AuthenticatedUser {
    @TaskLocal static var current: User?

    /// The caller; 401 when the operation was not authenticated.
    static func required() throws -> User {
        guard let current else { throw PladmedError.unauthorized }
        return current
    }
}
