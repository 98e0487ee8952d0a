import CLibMongoC
import Foundation
import NIOPosix
import PladmedCore

/// What went wrong talking to MongoDB.
public enum MongoError: StoreAvailabilityError, Equatable, CustomStringConvertible {
    /// A unique index refused the write (server code 11000).
    case duplicateKey(String)
    /// No server could be reached or selected, or the connection broke.
    case unavailable(String)
    /// The URI could not be parsed.
    case invalidURI(String)
    /// Any other error the server or driver reported.
    case failed(domain: UInt32, code: UInt32, message: String)

    public var description: String {
        switch self {
        case .duplicateKey(let message): "duplicate key: \(message)"
        case .unavailable(let message): "MongoDB unavailable: \(message)"
        case .invalidURI(let message): "invalid MongoDB URI: \(message)"
        case .failed(let domain, let code, let message): "MongoDB error \(domain).\(code): \(message)"
        }
    }

    public var isUnavailable: Bool {
        if case .unavailable = self { true } else { false }
    }

    /// A conflict another transaction won (WriteConflict, NoSuchTransaction after an abort): worth running the
    /// whole transaction again.
    var isTransientTransactionError: Bool {
        guard case .failed(_, let code, let message) = self else { return false }
        return code == 112 || code == 251 || message.contains("TransientTransactionError")
    }

    init(_ error: bson_error_t) {
        var error = error
        let message = withUnsafeBytes(of: &error.message) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        switch (error.domain, error.code) {
        case (_, 11000), (_, 11001):
            self = .duplicateKey(message)
        case (MONGOC_ERROR_SERVER_SELECTION.rawValue, _), (MONGOC_ERROR_STREAM.rawValue, _):
            self = .unavailable(message)
        default:
            self = .failed(domain: error.domain, code: error.code, message: message)
        }
    }
}

/// A libmongoc client pool, with every blocking call run on a dedicated thread pool (never on a NIO event
/// loop) and exposed as async functions over ``BSONDocument``s.
public final class MongoConnection: Sendable {
    /// The write concern sent with every write (`majority` by default, as the deployment guide asks).
    public enum WriteConcern: Sendable, Equatable {
        case majority
        case nodes(Int)

        /// `majority` or a number of nodes.
        public init?(_ text: String) {
            if text == "majority" { self = .majority } else if let nodes = Int(text), nodes >= 0 { self = .nodes(nodes) } else { return nil }
        }

        var document: BSONDocument {
            switch self {
            case .majority: ["w": .string("majority")]
            case .nodes(let nodes): ["w": .int32(Int32(nodes))]
            }
        }
    }

    private final class Pool: @unchecked Sendable {
        let pointer: OpaquePointer
        init(_ pointer: OpaquePointer) { self.pointer = pointer }
        deinit { mongoc_client_pool_destroy(pointer) }
    }

    private static let initialized: Bool = {
        mongoc_init()
        MongoLog.install()
        return true
    }()

    /// The database the URI names (`pladmed` when it names none).
    public let databaseName: String
    public let writeConcern: WriteConcern
    private let pool: Pool
    private let threads: NIOThreadPool
    /// The most clients the pool holds, and how many cursors hold one.
    private let poolSize: Int
    private let borrowed = Mutex(0)
    /// Whether the deployment runs multi-document transactions, once asked.
    let transactionSupport = Mutex<Bool?>(nil)

