import PladmedCore

/// Results in their own collection, one document per result (`results {_id, operation, probe, unique_code,
/// results}`, unique by operation and code), so that an operation's results are bounded by the disk, not by
/// MongoDB's 16 MiB document. Results the original embedded in its operation documents are read first, in their
/// order; they never change once this store serves (``MongoResultsMigration`` moves them out, or back in for a
/// rollback, with the servers stopped).
///
/// The results a probe stored for an operation are counted in `result_counts {_id: "OPERATION:PROBE", count}`
/// (the embedded ones apart): the count's increment, the result's insert and the reward are one transaction, so
/// that concurrent uploads of one probe write the same count document and one of them retries.
extension MongoStore {
    static let resultsCollection = "results"
    static let countsCollection = "result_counts"

    /// What an operation's embedded results hold: frozen, so cached once read.
    struct EmbeddedResults: Sendable {
        /// The probe that stored each unique code.
        var holders: [String: ObjectID] = [:]
        /// How many results each probe stored.
        var counts: [ObjectID: Int] = [:]
        /// How many there are.
        var count = 0
    }

    /// The embedded results' holders and counts of `operation`; `nil` when there is no such operation.
    func embeddedResults(of operation: ObjectID) async throws -> EmbeddedResults? {
        if let known = embedded.withLock({ $0[operation] }) { return known }
        guard let document = try await connection.findOne(
            "operations", ["_id": .objectID(operation)], projection: ["results.probe": .int32(1), "results.unique_code": .int32(1)])
        else { return nil }
        var facts = EmbeddedResults()
        for entry in document["results"]?.array ?? [] {
            guard let probe = entry.document?["probe"]?.objectID else { continue }
            facts.count += 1
            facts.counts[probe, default: 0] += 1
            if let code = entry.document?["unique_code"]?.string, facts.holders[code] == nil { facts.holders[code] = probe }
        }
        embedded.withLock { cache in
            if cache.count >= Self.embeddedCacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[operation] = facts
        }
        return facts
    }

    /// Operations whose embedded results' facts are kept at most.
    static let embeddedCacheLimit = 10_000

    static func countKey(operation: ObjectID, probe: ObjectID) -> BSONValue { .string(operation.hex + ":" + probe.hex) }

    static func document(_ result: OperationResult, of operation: ObjectID, id: ObjectID = ObjectID()) throws -> BSONDocument {
        try [
            "_id": .objectID(id), "operation": .objectID(operation), "probe": .objectID(result.probe),
            "unique_code": .string(result.uniqueCode), "results": BSONValue(try result.content.value()),
        ]
    }

    /// A result's document (a `results` document or an embedded entry) as a result.
    static func result(_ document: BSONDocument) -> OperationResult? {
        guard let probe = document["probe"]?.objectID else { return nil }
        return OperationResult(probe: probe, content: JSONPayload(document["results"]?.json ?? .null), uniqueCode: document["unique_code"]?.string ?? "")
    }

    /// Why a result's transaction gave up, telling the caller what to answer.
    private enum Refusal: Error {
        case codeTaken
        case limitReached
    }

    public func addResult(
        _ result: OperationResult, to operation: ObjectID, reward: Double, rewardedLimit: Int, limit: Int
    ) async throws -> ResultInsertion {
        guard let embedded = try await embeddedResults(of: operation) else { return .unknownOperation }
        if let holder = embedded.holders[result.uniqueCode] { return holder == result.probe ? .duplicate : .codeTakenByAnotherProbe }
        let before = embedded.counts[result.probe] ?? 0
        guard before < limit else { return .limitReached }
        let document = try Self.document(result, of: operation)
        let owner = try await self.owner(of: result.probe)
        let key = Self.countKey(operation: operation, probe: result.probe), paidLimit = min(rewardedLimit, limit)
        do {
            return try await connection.transaction { transaction -> ResultInsertion in
                do {
                    try transaction.insert(document, into: Self.resultsCollection)
                } catch MongoError.duplicateKey {
                    throw Refusal.codeTaken
                }
                let counted = try transaction.findOneAndUpdate(
                    Self.countsCollection, ["_id": key], ["$inc": .document(["count": .int64(1)])], upsert: true)
                let stored = before + Int(counted?["count"]?.number ?? 1)
                guard stored <= limit else {
                    if !transaction.isAtomic {
                        try transaction.deleteOne(Self.resultsCollection, ["_id": document["_id"]!])
                        _ = try transaction.updateOne(Self.countsCollection, ["_id": key], ["$inc": .document(["count": .int64(-1)])])
                    }
                    throw Refusal.limitReached
                }
                guard stored <= paidLimit else { return .storedUnpaid }
                if let owner {
                    _ = try transaction.updateOne("users", ["_id": .objectID(owner)], ["$inc": .document(["credits": Self.number(reward)])])
                }
                return .stored
            }
        } catch Refusal.limitReached {
            return .limitReached
        } catch Refusal.codeTaken {
            let holder = try await connection.findOne(
                Self.resultsCollection, ["operation": .objectID(operation), "unique_code": .string(result.uniqueCode)],
                projection: ["probe": .int32(1)])?["probe"]?.objectID
            return holder == result.probe ? .duplicate : .codeTakenByAnotherProbe
        }
    }

    /// A cursor: an embedded result's index in decimal, or a `results` document's id.
    enum Cursor {
        case embedded(Int)
        case stored(ObjectID)

