import Foundation
import PladmedCore

/// The production ``Store``: MongoDB through libmongoc, with exactly the original's collections and
/// documents, so a database the original wrote is served unchanged:
///
/// - `users {_id, email (unique index), password, credits, is_superuser}`
/// - `probes {_id, owner, location: {type: "Point", coordinates: [longitude, latitude]}}`
/// - `operations {_id, operation, params, probes: [ObjectId], owner, credits, result_format, results: [{probe, results, unique_code}]}`
///
/// Spending is an update guarded by `credits >= cost`; a result is one conditional `$push` (no result with
/// that unique code yet), so concurrent duplicates store once. The charge and the operation, and a result and
/// its reward, are written in one multi-document transaction on a replica set or sharded cluster. A standalone
/// server has no transactions: there a failed insert refunds the charge, and a crash between a result and its
/// reward loses the reward (never duplicates the result).
public final class MongoStore: Store {
    public let driverName = "mongo"
    public let connection: MongoConnection
    /// Probe owners already read: a probe never changes owner, so a result upload needs no probe lookup.
    private let probeOwners = Mutex<[ObjectID: ObjectID]>([:])

    /// A store on `connection`; ``prepare()`` creates the unique email index.
    public init(connection: MongoConnection) {
        self.connection = connection
    }

    /// Creates the indexes the contract relies on (idempotent): the unique email, and the probes' owner.
    public func prepare() async throws {
        _ = try await connection.command([
            "createIndexes": .string("users"),
            "indexes": .array([.document(["key": .document(["email": .int32(1)]), "name": .string("email_1"), "unique": .bool(true)])]),
        ])
        _ = try await connection.command([
            "createIndexes": .string("probes"),
            "indexes": .array([.document(["key": .document(["owner": .int32(1)]), "name": .string("owner_1")])]),
        ])
    }

    // MARK: users