    /// Connects lazily to `uri` (a `mongodb://` URI; TLS and replica-set options pass through to libmongoc).
    public init(uri: String, writeConcern: WriteConcern = .majority, threads: Int = 8) throws {
        _ = Self.initialized
        var error = bson_error_t()
        guard let parsed = mongoc_uri_new_with_error(uri, &error) else { throw MongoError.invalidURI(MongoError(error).description) }
        defer { mongoc_uri_destroy(parsed) }
        // Unless the URI says otherwise: give up on an unreachable server after 5 s and on a silent socket after
        // 30 s (libmongoc waits 30 s and 5 min), so that requests answer 503 while the database is away.
        if mongoc_uri_get_option_as_int32(parsed, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 0) == 0 {
            mongoc_uri_set_option_as_int32(parsed, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 5000)
        }
        if mongoc_uri_get_option_as_int32(parsed, MONGOC_URI_SOCKETTIMEOUTMS, 0) == 0 {
            mongoc_uri_set_option_as_int32(parsed, MONGOC_URI_SOCKETTIMEOUTMS, 30000)
        }
        databaseName = mongoc_uri_get_database(parsed).map { String(cString: $0) } ?? "pladmed"
        guard let pool = mongoc_client_pool_new(parsed) else { throw MongoError.invalidURI(uri) }
        mongoc_client_pool_set_error_api(pool, 2)
        mongoc_client_pool_max_size(pool, UInt32(threads))
        mongoc_client_pool_set_appname(pool, "pladmed-swift")
        self.pool = Pool(pool)
        self.poolSize = threads
        self.writeConcern = writeConcern
        self.threads = NIOThreadPool(numberOfThreads: threads)
        self.threads.start()
    }

    deinit {
        try? threads.syncShutdownGracefully()
    }

