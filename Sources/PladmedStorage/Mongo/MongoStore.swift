import Foundation
import PladmedCore

/// The production ``Store``: MongoDB through libmongoc, with exactly the original's collections and
/// documents, so a database the original wrote is served unchanged:
///
/// - `users {_id, email (unique index), password, credits, is_superuser}`, plus ours: `email_key` (the email as
///   ``AccountRules/emailKey(_:)`` compares it, unique index), `token_version`, `max_probes`, `probe_registrations`
/// - `probes {_id, owner, location: {type: "Point", coordinates: [longitude, latitude]}}`
/// - `operations {_id, operation, params, probes: [ObjectId], owner, credits, result_format, results: [...]}`, whose
///   `results` only the original filled: ours go to `results` documents (`MongoStore+Results.swift`).
///
/// Uniqueness is the database's: a unique index on `email_key` (filled for existing users by ``prepare()``) and one
/// on each result's operation and unique code. Spending is an update guarded by `credits >= cost`. The charge and the
/// operation, a result with its count and reward, and a probe with its owner's count of registrations, are written
/// in one multi-document transaction on a replica set or sharded cluster. A standalone server has no transactions:
/// there a failed insert refunds the charge, a result past the probe's limit is deleted again, a crash between a
/// result and its reward loses the reward (never duplicates the result), and concurrent registrations of one account
/// may pass its probe limit by as many as run at once.
public final class MongoStore: Store {
    public let driverName = "mongo"
    public let connection: MongoConnection
    /// Probe owners already read: a probe never changes owner, so a result upload needs no probe lookup.
    private let probeOwners = Mutex<[ObjectID: ObjectID]>([:])
    /// The facts of operations' embedded results, which never change while this store serves.
    let embedded = Mutex<[ObjectID: EmbeddedResults]>([:])

    /// A store on `connection`; ``prepare()`` creates the unique email index.
    public init(connection: MongoConnection) {
        self.connection = connection
    }

    /// Creates the indexes the contract relies on (idempotent): the unique email and email key, the probes' owner, the
    /// results' operation with unique code (unique) and with id (their order). Fills the email key of users written
    /// without one (by the original); of two users whose emails differ only in letter case (the original allowed
    /// them), the later keeps none and is logged, since the index is sparse.
    public func prepare() async throws {
        try await fillEmailKeys()
        _ = try await connection.command([
            "createIndexes": .string("users"),
            "indexes": .array([
                .document(["key": .document(["email": .int32(1)]), "name": .string("email_1"), "unique": .bool(true)]),
                .document(["key": .document(["email_key": .int32(1)]), "name": .string("email_key_1"), "unique": .bool(true), "sparse": .bool(true)]),
            ]),
        ])
        _ = try await connection.command([
            "createIndexes": .string("probes"),
            "indexes": .array([.document(["key": .document(["owner": .int32(1)]), "name": .string("owner_1")])]),
        ])
        _ = try await connection.command([
            "createIndexes": .string(Self.resultsCollection),
            "indexes": .array([
                .document([
                    "key": .document(["operation": .int32(1), "unique_code": .int32(1)]), "name": .string("operation_1_unique_code_1"),
                    "unique": .bool(true),
                ]),
                .document(["key": .document(["operation": .int32(1), "_id": .int32(1)]), "name": .string("operation_1__id_1")]),
            ]),
        ])
        // A transaction upserts counts: the collection must exist before one does (48: it exists already).
        do {
            _ = try await connection.command(["create": .string(Self.countsCollection)])
        } catch MongoError.failed(_, 48, _) {}
    }

    /// Sets `email_key` on the users that have none, in creation order, unless an earlier user holds that key.
    private func fillEmailKeys() async throws {
        let missing = try await connection.find(
            "users", ["email_key": .document(["$exists": .bool(false)])],
            options: ["sort": .document(["_id": .int32(1)]), "projection": .document(["email": .int32(1)])])
        for document in missing {
            guard let id = document["_id"]?.objectID, let email = document["email"]?.string else { continue }
            let key = AccountRules.emailKey(email)
            if let holder = try await connection.findOne("users", ["email_key": .string(key)], projection: ["_id": .int32(1)]) {
                MongoLog.logger.warning("two accounts share an email in another letter case; the later cannot log in by another case",
                    metadata: ["user": "\(id.hex)", "earlier": "\(holder["_id"]?.objectID?.hex ?? "?")"])
                continue
            }
            try await connection.update("users", ["_id": .objectID(id), "email_key": .document(["$exists": .bool(false)])],
                                         ["$set": .document(["email_key": .string(key)])])
        }
    }

