import Metrics
import PladmedCore
import PladmedStorage

/// A ``Store`` that times every call of the store under it (`pladmed_store_duration_seconds{operation}`) and
/// counts the calls that fail for the store's sake (`pladmed_store_errors_total{operation}`): any error but a
/// ``PladmedError`` below 500, as the refusals the contract defines (a taken email) are answers, not faults.
struct MeasuredStore: Store {
    let base: any Store
    /// Each call's timer and error counter, at the call's position.
    private let series: [(duration: Metrics.Timer, errors: Metrics.Counter)]

    /// The store operations; the label of each is its name.
    enum Call: Int, CaseIterable {
        case createUser, user, revokeTokens, addCredits, setProbeLimit, createProbe, rotateProbeToken, probes, createOperation, operation,
            results, operations, addResult, users, importRecords, deleteAll, prepare, ping

        var label: String { String(describing: self) }
    }

    init(_ base: any Store, metrics: PladmedMetrics) {
        self.base = base
        series = Call.allCases.map { metrics.storeSeries($0.label) }
    }

    private func measure<Value>(_ call: Call, _ body: () async throws -> Value) async throws -> Value {
        let start = ContinuousClock.now
        let series = series[call.rawValue]
        do {
            let value = try await body()
            series.duration.record(duration: ContinuousClock.now - start)
            return value
        } catch {
            series.duration.record(duration: ContinuousClock.now - start)
            if ((error as? PladmedError)?.status ?? 500) >= 500 { series.errors.increment() }
            throw error
        }
    }

    var driverName: String { base.driverName }

    func createUser(email: String, passwordHash: String, isSuperuser: Bool) async throws -> User {
        try await measure(.createUser) { try await base.createUser(email: email, passwordHash: passwordHash, isSuperuser: isSuperuser) }
    }

    func user(id: ObjectID) async throws -> User? {
        try await measure(.user) { try await base.user(id: id) }
    }

    func user(email: String) async throws -> User? {
        try await measure(.user) { try await base.user(email: email) }
    }

    func revokeTokens(of user: ObjectID) async throws -> User? {
        try await measure(.revokeTokens) { try await base.revokeTokens(of: user) }
    }

    func addCredits(_ amount: Double, to user: ObjectID, upTo limit: Double) async throws -> User? {
        try await measure(.addCredits) { try await base.addCredits(amount, to: user, upTo: limit) }
    }

    func setProbeLimit(_ limit: Int?, of user: ObjectID) async throws -> User? {
        try await measure(.setProbeLimit) { try await base.setProbeLimit(limit, of: user) }
    }

    func createProbe(owner: ObjectID, location: Location, limit: Int) async throws -> Probe {
        try await measure(.createProbe) { try await base.createProbe(owner: owner, location: location, limit: limit) }
    }

    func rotateProbeToken(_ probe: ObjectID) async throws -> Probe? {
        try await measure(.rotateProbeToken) { try await base.rotateProbeToken(probe) }
    }

    func probes(ids: [ObjectID]) async throws -> [Probe] {
        try await measure(.probes) { try await base.probes(ids: ids) }
    }

    func probes(owner: ObjectID?) async throws -> [Probe] {
        try await measure(.probes) { try await base.probes(owner: owner) }
    }

    func createOperation(_ operation: NewOperation, whenVisible visible: @Sendable (OperationRecord) async -> Void) async throws -> OperationRecord {
        try await measure(.createOperation) { try await base.createOperation(operation, whenVisible: visible) }
    }

    func operation(id: ObjectID, includeResults: Bool) async throws -> OperationRecord? {
        try await measure(.operation) { try await base.operation(id: id, includeResults: includeResults) }
    }

    func results(of operation: ObjectID, after: String?, limit: Int, maxBytes: Int) async throws -> [(cursor: String, result: OperationResult)]? {
        try await measure(.results) { try await base.results(of: operation, after: after, limit: limit, maxBytes: maxBytes) }
    }

    func forEachResultBatch(
        of operation: ObjectID, batchLimit: Int, batchBytes: Int, _ body: ([OperationResult]) async throws -> Void
    ) async throws -> Bool {
        // Not timed: the time includes the caller's, who writes each batch to a client.
        try await base.forEachResultBatch(of: operation, batchLimit: batchLimit, batchBytes: batchBytes, body)
    }

    func operations(owner: ObjectID?, after: ObjectID?, limit: Int) async throws -> [OperationRecord] {
        try await measure(.operations) { try await base.operations(owner: owner, after: after, limit: limit) }
    }

    func operations(owner: ObjectID, atMost maxOperations: Int, withResultsUpTo maxBytes: Int) async throws -> [OperationRecord]? {
        try await measure(.operations) { try await base.operations(owner: owner, atMost: maxOperations, withResultsUpTo: maxBytes) }
    }

    func operations(owner: ObjectID?, includeResults: Bool) async throws -> [OperationRecord] {
        try await measure(.operations) { try await base.operations(owner: owner, includeResults: includeResults) }
    }

    func addResult(
        _ result: OperationResult, to operation: ObjectID, reward: Double, rewardedLimit: Int, limit: Int
    ) async throws -> ResultInsertion {
        try await measure(.addResult) {
            try await base.addResult(result, to: operation, reward: reward, rewardedLimit: rewardedLimit, limit: limit)
        }
    }

    func users() async throws -> [User] {
        try await measure(.users) { try await base.users() }
    }

    func importRecords(users: [User], probes: [Probe], operations: [OperationRecord]) async throws {
        try await measure(.importRecords) { try await base.importRecords(users: users, probes: probes, operations: operations) }
    }

    func deleteAll() async throws {
        try await measure(.deleteAll) { try await base.deleteAll() }
    }

    func prepare() async throws {
        try await measure(.prepare) { try await base.prepare() }
    }

    func ping() async throws {
        try await measure(.ping) { try await base.ping() }
    }
}
