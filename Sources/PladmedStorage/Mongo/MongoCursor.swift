import CLibMongoC
import PladmedCore

/// A query's documents read a batch at a time, in one query on the server (the driver's `getMore`s follow it), holding
/// a pooled client until closed: how a long list is read where a query per page would make the server find its place
/// again each time. Used by one task at a time.
public final class MongoCursor: @unchecked Sendable {
    private let connection: MongoConnection
    private let client: OpaquePointer
    private let collection: OpaquePointer
    private let cursor: OpaquePointer
    /// A document read that did not fit in the last batch.
    private var pending: (document: BSONDocument, size: Int)?
    private var closed = false
    /// Whether the driver has said there is nothing more (asking again is an error).
    private var exhausted = false

    init(connection: MongoConnection, client: OpaquePointer, collection: OpaquePointer, cursor: OpaquePointer) {
        self.connection = connection
        self.client = client
        self.collection = collection
        self.cursor = cursor
    }

    /// The next documents, as many as fit in `maxBytes` of BSON (at least one while any remain); empty at the end.
    public func next(upTo maxBytes: Int) async throws -> [BSONDocument] {
        try await connection.onThreads { [self] in
            var documents: [BSONDocument] = [], budget = maxBytes
            if let (document, size) = pending {
                documents.append(document)
                budget -= size
                pending = nil
            }
            guard !closed, !exhausted else { return documents }
            var next: OpaquePointer?
            while mongoc_cursor_next(cursor, &next), let next {
                let size = BSONDocument.size(of: next)
                guard documents.isEmpty || size <= budget else {
                    pending = (BSONDocument(bson: next), size)
                    return documents
                }
                budget -= size
                documents.append(BSONDocument(bson: next))
            }
            exhausted = true
            var error = bson_error_t()
            if mongoc_cursor_error(cursor, &error) { throw MongoError(error) }
            return documents
        }
    }

    /// Ends the query on the server and gives the client back.
    public func close() async {
        _ = try? await connection.onThreads { [self] in release() }
    }

    private func release() {
        guard !closed else { return }
        closed = true
        mongoc_cursor_destroy(cursor)
        mongoc_collection_destroy(collection)
        connection.giveBack(client)
    }

    deinit { release() }
}

extension MongoConnection {
    /// A cursor over the documents of `collection` matching `filter` with `options` (`sort`, `projection`), when a
    /// pooled client can be spared for it (at most half the pool serves cursors); `nil` otherwise.
    public func cursor(_ collection: String, _ filter: BSONDocument, options: BSONDocument) async throws -> MongoCursor? {
        guard let borrowed = borrowClient() else { return nil }
        nonisolated(unsafe) let client = borrowed
        let database = databaseName
        do {
            return try await onThreads { [self] in
                let handle = mongoc_client_get_collection(client, database, collection)!
            let cursor = filter.withBSON { bson in options.withBSON { mongoc_collection_find_with_opts(handle, bson, $0, nil) } }!
                return MongoCursor(connection: self, client: client, collection: handle, cursor: cursor)
            }
        } catch {
            giveBack(client)
            throw error
        }
    }
}