    public func createUser(email: String, passwordHash: String, isSuperuser: Bool) async throws -> User {
        let user = User(id: ObjectID(), email: email, passwordHash: passwordHash, credits: 0, isSuperuser: isSuperuser)
        // The unique index compares exactly; another letter case of a registered email is refused here.
        guard try await self.user(email: email) == nil else { throw PladmedError.emailTaken }
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

    /// Compared as ``AccountRules/emailKey(_:)`` compares: the exact spelling first, then a pattern in which each
    /// ASCII letter is a class of its two cases and every other character stands for itself (a regex's `i` option
    /// would fold Unicode: `ſ` would find `s`).
    public func user(email: String) async throws -> User? {
        if let exact = try await connection.findOne("users", ["email": .string(email)]).flatMap(Self.user) { return exact }
        let key = AccountRules.emailKey(email)
        var pattern = "^"
        for character in email {
            if character.isASCII, character.isLetter {
                pattern += "[" + character.lowercased() + character.uppercased() + "]"
            } else {
                pattern += NSRegularExpression.escapedPattern(for: String(character))
            }
        }
        pattern += "$"
        return try await connection.find("users", ["email": .document(["$regex": .string(pattern)])], options: ["limit": .int64(2)])
            .compactMap(Self.user).first { AccountRules.emailKey($0.email) == key }
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

    /// The count and the insert are two steps: concurrent registrations of one account may pass the limit by as
    /// many as run at once.
    public func createProbe(owner: ObjectID, location: Location, limit: Int) async throws -> Probe {
        if limit < .max {
            let held = try await connection.find(
                "probes", ["owner": .objectID(owner)], options: ["projection": .document(["_id": .int32(1)]), "limit": .int64(Int64(limit))])
            guard held.count < limit else { throw PladmedError.probeLimit(limit) }
        }
        let probe = Probe(id: ObjectID(), owner: owner, location: location)
        try await connection.insert(Self.document(probe), into: "probes")
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
        return try await records([document]).first
    }

    public func operations(owner: ObjectID?, includeResults: Bool) async throws -> [OperationRecord] {
        var options: BSONDocument = ["sort": .document(["_id": .int32(1)])]
        if !includeResults { options["projection"] = .document(["results": .int32(0)]) }
        let filter: BSONDocument = owner.map { ["owner": .objectID($0)] } ?? [:]
        return try await records(try await connection.find("operations", filter, options: options))
    }

    public func operations(owner: ObjectID?, after: ObjectID?, limit: Int) async throws -> [OperationRecord] {
        guard limit > 0 else { return [] }
        var filter: BSONDocument = owner.map { ["owner": .objectID($0)] } ?? [:]
        if let after { filter["_id"] = .document(["$gt": .objectID(after)]) }
        let options: BSONDocument = [
            "sort": .document(["_id": .int32(1)]), "projection": .document(["results": .int32(0)]), "limit": .int64(Int64(limit)),
        ]
        return try await records(try await connection.find("operations", filter, options: options))
    }

    /// `nil`: an operation's results are inside its document, whose size the list would have to read to tell.
    public func operations(owner: ObjectID, atMost maxOperations: Int, withResultsUpTo maxBytes: Int) async throws -> [OperationRecord]? {
        nil
    }

    /// Operation documents as records, their probes' owners and locations read in one query.
    private func records(_ documents: [BSONDocument]) async throws -> [OperationRecord] {
        let probeIDs = Set(documents.flatMap { $0["probes"]?.array?.compactMap(\.objectID) ?? [] })
        let probes = Dictionary(uniqueKeysWithValues: try await self.probes(ids: Array(probeIDs)).map { ($0.id, $0) })
        return documents.compactMap { Self.operation($0, probes: probes) }
    }

    /// A document holds at most 16 MB: the operation is read whole, then paged.
    public func results(of operation: ObjectID, after: Int?, limit: Int, maxBytes: Int) async throws -> [(position: Int, result: OperationResult)]? {
        guard let record = try await self.operation(id: operation, includeResults: true) else { return nil }
        let start = after.map { $0 + 1 } ?? 0
        guard start < record.results.count, limit > 0 else { return [] }
        var page: [(position: Int, result: OperationResult)] = [], budget = maxBytes
        for position in start..<min(record.results.count, start + limit) {
            let size = (try? record.results[position].content.text().utf8.count) ?? 0
            guard page.isEmpty || size <= budget else { break }
            budget -= size
            page.append((position, record.results[position]))
        }
        return page
    }

    public func addResult(
        _ result: OperationResult, to operation: ObjectID, reward: Double, rewardedLimit: Int, limit: Int
    ) async throws -> ResultInsertion {
        let entry: BSONDocument = try [
            "probe": .objectID(result.probe), "results": BSONValue(try result.content.value()), "unique_code": .string(result.uniqueCode),
        ]
        // One conditional push: the code is new, and the probe has stored fewer than `rewardedLimit` results here (then
        // the reward), or else fewer than `limit` (unpaid).
        let probeResults: BSONValue = .document([
            "$filter": .document([
                "input": .document(["$ifNull": .array([.string("$results"), .array([])])]),
                "cond": .document(["$eq": .array([.string("$$this.probe"), .objectID(result.probe)])]),
            ]),
        ])
        func filter(under bound: Int) -> BSONDocument {
            [
                "_id": .objectID(operation), "results.unique_code": .document(["$ne": .string(result.uniqueCode)]),
                "$expr": .document(["$lt": .array([.document(["$size": probeResults]), .int64(Int64(bound))])]),
            ]
        }
        let paidFilter = filter(under: min(rewardedLimit, limit)), unpaidFilter = filter(under: limit)
        let owner = try await owner(of: result.probe)
        let push: BSONDocument = ["$push": .document(["results": .document(entry)])]
        let stored = try await connection.transaction { transaction -> ResultInsertion? in
            if try transaction.updateOne("operations", paidFilter, push) == 1 {
                if let owner {
                    _ = try transaction.updateOne("users", ["_id": .objectID(owner)], ["$inc": .document(["credits": Self.number(reward)])])
                }
                return .stored
            }
            guard rewardedLimit < limit, try transaction.updateOne("operations", unpaidFilter, push) == 1 else { return nil }
            return .storedUnpaid
        }
        if let stored { return stored }
        do {
            let sameCode: BSONDocument = ["unique_code": .string(result.uniqueCode)]
            let duplicate = try await connection.findOne(
                "operations", ["_id": .objectID(operation), "results": .document(["$elemMatch": .document(sameCode)])],
                projection: ["results.$": .int32(1)])
            if let duplicate {
                let holder = duplicate["results"]?.array?.first?.document?["probe"]?.objectID
                return holder == result.probe ? .duplicate : .codeTakenByAnotherProbe
            }
            let exists = try await connection.findOne("operations", ["_id": .objectID(operation)], projection: ["_id": .int32(1)]) != nil
            return exists ? .limitReached : .unknownOperation
        }
    }

    private func owner(of probe: ObjectID) async throws -> ObjectID? {
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
    }

    public func deleteAll() async throws {
        for collection in ["operations", "probes", "users"] {
            try await connection.deleteMany(collection)
        }
        probeOwners.withLock { $0.removeAll() }
    }

    public func ping() async throws {
        _ = try await connection.command(["ping": .int32(1)], database: "admin")
    }
}
