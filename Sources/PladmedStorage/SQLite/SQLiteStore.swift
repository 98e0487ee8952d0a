import Foundation
import GRDB
import PladmedCore

/// The embedded ``Store``: one SQLite file through GRDB, in WAL mode, created and migrated on first open.
public final class SQLiteStore: Store {
    public let driverName = "sqlite"
    let database: DatabasePool
    /// Result uploads share transactions: many probes uploading at once cost one commit per batch.
    let resultWriter: GroupCommitWriter<StoredResult>
    /// Accounts by id, forgotten as writes to them commit.
    let keptUsers = ReadCache<ObjectID, User>(capacity: 10_000)
    /// Probes by id: a probe never changes once registered (only wiping or importing the store removes any).
    let keptProbes = ReadCache<ObjectID, Probe>(capacity: 100_000)
    /// Makes the operations' commits, taken without their own `fsync`, durable.
    let walSync: WALSync
    /// Each account's operations with their results (`GET /operations/me`), by owner, forgotten as an operation of
    /// theirs is created or gets a result; at most 64 MiB of results in all, 4 MiB for one account.
    let keptOperations = ReadCache<ObjectID, [OperationRecord]>(capacity: 1_000, maxCost: 64 << 20) { operations in
        operations.reduce(256) { total, operation in operation.results.reduce(total + 512) { $0 + $1.content.byteCount + 64 } }
    }

    /// What a result insertion did, whose account its reward went to, and whose operation it joined.
    struct StoredResult: Sendable {
        let insertion: ResultInsertion
        let rewarded: ObjectID?
        let requester: ObjectID?
    }

    /// Opens (creating if needed) the database at `path`, making missing parent folders.
    public init(path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        database = try DatabasePool(path: path, configuration: configuration)
        // GRDB runs WAL with synchronous=NORMAL, which survives a crash of the process but not a power loss. Every
        // write goes through the pool's one writer connection: FULL there makes each commit durable (fsync of the
        // WAL) before it is acknowledged. Group commit keeps that to one fsync per batch of uploads.
        try database.barrierWriteWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try Self.migrator.migrate(database)
        resultWriter = GroupCommitWriter(database: database)
        walSync = WALSync(databasePath: path)
    }

    /// Runs a read of one statement on the calling thread. A lookup by key takes microseconds, while an
    /// asynchronous read pays two thread hand-offs (a quarter of a millisecond on two cores); WAL readers
    /// never wait for the writer, and one statement is a consistent snapshot without a transaction.
    ///
    /// Waiting here for a free reader blocks the calling thread, which is safe only because no reader is ever held
    /// across a suspension: longer reads go through ``readLater(_:)``, whose readers are released on their own
    /// dispatch queues without needing a thread of the caller's pool.
    private func readNow<T>(_ body: (Database) throws -> T) throws -> T {
        try database.unsafeRead(body)
    }

    /// Runs `body` on the writer connection from the calling thread (GRDB's writer queue runs it there when idle,
    /// and the caller waits otherwise), outside any transaction. For short writes only, as ``readNow(_:)`` is for
    /// reads: the wait holds the calling thread.
    private func writeNow<T>(_ body: (Database) throws -> T) throws -> T {
        try database.writeWithoutTransaction(body)
    }

