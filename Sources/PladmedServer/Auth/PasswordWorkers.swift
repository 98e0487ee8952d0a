import Logging
import NIOPosix
import PladmedCore
import ServiceLifecycle

/// Hashes and verifies passwords on threads of their own, so that PBKDF2's 29000 rounds never hold up the threads
/// that answer requests. At most `capacity` jobs wait; past that a login or registration answers 503 at once
/// instead of queueing without bound. An unknown account costs what a known one does: its password is checked
/// against a hash of the same strength.
final class PasswordWorkers: Service {
    private let pool: NIOThreadPool
    private let hasher: PasswordHasher
    private let capacity: Int
    private let pending = Mutex(0)
    /// What an unknown account's password is checked against.
    private let decoy: String

    init(threads: Int, hasher: PasswordHasher = PasswordHasher(), capacity: Int? = nil) {
        self.pool = NIOThreadPool(numberOfThreads: threads)
        self.hasher = hasher
        self.capacity = capacity ?? threads * 32
        self.decoy = hasher.hash(String(UInt64.random(in: .min ... .max), radix: 36))
        pool.start()
    }

    /// A new hash of `password`.
    func hash(_ password: String) async throws -> String {
        let hasher = self.hasher
        return try await run { hasher.hash(password) }
    }

    /// Whether `password` matches `hash`; with no hash (no such account), the same work against a decoy, and false.
    func verify(_ password: String, against hash: String?) async throws -> Bool {
        let hasher = self.hasher, decoy = self.decoy
        return try await run {
            guard let hash else {
                _ = hasher.verify(password, against: decoy)
                return false
            }
            return hasher.verify(password, against: hash)
        }
    }

    private func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async throws -> T {
        let admitted = pending.withLock { count in
            guard count < capacity else { return false }
            count += 1
            return true
        }
        guard admitted else { throw PladmedError.unavailable("Too many logins at once, try again in a moment") }
        defer { pending.withLock { $0 -= 1 } }
        return try await pool.runIfActive(body)
    }

    /// Runs until the service group shuts down, then stops the threads.
    func run() async throws {
        try? await gracefulShutdown()
        try await pool.shutdownGracefully()
    }
}