        init(_ text: String) throws {
            if let id = ObjectID(text), text.count == 24 {
                self = .stored(id)
            } else if let index = Int(text), index >= 0, String(index) == text {
                self = .embedded(index)
            } else {
                throw PladmedError.badCursor
            }
        }
    }

    /// The embedded results first, then the `results` documents in id order; a page's byte budget counts BSON.
    public func results(of operation: ObjectID, after: String?, limit: Int, maxBytes: Int) async throws -> [(cursor: String, result: OperationResult)]? {
        let cursor = try after.map(Cursor.init)
        guard let embedded = try await embeddedResults(of: operation) else { return nil }
        guard limit > 0 else { return [] }
        var page: [(cursor: String, result: OperationResult)] = [], budget = maxBytes
        var storedAfter: ObjectID?
        switch cursor {
        case .stored(let id): storedAfter = id
        case .embedded(let index) where index + 1 >= embedded.count: break
        case .embedded, nil:
            let start: Int
            if case .embedded(let index) = cursor { start = index + 1 } else { start = 0 }
            if start < embedded.count {
                let document = try await connection.findOne("operations", ["_id": .objectID(operation)], projection: ["results": .int32(1)])
                let entries = document?["results"]?.array ?? []
                for index in start..<min(entries.count, start + limit) {
                    guard let entry = entries[index].document, let result = Self.result(entry) else { continue }
                    let size = entry.encodedSize
                    guard page.isEmpty || size <= budget else { return page }
                    budget -= size
                    page.append((String(index), result))
                }
                if page.count == limit { return page }
            }
        }
        var filter: BSONDocument = ["operation": .objectID(operation)]
        if let storedAfter { filter["_id"] = .document(["$gt": .objectID(storedAfter)]) }
        let documents = try await connection.find(
            Self.resultsCollection, filter,
            options: ["sort": .document(["_id": .int32(1)]), "limit": .int64(Int64(limit - page.count))],
            upTo: budget, firstAlways: page.isEmpty)
        for document in documents {
            guard let id = document["_id"]?.objectID, let result = Self.result(document) else { continue }
            page.append((id.hex, result))
        }
        return page
    }

    /// The embedded results, then the `results` documents in one query through a cursor (pages when the pool cannot
    /// spare a client for one).
    public func forEachResultBatch(
        of operation: ObjectID, batchLimit: Int, batchBytes: Int, _ body: ([OperationResult]) async throws -> Void
    ) async throws -> Bool {
        guard let embedded = try await embeddedResults(of: operation) else { return false }
        var after: String?
        if embedded.count > 0 {
            let document = try await connection.findOne("operations", ["_id": .objectID(operation)], projection: ["results": .int32(1)])
            let entries = (document?["results"]?.array ?? []).compactMap { $0.document.flatMap(Self.result) }
            for start in stride(from: 0, to: entries.count, by: max(1, batchLimit)) {
                try await body(Array(entries[start..<min(entries.count, start + max(1, batchLimit))]))
            }
            after = entries.isEmpty ? nil : String(entries.count - 1)
        }
        guard let cursor = try await connection.cursor(
            Self.resultsCollection, ["operation": .objectID(operation)], options: ["sort": .document(["_id": .int32(1)])])
        else {
            return try await pageThroughResults(of: operation, after: after, batchLimit: batchLimit, batchBytes: batchBytes, body)
        }
        do {
            while case let batch = try await cursor.next(upTo: batchBytes), !batch.isEmpty {
                try await body(batch.compactMap(Self.result))
            }
        } catch {
            await cursor.close()
            throw error
        }
        await cursor.close()
        return true
    }

    /// The `results` documents of `operations`, each operation's in id order.
    func storedResults(of operations: [ObjectID]) async throws -> [ObjectID: [OperationResult]] {
        guard !operations.isEmpty else { return [:] }
        var grouped: [ObjectID: [OperationResult]] = [:]
        let filter: BSONDocument = ["operation": .document(["$in": .array(operations.map(BSONValue.objectID))])]
        for document in try await connection.find(Self.resultsCollection, filter, options: ["sort": .document(["_id": .int32(1)])]) {
            guard let operation = document["operation"]?.objectID, let result = Self.result(document) else { continue }
            grouped[operation, default: []].append(result)
        }
        return grouped
    }

    /// Results inserted by one command when importing.
    static let importChunk = 1_000

    /// Stores `results` of `operation` as `results` documents (ids increasing in their order) and sets the counts.
    func importResults(_ results: [OperationResult], of operation: ObjectID) async throws {
        guard !results.isEmpty else { return }
        // In chunks: one insert of a large operation's results would outlast the socket's timeout.
        for start in stride(from: 0, to: results.count, by: Self.importChunk) {
            let chunk = results[start..<min(results.count, start + Self.importChunk)]
            try await connection.insert(many: try chunk.map { try Self.document($0, of: operation) }, into: Self.resultsCollection)
        }
        var counts: [ObjectID: Int] = [:]
        for result in results { counts[result.probe, default: 0] += 1 }
        for (probe, count) in counts {
            try await connection.update(
                Self.countsCollection, ["_id": Self.countKey(operation: operation, probe: probe)],
                ["$set": .document(["count": .int64(Int64(count))])], upsert: true)
        }
    }
}