    /// Runs a read in a deferred transaction on a reader's queue and resumes the caller with its value.
    ///
    /// GRDB's own `async` read keeps its reader until the awaiting task resumes, so with every cooperative thread
    /// waiting in ``readNow(_:)`` for a reader, the readers wait for a cooperative thread to give them back: a
    /// deadlock the comparison benchmark hit with 64 clients on two cores. Here the reader goes back to the pool
    /// as soon as `body` returns, on its queue, whichever threads the caller's executor has free.
    private func readLater<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            database.asyncRead { db in
                continuation.resume(with: Result { try body(db.get()) })
            }
        }
    }

    public func createUser(email: String, passwordHash: String, isSuperuser: Bool) async throws -> User {
        let user = User(id: ObjectID(), email: email, passwordHash: passwordHash, credits: 0, isSuperuser: isSuperuser)
        do {
            try await database.write { db in try Self.insert(user, into: db) }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw PladmedError.emailTaken
        }
        return user
    }

    public func user(id: ObjectID) async throws -> User? {
        if let kept = keptUsers.value(id) { return kept }
        let generation = keptUsers.generation
        let user = try readNow { db in try Self.fetchUser(db, id: id) }
        if let user { keptUsers.keep(user, for: id, readAfter: generation) }
        return user
    }

    public func user(email: String) async throws -> User? {
        try readNow { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM users WHERE email = ? COLLATE NOCASE"), arguments: [email]).map(Self.user)
        }
    }

    public func revokeTokens(of user: ObjectID) async throws -> User? {
        defer { keptUsers.forget(user) }
        return try await database.write { db in
            try db.execute(sql: "UPDATE users SET token_version = token_version + 1 WHERE id = ?", arguments: [user.hex])
            return try Self.fetchUser(db, id: user)
        }
    }

    public func addCredits(_ amount: Double, to user: ObjectID, upTo limit: Double) async throws -> User? {
        defer { keptUsers.forget(user) }
        return try await database.write { db in
            guard let current = try Self.fetchUser(db, id: user) else { return nil }
            let credits = current.credits + amount
            guard credits.isFinite, credits <= limit else { throw PladmedError.balanceLimit(limit) }
            try db.execute(sql: "UPDATE users SET credits = ? WHERE id = ?", arguments: [credits, user.hex])
            return try Self.fetchUser(db, id: user)
        }
    }

    public func setProbeLimit(_ limit: Int?, of user: ObjectID) async throws -> User? {
        defer { keptUsers.forget(user) }
        return try await database.write { db in
            try db.execute(sql: "UPDATE users SET max_probes = ? WHERE id = ?", arguments: [limit, user.hex])
            return try Self.fetchUser(db, id: user)
        }
    }

    public func createProbe(owner: ObjectID, location: Location, limit: Int) async throws -> Probe {
        let probe = Probe(id: ObjectID(), owner: owner, location: location)
        try await database.write { db in
            if limit < .max {
                let held = try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM probes WHERE owner = ?"), arguments: [owner.hex]) ?? 0
                guard held < limit else { throw PladmedError.probeLimit(limit) }
            }
            try Self.insert(probe, into: db)
        }
        return probe
    }

    public func rotateProbeToken(_ probe: ObjectID) async throws -> Probe? {
        defer { keptProbes.forget(probe) }
        return try await database.write { db in
            try db.execute(sql: "UPDATE probes SET token_version = token_version + 1 WHERE id = ?", arguments: [probe.hex])
            return try Row.fetchOne(db, sql: "SELECT * FROM probes WHERE id = ?", arguments: [probe.hex]).map(Self.probe)
        }
    }

    public func probes(ids: [ObjectID]) async throws -> [Probe] {
        let kept = keptProbes.values(ids)
        let missing = ids.filter { kept[$0] == nil }
        guard !missing.isEmpty else { return Array(kept.values) }
        let generation = keptProbes.generation
        // One statement whatever the list's length (the ids travel as one JSON array): a statement per length
        // would be cached for every length a caller ever sent.
        let list = "[" + missing.map { "\"" + $0.hex + "\"" }.joined(separator: ",") + "]"
        let read = try readNow { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM probes WHERE id IN (SELECT value FROM json_each(?))"),
                             arguments: [list]).map(Self.probe)
        }
        for probe in read { keptProbes.keep(probe, for: probe.id, readAfter: generation) }
        return Array(kept.values) + read
    }

    public func probes(owner: ObjectID?) async throws -> [Probe] {
        try await readLater { db in
            if let owner {
                return try Row.fetchAll(db, sql: "SELECT * FROM probes WHERE owner = ? ORDER BY rowid", arguments: [owner.hex])
                    .map(Self.probe)
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM probes ORDER BY rowid").map(Self.probe)
        }
    }

    /// The transaction commits at `synchronous = NORMAL`, on the calling thread (a write of a few rows costs less
    /// than an asynchronous write's two hand-offs to the writer's queue and back, and the writer is mostly idle):
    /// its frames are in the WAL, which every reader sees, so `visible` runs at once. One `fdatasync` of the WAL
    /// then makes the commit durable (``WALSync``), as `synchronous = FULL` would have inside the commit, and
    /// covers every operation committed meanwhile.
    public func createOperation(_ new: NewOperation, whenVisible visible: @Sendable (OperationRecord) async -> Void) async throws -> OperationRecord {
        let operation = OperationRecord(
            id: ObjectID(), kind: new.kind, owner: new.owner, params: new.params,
            probes: new.probes.map { OperationProbe(id: $0.id, owner: $0.owner, location: $0.location) },
            credits: new.credits, resultFormat: new.resultFormat)
        let params = try new.params.serializedText()
        let generation = keptUsers.generation
        let charged = try writeNow { db -> User in
            try db.cachedStatement(sql: "PRAGMA synchronous = NORMAL").execute()
            let outcome = Result { () throws -> User in
                // `BEGIN` and `COMMIT` are kept compiled, as the other statements are (`inTransaction` compiles them
                // anew each time). `RETURNING` would cost more than reading the account back: SQLite stores its rows
                // in a temporary table.
                try db.cachedStatement(sql: "BEGIN IMMEDIATE").execute()
                do {
                    try db.cachedStatement(sql: "UPDATE users SET credits = credits - ? WHERE id = ? AND credits >= ?")
                        .execute(arguments: [new.credits, new.owner.hex, new.credits])
                    guard db.changesCount == 1, let charged = try Self.fetchUser(db, id: new.owner) else { throw PladmedError.notEnoughCredits }
                    try Self.insert(operation, params: params, into: db)
                    try db.cachedStatement(sql: "COMMIT").execute()
                    return charged
                } catch {
                    if db.isInsideTransaction { try db.cachedStatement(sql: "ROLLBACK").execute() }
                    throw error
                }
            }
            // Every other write stays durable within its commit.
            try db.cachedStatement(sql: "PRAGMA synchronous = FULL").execute()
            return try outcome.get()
        }
        let ticket = walSync.committed()
        keptUsers.replace(charged, for: new.owner, writtenAfter: generation)
        keptOperations.forget(new.owner)
        await visible(operation)
        try await walSync.sync(through: ticket)
        return operation
    }

    public func operation(id: ObjectID, includeResults: Bool) async throws -> OperationRecord? {
        try await readLater { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM operations WHERE id = ?", arguments: [id.hex]) else {
                return nil
            }
            return try Self.operation(db, row: row, includeResults: includeResults)
        }
    }

    public func operations(owner: ObjectID?, includeResults: Bool) async throws -> [OperationRecord] {
        // One account's operations are read on the calling thread, as a lookup by key is: the asynchronous read's
        // two hand-offs cost more than the statements. Every operation of every account is a longer read.
        if let owner {
            if includeResults, let kept = keptOperations.value(owner) { return kept }
            let generation = keptOperations.generation
            let operations = try readNow { db in
                try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM operations WHERE owner = ? ORDER BY rowid"), arguments: [owner.hex])
                    .map { try Self.operation(db, row: $0, includeResults: includeResults) }
            }
            if includeResults { keptOperations.keep(operations, for: owner, readAfter: generation) }
            return operations
        }
        return try await readLater { db in
            try Row.fetchAll(db, sql: "SELECT * FROM operations ORDER BY rowid").map { try Self.operation(db, row: $0, includeResults: includeResults) }
        }
    }

    public func operations(owner: ObjectID?, after: ObjectID?, limit: Int) async throws -> [OperationRecord] {
        try readNow { db in
            // After the operation `after` in creation order; past every row when it is unknown.
            try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT * FROM operations
                    WHERE (?1 IS NULL OR owner = ?1)
                      AND rowid > CASE WHEN ?2 IS NULL THEN 0
                                       ELSE ifnull((SELECT rowid FROM operations WHERE id = ?2), 9223372036854775807) END
                    ORDER BY rowid LIMIT ?3
                    """),
                arguments: [owner?.hex, after?.hex, max(0, limit)]
            ).map { try Self.operation(db, row: $0, includeResults: false) }
        }
    }

    /// From the kept answer when there is one (the common case: an account reading its own operations again), else
    /// after one query adding up the sizes of the account's results.
    public func operations(owner: ObjectID, atMost maxOperations: Int, withResultsUpTo maxBytes: Int) async throws -> [OperationRecord]? {
        if let kept = keptOperations.value(owner) {
            let bytes = kept.reduce(0) { total, operation in operation.results.reduce(total) { $0 + $1.content.byteCount } }
            return kept.count <= maxOperations && bytes <= maxBytes ? kept : nil
        }
        let (count, bytes) = try readNow { db in
            let row = try Row.fetchOne(
                db.cachedStatement(sql: """
                    SELECT (SELECT count(*) FROM operations WHERE owner = ?1) AS count,
                           (SELECT ifnull(sum(length(CAST(content AS BLOB))), 0) FROM results
                            WHERE operation_id IN (SELECT id FROM operations WHERE owner = ?1)) AS bytes
                    """),
                arguments: [owner.hex])
            return (row?["count"] as Int? ?? 0, row?["bytes"] as Int? ?? 0)
        }
        guard count <= maxOperations, bytes <= maxBytes else { return nil }
        return try await operations(owner: owner, includeResults: true)
    }

    /// A cursor is the result's rowid in decimal.
    public func results(of operation: ObjectID, after: String?, limit: Int, maxBytes: Int) async throws -> [(cursor: String, result: OperationResult)]? {
        var afterRow = 0
        if let after {
            guard let row = Int(after), row >= 0, String(row) == after else { throw PladmedError.badCursor }
            afterRow = row
        }
        return try readNow { db in
            guard try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM operations WHERE id = ?"), arguments: [operation.hex]) != nil else {
                return nil
            }
            // The sizes first, then the contents of the rows that fit in the budget.
            let sizes = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT rowid, length(CAST(content AS BLOB)) AS size FROM results WHERE operation_id = ? AND rowid > ? ORDER BY rowid LIMIT ?"),
                arguments: [operation.hex, afterRow, max(0, limit)])
            var last: Int?, budget = maxBytes
            for row in sizes {
                let size: Int = row["size"]
                guard last == nil || size <= budget else { break }
                budget -= size
                last = row["rowid"]
            }
            guard let last else { return [] }
            return try Row.fetchAll(
                db.cachedStatement(sql: """
                    SELECT rowid, probe_id, unique_code, content FROM results
                    WHERE operation_id = ? AND rowid > ? AND rowid <= ? ORDER BY rowid
                    """),
                arguments: [operation.hex, afterRow, last]
            ).map { row in
                (String(row["rowid"] as Int), OperationResult(
                    probe: ObjectID(row["probe_id"] as String)!, content: JSONPayload(trusted: row["content"] as String),
                    uniqueCode: row["unique_code"]))
            }
        }
    }

    public func addResult(
        _ result: OperationResult, to operation: ObjectID, reward: Double, rewardedLimit: Int, limit: Int
    ) async throws -> ResultInsertion {
        let content = try result.content.text()
        let stored = try await resultWriter.write { db -> StoredResult in
            guard let requester = try String.fetchOne(db.cachedStatement(sql: "SELECT owner FROM operations WHERE id = ?"), arguments: [operation.hex])
            else {
                return StoredResult(insertion: .unknownOperation, rewarded: nil, requester: nil)
            }
            if let holder = try String.fetchOne(
                db.cachedStatement(sql: "SELECT probe_id FROM results WHERE operation_id = ? AND unique_code = ?"),
                arguments: [operation.hex, result.uniqueCode])
            {
                return StoredResult(insertion: holder == result.probe.hex ? .duplicate : .codeTakenByAnotherProbe, rewarded: nil, requester: nil)
            }
            let stored = try Int.fetchOne(
                db.cachedStatement(sql: "SELECT count(*) FROM results WHERE operation_id = ? AND probe_id = ?"),
                arguments: [operation.hex, result.probe.hex]) ?? 0
            guard stored < limit else { return StoredResult(insertion: .limitReached, rewarded: nil, requester: nil) }
            try db.cachedStatement(sql: "INSERT INTO results (operation_id, probe_id, unique_code, content) VALUES (?, ?, ?, ?)")
                .execute(arguments: [operation.hex, result.probe.hex, result.uniqueCode, content])
            let owner = try String.fetchOne(db.cachedStatement(sql: "SELECT owner FROM probes WHERE id = ?"), arguments: [result.probe.hex])
            guard stored < rewardedLimit else {
                return StoredResult(insertion: .storedUnpaid, rewarded: nil, requester: ObjectID(requester))
            }
            try db.cachedStatement(sql: "UPDATE users SET credits = credits + ? WHERE id = ?").execute(arguments: [reward, owner])
            return StoredResult(insertion: .stored, rewarded: owner.flatMap(ObjectID.init), requester: ObjectID(requester))
        }
        // Committed: the probe owner's balance changed, and the requester's operation has one more result.
        if let rewarded = stored.rewarded { keptUsers.forget(rewarded) }
        if let requester = stored.requester { keptOperations.forget(requester) }
        return stored.insertion
    }

    public func users() async throws -> [User] {
        try await readLater { db in try Row.fetchAll(db, sql: "SELECT * FROM users ORDER BY rowid").map(Self.user) }
    }

    public func importRecords(users: [User], probes: [Probe], operations: [OperationRecord]) async throws {
        let operations = try operations.map { ($0, try $0.params.serializedText(), try $0.results.map { try $0.content.text() }) }
        defer {
            keptUsers.forgetAll()
            keptProbes.forgetAll()
            keptOperations.forgetAll()
        }
        try await database.write { db in
            for user in users { try Self.insert(user, into: db) }
            for probe in probes { try Self.insert(probe, into: db) }
            for (operation, params, contents) in operations {
                try Self.insert(operation, params: params, into: db)
                for (result, content) in zip(operation.results, contents) {
                    try db.execute(
                        sql: "INSERT INTO results (operation_id, probe_id, unique_code, content) VALUES (?, ?, ?, ?)",
                        arguments: [operation.id.hex, result.probe.hex, result.uniqueCode, content])
                }
            }
        }
    }

    public func deleteAll() async throws {
        defer {
            keptUsers.forgetAll()
            keptProbes.forgetAll()
            keptOperations.forgetAll()
        }
        try await database.write { db in
            for table in ["results", "operation_probes", "operations", "probes", "users"] {
                try db.execute(sql: "DELETE FROM \(table)")
            }
        }
    }

    /// Nothing: the schema is created when the store opens.
    public func prepare() async throws {}

    public func ping() async throws {
        _ = try readNow { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }
}
