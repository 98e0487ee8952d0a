import PladmedCore

/// A new operation, ready to be stored and charged for.
public struct NewOperation: Sendable {
    /// What it measures.
    public var kind: MeasurementKind
    /// Who creates it and pays.
    public var owner: ObjectID
    /// The parameters as sent.
    public var params: JSONValue
    /// The probes it goes to.
    public var probes: [Probe]
    /// The total charge.
    public var credits: Double
    /// `json`, `dump` or `text`.
    public var resultFormat: String

    /// A new operation.
    public init(kind: MeasurementKind, owner: ObjectID, params: JSONValue, probes: [Probe], credits: Double, resultFormat: String) {
        self.kind = kind
        self.owner = owner
        self.params = params
        self.probes = probes
        self.credits = credits
        self.resultFormat = resultFormat
    }
}

/// What storing a result did.
public enum ResultInsertion: Sendable, Equatable {
    /// Stored, and the probe's owner was credited.
    case stored
    /// Stored past the rewarded results: the probe's owner was not credited.
    case storedUnpaid
    /// A result with that unique code was already stored for the operation by the same probe; nothing changed.
    case duplicate
    /// A result with that unique code was already stored for the operation by another probe; nothing changed.
    case codeTakenByAnotherProbe
    /// No such operation.
    case unknownOperation
    /// The probe has stored as many results for the operation as it may; nothing changed.
    case limitReached
}

/// Persistence of users, probes, operations and results.
///
/// Every method is atomic. Implementations: ``SQLiteStore`` (embedded, the default); a MongoDB driver
/// serves existing deployments.
public protocol Store: Sendable {
    /// A short name for logs and `/health`, such as `sqlite`.
    var driverName: String { get }

    /// Creates a user; throws ``PladmedError/emailTaken`` when the email exists, in any letter case.
    func createUser(email: String, passwordHash: String, isSuperuser: Bool) async throws -> User
    /// The user with `id`.
    func user(id: ObjectID) async throws -> User?
    /// The user with `email`, compared without regard to letter case.
    func user(email: String) async throws -> User?
    /// Raises the user's token version, revoking every token minted before; returns the updated user.
    func revokeTokens(of user: ObjectID) async throws -> User?
    /// Adds `amount` to the user's credits unless the balance would pass `limit`; returns the updated user, `nil`
    /// when there is no such user. Throws ``PladmedError/balanceLimit(_:)`` (changing nothing) past the limit.
    func addCredits(_ amount: Double, to user: ObjectID, upTo limit: Double) async throws -> User?

    /// Sets the most probes `user` may register (`nil`: the server's default); returns the updated user, `nil` when
    /// there is no such user.
    func setProbeLimit(_ limit: Int?, of user: ObjectID) async throws -> User?

    /// Stores a probe owned by `owner` unless `owner` has `limit` probes already: then throws
    /// ``PladmedError/probeLimit(_:)``, storing nothing.
    func createProbe(owner: ObjectID, location: Location, limit: Int) async throws -> Probe
    /// Raises the probe's token version, so that its tokens minted before are refused; returns the updated probe, `nil`
    /// when there is no such probe.
    func rotateProbeToken(_ probe: ObjectID) async throws -> Probe?
    /// The probes with these ids that exist, in no particular order.
    func probes(ids: [ObjectID]) async throws -> [Probe]
    /// Every probe in registration order, or only `owner`'s.
    func probes(owner: ObjectID?) async throws -> [Probe]

    /// Stores `operation` and takes its credits from the owner in one transaction; throws
    /// ``PladmedError/notEnoughCredits`` (storing nothing) when the owner has fewer credits than it costs.
    ///
    /// `visible` runs once the transaction has committed and every reader of the store sees it (a result for the
    /// operation is accepted), and before this returns; the return means the commit is durable. A driver may run
    /// `visible` before its commit is durable (the SQLite store does: the probes get their jobs during the `fsync`),
    /// so what `visible` starts must not be acknowledged to the user before the return. When the commit cannot be
    /// made durable, this throws after `visible` ran.
    func createOperation(_ operation: NewOperation, whenVisible visible: @Sendable (OperationRecord) async -> Void) async throws -> OperationRecord
    /// The operation with `id`, with or without its results.
    func operation(id: ObjectID, includeResults: Bool) async throws -> OperationRecord?
    /// The results of `operation` in arrival order after the cursor `after` (from the first when `nil`), at most
    /// `limit`, and no more than `maxBytes` of stored content unless the first alone is larger; each with its cursor
    /// (opaque text that a later call takes as `after`); `nil` when there is no such operation. Reads a large
    /// operation's results a page at a time. Throws ``PladmedError/badCursor`` for a cursor this store never gave.
    func results(of operation: ObjectID, after: String?, limit: Int, maxBytes: Int) async throws -> [(cursor: String, result: OperationResult)]?
    /// Every result of `operation` in arrival order, handed to `body` a batch at a time (each about `batchBytes` of
    /// stored content, at least one result); `false` when there is no such operation. A driver reads it in one query
    /// where it can; the default reads ``results(of:after:limit:maxBytes:)`` pages of `batchLimit`.
    func forEachResultBatch(
        of operation: ObjectID, batchLimit: Int, batchBytes: Int, _ body: ([OperationResult]) async throws -> Void
    ) async throws -> Bool
    /// At most `limit` operations in creation order, after the operation `after` (from the first when `nil`; none
    /// when `after` names no operation), only `owner`'s when given, without their results: a list read a page at a
    /// time.
    func operations(owner: ObjectID?, after: ObjectID?, limit: Int) async throws -> [OperationRecord]
    /// The operations of `owner` in creation order with their results, when there are at most `maxOperations` and
    /// their results take at most `maxBytes` stored; `nil` when there are more, or when the driver cannot tell
    /// cheaply (read them a page at a time then).
    func operations(owner: ObjectID, atMost maxOperations: Int, withResultsUpTo maxBytes: Int) async throws -> [OperationRecord]?
    /// Operations in creation order, only `owner`'s when given, with or without their results.
    func operations(owner: ObjectID?, includeResults: Bool) async throws -> [OperationRecord]