    // MARK: users

    /// The unique indexes on `email` and `email_key` refuse a registered email in any letter case, also when
    /// registrations race on several instances.
    public func createUser(email: String, passwordHash: String, isSuperuser: Bool) async throws -> User {
        let user = User(id: ObjectID(), email: email, passwordHash: passwordHash, credits: 0, isSuperuser: isSuperuser)
        do {
            try await connection.insert(Self.document(user), into: "users")
        } catch MongoError.duplicateKey {
            throw PladmedError.emailTaken
        }
        return user
    }

    public func user(id: ObjectID) async throws -> User? {
        try await connection.findOne("users", ["_id": .objectID(id)]).flatMap(Self.user)
    }

    /// By the email key, then by the exact spelling: a user the original wrote since ``prepare()`` last ran has no
    /// key yet.
    public func user(email: String) async throws -> User? {
        if let keyed = try await connection.findOne("users", ["email_key": .string(AccountRules.emailKey(email))]).flatMap(Self.user) {
            return keyed
        }
        return try await connection.findOne("users", ["email": .string(email)]).flatMap(Self.user)
    }

    public func setProbeLimit(_ limit: Int?, of user: ObjectID) async throws -> User? {
        let update: BSONDocument = limit.map { ["$set": .document(["max_probes": .int64(Int64($0))])] }
            ?? ["$unset": .document(["max_probes": .string("")])]
        return try await connection.findOneAndUpdate("users", ["_id": .objectID(user)], update).flatMap(Self.user)
    }

    public func revokeTokens(of user: ObjectID) async throws -> User? {
        try await connection.findOneAndUpdate("users", ["_id": .objectID(user)], ["$inc": .document(["token_version": .int32(1)])])
            .flatMap(Self.user)
    }

    public func addCredits(_ amount: Double, to user: ObjectID, upTo limit: Double) async throws -> User? {
        var filter: BSONDocument = ["_id": .objectID(user)]
        if limit < .greatestFiniteMagnitude { filter["credits"] = .document(["$lte": Self.number(limit - amount)]) }
        if let updated = try await connection.findOneAndUpdate("users", filter, ["$inc": .document(["credits": Self.number(amount)])]) {
            return Self.user(updated)
        }
        guard try await self.user(id: user) != nil else { return nil }
        throw PladmedError.balanceLimit(limit)
    }

    // MARK: probes

    /// The count, a write to the owner's `probe_registrations` and the insert are one transaction: concurrent
    /// registrations of one account write the same user document, so that one of them retries and counts again.
    public func createProbe(owner: ObjectID, location: Location, limit: Int) async throws -> Probe {
        let probe = Probe(id: ObjectID(), owner: owner, location: location)
        let document = Self.document(probe)
        try await connection.transaction { transaction in
            if limit < .max {
                _ = try transaction.updateOne("users", ["_id": .objectID(owner)], ["$inc": .document(["probe_registrations": .int64(1)])])
                guard try transaction.count("probes", ["owner": .objectID(owner)]) < limit else { throw PladmedError.probeLimit(limit) }
            }
            try transaction.insert(document, into: "probes")
        }
        return probe
    }

    public func rotateProbeToken(_ probe: ObjectID) async throws -> Probe? {
        try await connection.findOneAndUpdate("probes", ["_id": .objectID(probe)], ["$inc": .document(["token_version": .int64(1)])])
            .flatMap(Self.probe)
    }

    public func probes(ids: [ObjectID]) async throws -> [Probe] {
        guard !ids.isEmpty else { return [] }
        return try await connection.find("probes", ["_id": .document(["$in": .array(ids.map(BSONValue.objectID))])]).compactMap(Self.probe)
    }

    public func probes(owner: ObjectID?) async throws -> [Probe] {
        let filter: BSONDocument = owner.map { ["owner": .objectID($0)] } ?? [:]
        return try await connection.find("probes", filter, options: ["sort": .document(["_id": .int32(1)])]).compactMap(Self.probe)
    }

    // MARK: operations

