import PladmedCore

/// Copies a whole deployment from one store to another (SQLite to MongoDB or back), ids, password hashes,
/// credits and results included, so that tokens and logins keep working.
public enum StoreMigration {
    /// What was copied.
    public struct Counts: Sendable, Equatable, CustomStringConvertible {
        public var users: Int
        public var probes: Int
        public var operations: Int
        public var results: Int

        public init(users: Int, probes: Int, operations: Int, results: Int) {
            self.users = users
            self.probes = probes
            self.operations = operations
            self.results = results
        }

        public var description: String { "\(users) users, \(probes) probes, \(operations) operations, \(results) results" }
    }

    /// Why a migration did not start.
    public struct Refusal: Error, CustomStringConvertible {
        public let description: String
    }

    /// Copies everything in `source` into `destination`, which must be empty (nothing is overwritten). The
    /// data is read into memory first: size the machine for the database.
    public static func copy(from source: any Store, to destination: any Store) async throws -> Counts {
        let existing = try await destination.users().count + destination.probes(owner: nil).count
            + destination.operations(owner: nil, includeResults: false).count
        guard existing == 0 else { throw Refusal(description: "the destination store is not empty (\(existing) records); nothing was copied") }
        let users = try await source.users()
        let probes = try await source.probes(owner: nil)
        let operations = try await source.operations(owner: nil, includeResults: true)
        try await destination.importRecords(users: users, probes: probes, operations: operations)
        return Counts(users: users.count, probes: probes.count, operations: operations.count,
                      results: operations.reduce(0) { $0 + $1.results.count })
    }
}
