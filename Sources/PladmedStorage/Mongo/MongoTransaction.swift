import CLibMongoC
import PladmedCore

/// Writes that belong together, run with one pooled client on the blocking thread pool: inside a
/// multi-document transaction when the deployment supports them (a replica set or a sharded cluster), else
/// one after the other (``isAtomic`` is then false and callers compensate).
public struct MongoTransaction {
    let client: OpaquePointer
    let database: String
    /// The session of the transaction; `nil` on a standalone server.
    let session: OpaquePointer?
    /// Options of each write outside a transaction (its write concern); inside one, the transaction's count.
    let writeOptions: BSONDocument

    /// Whether the writes commit or roll back together.
    public var isAtomic: Bool { session != nil }

    /// Applies `update` to the first document matching `filter`; returns how many matched (0 or 1).
    public func updateOne(_ collection: String, _ filter: BSONDocument, _ update: BSONDocument) throws -> Int {
        try withCollection(collection) { handle, options in
            try BSONDocument.withReply { reply in
                var error = bson_error_t()
                let ok = filter.withBSON { selector in
                    update.withBSON { mongoc_collection_update_one(handle, selector, $0, options, reply, &error) }
                }
                guard ok else { throw MongoError(error) }
                return Int(BSONDocument(bson: reply)["matchedCount"]?.number ?? 0)
            }
        }
    }

    /// Inserts `document` into `collection`.
    public func insert(_ document: BSONDocument, into collection: String) throws {
        try withCollection(collection) { handle, options in
            var error = bson_error_t()
            guard document.withBSON({ mongoc_collection_insert_one(handle, $0, options, nil, &error) }) else { throw MongoError(error) }
        }
    }

    /// Applies `update` to the document matching `filter`, inserting it first when `upsert` and none matches; returns
    /// the document after the update (`nil` when none matched and none was inserted).
    public func findOneAndUpdate(_ collection: String, _ filter: BSONDocument, _ update: BSONDocument, upsert: Bool) throws -> BSONDocument? {
        try withCollection(collection) { handle, extra in
            let options = mongoc_find_and_modify_opts_new()!
            defer { mongoc_find_and_modify_opts_destroy(options) }
            let flags = upsert ? MONGOC_FIND_AND_MODIFY_UPSERT.rawValue | MONGOC_FIND_AND_MODIFY_RETURN_NEW.rawValue
                : MONGOC_FIND_AND_MODIFY_RETURN_NEW.rawValue
            mongoc_find_and_modify_opts_set_flags(options, mongoc_find_and_modify_flags_t(flags))
            _ = update.withBSON { mongoc_find_and_modify_opts_set_update(options, $0) }
            _ = mongoc_find_and_modify_opts_append(options, extra)
            return try BSONDocument.withReply { reply in
                var error = bson_error_t()
                let ok = filter.withBSON { mongoc_collection_find_and_modify_with_opts(handle, $0, options, reply, &error) }
                guard ok else { throw MongoError(error) }
                return BSONDocument(bson: reply)["value"]?.document
            }
        }
    }

    /// How many documents of `collection` match `filter`, as the transaction sees them.
    public func count(_ collection: String, _ filter: BSONDocument) throws -> Int {
        let handle = mongoc_client_get_collection(client, database, collection)!
        defer { mongoc_collection_destroy(handle) }
        let options = bson_new()!
        defer { bson_destroy(options) }
        var error = bson_error_t()
        if let session, !mongoc_client_session_append(session, options, &error) { throw MongoError(error) }
        let count = filter.withBSON { mongoc_collection_count_documents(handle, $0, options, nil, nil, &error) }
        guard count >= 0 else { throw MongoError(error) }
        return Int(count)
    }