    /// `visible` runs after the transaction commits with the connection's write concern: on MongoDB that commit is
    /// both the visible and the durable one.
    public func createOperation(_ new: NewOperation, whenVisible visible: @Sendable (OperationRecord) async -> Void) async throws -> OperationRecord {
        let operation = OperationRecord(
            id: ObjectID(), kind: new.kind, owner: new.owner, params: new.params,
            probes: new.probes.map { OperationProbe(id: $0.id, owner: $0.owner, location: $0.location) },
            credits: new.credits, resultFormat: new.resultFormat)
        let document = try Self.document(operation)
        let owner = new.owner, cost = new.credits
        try await connection.transaction { transaction in
            let charged = try transaction.updateOne(
                "users", ["_id": .objectID(owner), "credits": .document(["$gte": .double(cost)])], ["$inc": .document(["credits": Self.number(-cost)])])
            guard charged == 1 else { throw PladmedError.notEnoughCredits }
            do {
                try transaction.insert(document, into: "operations")
            } catch where !transaction.isAtomic {
                _ = try? transaction.updateOne("users", ["_id": .objectID(owner)], ["$inc": .document(["credits": Self.number(cost)])])
                throw error
            }
        }
        await visible(operation)
        return operation
    }

    public func operation(id: ObjectID, includeResults: Bool) async throws -> OperationRecord? {
        let projection: BSONDocument? = includeResults ? nil : ["results": .int32(0)]
        guard let document = try await connection.findOne("operations", ["_id": .objectID(id)], projection: projection) else { return nil }
        return try await records([document], includeResults: includeResults).first
    }

    public func operations(owner: ObjectID?, includeResults: Bool) async throws -> [OperationRecord] {
        var options: BSONDocument = ["sort": .document(["_id": .int32(1)])]
        if !includeResults { options["projection"] = .document(["results": .int32(0)]) }
        let filter: BSONDocument = owner.map { ["owner": .objectID($0)] } ?? [:]
        return try await records(try await connection.find("operations", filter, options: options), includeResults: includeResults)
    }

    public func operations(owner: ObjectID?, after: ObjectID?, limit: Int) async throws -> [OperationRecord] {
        guard limit > 0 else { return [] }
        var filter: BSONDocument = owner.map { ["owner": .objectID($0)] } ?? [:]
        if let after { filter["_id"] = .document(["$gt": .objectID(after)]) }
        let options: BSONDocument = [
            "sort": .document(["_id": .int32(1)]), "projection": .document(["results": .int32(0)]), "limit": .int64(Int64(limit)),
        ]
        return try await records(try await connection.find("operations", filter, options: options), includeResults: false)
    }

    /// `nil`: the sizes of the operations' results would take a query of their own to tell.
    public func operations(owner: ObjectID, atMost maxOperations: Int, withResultsUpTo maxBytes: Int) async throws -> [OperationRecord]? {
        nil
    }

    /// Operation documents as records, their probes' owners and locations read in one query; with their results, the
    /// embedded ones then the `results` documents.
    private func records(_ documents: [BSONDocument], includeResults: Bool) async throws -> [OperationRecord] {
        let probeIDs = Set(documents.flatMap { $0["probes"]?.array?.compactMap(\.objectID) ?? [] })
        let probes = Dictionary(uniqueKeysWithValues: try await self.probes(ids: Array(probeIDs)).map { ($0.id, $0) })
        let stored = includeResults ? try await storedResults(of: documents.compactMap { $0["_id"]?.objectID }) : [:]
        return documents.compactMap { document in
            guard var record = Self.operation(document, probes: probes) else { return nil }
            record.results += stored[record.id] ?? []
            return record
        }
    }

    func owner(of probe: ObjectID) async throws -> ObjectID? {
        if let owner = probeOwners.withLock({ $0[probe] }) { return owner }
        guard let owner = try await probes(ids: [probe]).first?.owner else { return nil }
        probeOwners.withLock { $0[probe] = owner }
        return owner
    }

    public func users() async throws -> [User] {
        try await connection.find("users", [:], options: ["sort": .document(["_id": .int32(1)])]).compactMap(Self.user)
    }

    public func importRecords(users: [User], probes: [Probe], operations: [OperationRecord]) async throws {
        try await connection.insert(many: users.map(Self.document), into: "users")
        try await connection.insert(many: probes.map(Self.document), into: "probes")
        try await connection.insert(many: try operations.map(Self.document), into: "operations")
        for operation in operations { try await importResults(operation.results, of: operation.id) }
    }

    public func deleteAll() async throws {
        for collection in [Self.resultsCollection, Self.countsCollection, "operations", "probes", "users"] {
            try await connection.deleteMany(collection)
        }
        probeOwners.withLock { $0.removeAll() }
        embedded.withLock { $0.removeAll() }
    }

    public func ping() async throws {
        _ = try await connection.command(["ping": .int32(1)], database: "admin")
    }
}