    /// Runs `body` on the blocking thread pool.
    func onThreads<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await threads.runIfActive(body)
    }

    /// A pooled client to hold for a while (a cursor's), when one is free and fewer than half the pool is held so.
    func borrowClient() -> OpaquePointer? {
        let limit = max(1, poolSize / 2)
        guard borrowed.withLock({ held in
            guard held < limit else { return false }
            held += 1
            return true
        }) else { return nil }
        guard let client = mongoc_client_pool_try_pop(pool.pointer) else {
            borrowed.withLock { $0 -= 1 }
            return nil
        }
        return client
    }

    /// Returns a client ``borrowClient()`` gave.
    func giveBack(_ client: OpaquePointer) {
        mongoc_client_pool_push(pool.pointer, client)
        borrowed.withLock { $0 -= 1 }
    }

    /// Runs `body` with a client from the pool, on the blocking thread pool.
    func withClient<Result: Sendable>(_ body: @escaping @Sendable (OpaquePointer) throws -> Result) async throws -> Result {
        let pool = self.pool
        return try await threads.runIfActive {
            let client = mongoc_client_pool_pop(pool.pointer)!
            defer { mongoc_client_pool_push(pool.pointer, client) }
            return try body(client)
        }
    }

    /// Runs `body` with collection `name` of the database.
    func withCollection<Result: Sendable>(_ name: String, _ body: @escaping @Sendable (OpaquePointer) throws -> Result) async throws -> Result {
        let database = databaseName
        return try await withClient { client in
            let collection = mongoc_client_get_collection(client, database, name)!
            defer { mongoc_collection_destroy(collection) }
            return try body(collection)
        }
    }

    private var writeOptions: BSONDocument { ["writeConcern": .document(writeConcern.document)] }

    // MARK: operations

    /// Runs `command` against the database (or `admin`); returns the reply.
    public func command(_ command: BSONDocument, database: String? = nil) async throws -> BSONDocument {
        let database = database ?? databaseName
        return try await withClient { client in
            try BSONDocument.withReply { reply in
                var error = bson_error_t()
                let ok = command.withBSON { mongoc_client_command_simple(client, database, $0, nil, reply, &error) }
                guard ok else { throw MongoError(error) }
                return BSONDocument(bson: reply)
            }
        }
    }

    public func insert(_ document: BSONDocument, into collection: String) async throws {
        let options = writeOptions
        try await withCollection(collection) { handle in
            var error = bson_error_t()
            let ok = document.withBSON { bson in options.withBSON { mongoc_collection_insert_one(handle, bson, $0, nil, &error) } }
            guard ok else { throw MongoError(error) }
        }
    }

    /// Inserts `documents` in order; unless `ordered`, the server tries every document even after one fails.
    public func insert(many documents: [BSONDocument], into collection: String, ordered: Bool = true) async throws {
        guard !documents.isEmpty else { return }
        var options = writeOptions
        if !ordered { options["ordered"] = .bool(false) }
        try await withCollection(collection) { [options] handle in
            var error = bson_error_t()
            let pointers = documents.map { document -> OpaquePointer in
                let bson = bson_new()!
                document.append(to: bson)
                return bson
            }
            defer { pointers.forEach { bson_destroy($0) } }
            var optionalPointers = pointers.map { Optional($0) }
            let ok = options.withBSON { mongoc_collection_insert_many(handle, &optionalPointers, pointers.count, $0, nil, &error) }
            guard ok else { throw MongoError(error) }
        }
    }

    /// Documents matching `filter`, with `options` (`sort`, `projection`, `limit`, ...).
    public func find(_ collection: String, _ filter: BSONDocument, options: BSONDocument = [:]) async throws -> [BSONDocument] {
        try await find(collection, filter, options: options, upTo: .max, firstAlways: true)
    }

    /// Documents matching `filter` in the order `options` sort them, read until their BSON sizes would pass
    /// `maxBytes` (the first is taken whatever its size when `firstAlways`): a page no larger than its budget, whatever
    /// the server's batches.
    public func find(
        _ collection: String, _ filter: BSONDocument, options: BSONDocument, upTo maxBytes: Int, firstAlways: Bool
    ) async throws -> [BSONDocument] {
        try await withCollection(collection) { handle in
            let cursor = filter.withBSON { bson in options.withBSON { mongoc_collection_find_with_opts(handle, bson, $0, nil) } }!
            defer { mongoc_cursor_destroy(cursor) }
            var documents: [BSONDocument] = [], budget = maxBytes
            var next: OpaquePointer?
            while mongoc_cursor_next(cursor, &next), let next {
                let size = BSONDocument.size(of: next)
                guard (firstAlways && documents.isEmpty) || size <= budget else { return documents }
                budget -= size
                documents.append(BSONDocument(bson: next))
            }
            var error = bson_error_t()
            if mongoc_cursor_error(cursor, &error) { throw MongoError(error) }
            return documents
        }
    }

    /// How many documents match `filter`.
    public func count(_ collection: String, _ filter: BSONDocument) async throws -> Int {
        try await withCollection(collection) { handle in
            var error = bson_error_t()
            let count = filter.withBSON { mongoc_collection_count_documents(handle, $0, nil, nil, nil, &error) }
            guard count >= 0 else { throw MongoError(error) }
            return Int(count)
        }
    }

    /// Applies `update` to the first document matching `filter`, inserting one when `upsert` and none matches; returns
    /// how many matched (0 or 1).
    @discardableResult
    public func update(_ collection: String, _ filter: BSONDocument, _ update: BSONDocument, upsert: Bool = false) async throws -> Int {
        var options = writeOptions
        if upsert { options["upsert"] = .bool(true) }
        return try await withCollection(collection) { [options] handle in
            try BSONDocument.withReply { reply in
                var error = bson_error_t()
                let ok = filter.withBSON { selector in
                    update.withBSON { change in
                        options.withBSON { mongoc_collection_update_one(handle, selector, change, $0, reply, &error) }
                    }
                }
                guard ok else { throw MongoError(error) }
                return Int(BSONDocument(bson: reply)["matchedCount"]?.number ?? 0)
            }
        }
    }

    public func findOne(_ collection: String, _ filter: BSONDocument, projection: BSONDocument? = nil) async throws -> BSONDocument? {
        var options: BSONDocument = ["limit": .int64(1)]
        if let projection { options["projection"] = .document(projection) }
        return try await find(collection, filter, options: options).first
    }

    /// Applies `update` to the first document matching `filter`; returns the document after the update, or
    /// `nil` when none matched.
    public func findOneAndUpdate(_ collection: String, _ filter: BSONDocument, _ update: BSONDocument) async throws -> BSONDocument? {
        let command: BSONDocument = [
            "findAndModify": .string(collection), "query": .document(filter), "update": .document(update), "new": .bool(true),
            "writeConcern": .document(writeConcern.document),
        ]
        let reply = try await self.command(command)
        return reply["value"]?.document
    }

    public func deleteMany(_ collection: String, _ filter: BSONDocument = [:]) async throws {
        let options = writeOptions
        try await withCollection(collection) { handle in
            var error = bson_error_t()
            let ok = filter.withBSON { selector in options.withBSON { mongoc_collection_delete_many(handle, selector, $0, nil, &error) } }
            guard ok else { throw MongoError(error) }
        }
    }
}