    /// Deletes the first document matching `filter`; returns how many were deleted (0 or 1).
    @discardableResult
    public func deleteOne(_ collection: String, _ filter: BSONDocument) throws -> Int {
        try withCollection(collection) { handle, options in
            try BSONDocument.withReply { reply in
                var error = bson_error_t()
                guard filter.withBSON({ mongoc_collection_delete_one(handle, $0, options, reply, &error) }) else { throw MongoError(error) }
                return Int(BSONDocument(bson: reply)["deletedCount"]?.number ?? 0)
            }
        }
    }

    /// Runs `body` with the collection and the options of one operation (the session's id appended).
    private func withCollection<Result>(_ name: String, _ body: (OpaquePointer, OpaquePointer) throws -> Result) throws -> Result {
        let handle = mongoc_client_get_collection(client, database, name)!
        defer { mongoc_collection_destroy(handle) }
        let options = bson_new()!
        defer { bson_destroy(options) }
        if let session {
            var error = bson_error_t()
            guard mongoc_client_session_append(session, options, &error) else { throw MongoError(error) }
        } else {
            writeOptions.append(to: options)
        }
        return try body(handle, options)
    }
}

extension MongoConnection {
    /// Runs `body` as one transaction when the deployment supports them (asked once with `hello`), committing
    /// with the connection's write concern; a throwing body aborts. On a standalone server, `body` runs
    /// without a transaction.
    public func transaction<Result: Sendable>(_ body: @escaping @Sendable (MongoTransaction) throws -> Result) async throws -> Result {
        let atomic = try await supportsTransactions()
        let database = databaseName, writeConcern = self.writeConcern
        guard atomic else {
            return try await withClient { client in
                try body(MongoTransaction(client: client, database: database, session: nil, writeOptions: ["writeConcern": .document(writeConcern.document)]))
            }
        }
        // Concurrent transactions on one document conflict; the loser retries, as the drivers' specification
        // says for transient transaction errors.
        var attempt = 0
        while true {
            do {
                return try await withClient { client in try Self.runTransaction(client: client, database: database, writeConcern: writeConcern, body) }
            } catch let error as MongoError where error.isTransientTransactionError && attempt < 200 {
                attempt += 1
                try await Task.sleep(for: .microseconds(Int.random(in: 100...(1000 * min(attempt, 20)))))
            }
        }
    }

    private static func runTransaction<Result>(
        client: OpaquePointer, database: String, writeConcern: WriteConcern, _ body: (MongoTransaction) throws -> Result
    ) throws -> Result {
        var error = bson_error_t()
        guard let session = mongoc_client_start_session(client, nil, &error) else { throw MongoError(error) }
        defer { mongoc_client_session_destroy(session) }
        let options = mongoc_transaction_opts_new()!
        defer { mongoc_transaction_opts_destroy(options) }
        let concern = mongoc_write_concern_new()!
        defer { mongoc_write_concern_destroy(concern) }
        switch writeConcern {
        case .majority: mongoc_write_concern_set_wmajority(concern, 0)
        case .nodes(let nodes): mongoc_write_concern_set_w(concern, Int32(nodes))
        }
        mongoc_transaction_opts_set_write_concern(options, concern)
        guard mongoc_client_session_start_transaction(session, options, &error) else { throw MongoError(error) }
        do {
            let result = try body(MongoTransaction(client: client, database: database, session: session, writeOptions: [:]))
            guard mongoc_client_session_commit_transaction(session, nil, &error) else { throw MongoError(error) }
            return result
        } catch {
            var abortError = bson_error_t()
            _ = mongoc_client_session_abort_transaction(session, &abortError)
            throw error
        }
    }

    /// Whether the deployment runs transactions: a replica set member or a mongos, with a write concern that
    /// acknowledges. Asked once; an unreachable server is asked again next time.
    func supportsTransactions() async throws -> Bool {
        if let known = transactionSupport.withLock({ $0 }) { return known }
        let hello = try await command(["hello": .int32(1)], database: "admin")
        let supported = (hello["setName"] != nil || hello["msg"]?.string == "isdbgrid") && writeConcern != .nodes(0)
        transactionSupport.withLock { $0 = supported }
        return supported
    }
}