    /// Stores `result` for `operation` unless its unique code is already there or its probe has already stored
    /// `limit` results for it, and in the same transaction adds `reward` credits to the probe's owner when the probe
    /// had stored fewer than `rewardedLimit` (results past it are stored unpaid).
    func addResult(
        _ result: OperationResult, to operation: ObjectID, reward: Double, rewardedLimit: Int, limit: Int
    ) async throws -> ResultInsertion

    /// Every user, in creation order.
    func users() async throws -> [User]
    /// Stores users, probes and operations (with their results) exactly as given, ids included: how a
    /// deployment moves into an empty store.
    func importRecords(users: [User], probes: [Probe], operations: [OperationRecord]) async throws

    /// Deletes every user, probe, operation and result; constraints (the unique email) stay.
    func deleteAll() async throws
    /// Makes the store ready to serve (idempotent): what it needs beyond opening, such as MongoDB's indexes.
    func prepare() async throws
    /// Throws when the store does not answer.
    func ping() async throws
}

extension Store {
    public func forEachResultBatch(
        of operation: ObjectID, batchLimit: Int, batchBytes: Int, _ body: ([OperationResult]) async throws -> Void
    ) async throws -> Bool {
        try await pageThroughResults(of: operation, after: nil, batchLimit: batchLimit, batchBytes: batchBytes, body)
    }

    /// ``forEachResultBatch(of:batchLimit:batchBytes:_:)`` by pages of ``results(of:after:limit:maxBytes:)``, after
    /// the cursor `after`.
    public func pageThroughResults(
        of operation: ObjectID, after: String?, batchLimit: Int, batchBytes: Int, _ body: ([OperationResult]) async throws -> Void
    ) async throws -> Bool {
        var after = after
        while let page = try await results(of: operation, after: after, limit: batchLimit, maxBytes: batchBytes) {
            guard let last = page.last else { return true }
            try await body(page.map(\.result))
            after = last.cursor
        }
        return false
    }

    /// Stores `operation` and takes its credits from the owner (see ``createOperation(_:whenVisible:)``).
    public func createOperation(_ operation: NewOperation) async throws -> OperationRecord {
        try await createOperation(operation, whenVisible: { _ in })
    }

    /// Stores a probe owned by `owner`, with no limit.
    public func createProbe(owner: ObjectID, location: Location) async throws -> Probe {
        try await createProbe(owner: owner, location: location, limit: .max)
    }

    /// Adds `amount` to the user's credits with no bound but the finite numbers'.
    public func addCredits(_ amount: Double, to user: ObjectID) async throws -> User? {
        try await addCredits(amount, to: user, upTo: .greatestFiniteMagnitude)
    }
}

/// An error of a store that says whether the store could not be reached at all (the server answers 503 and
/// retries), as opposed to refusing one request.
public protocol StoreAvailabilityError: Error {
    /// The store is unreachable or its connection broke.
    var isUnavailable: Bool { get }
}

extension Error {
    /// Whether this is a store saying it cannot be reached.
    public var isStoreUnavailable: Bool { (self as? any StoreAvailabilityError)?.isUnavailable == true }
}

extension Store {
    /// ``addResult(_:to:reward:rewardedLimit:limit:)`` with every stored result paid.
    public func addResult(_ result: OperationResult, to operation: ObjectID, reward: Double, limit: Int) async throws -> ResultInsertion {
        try await addResult(result, to: operation, reward: reward, rewardedLimit: limit, limit: limit)
    }
}
