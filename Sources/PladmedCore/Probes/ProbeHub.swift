/// What a connected probe reported when it connected, kept up to date by its messages.
public struct ProbeStatus: Sendable, Equatable {
    /// Credits the probe offers (header `total_credits`).
    public var totalCredits: Double
    /// Credits its running jobs use (header `in_use_credits`, then `new_operation` / `finish_operation`).
    public var inUseCredits: Double

    /// A status; in-use credits are kept between 0 and the total (see ``adjusted(by:)``).
    public init(totalCredits: Double, inUseCredits: Double) {
        self.totalCredits = totalCredits.isFinite ? max(0, totalCredits) : 0
        self.inUseCredits = 0
        self.inUseCredits = Self.clamp(inUseCredits, total: self.totalCredits)
    }

    /// The status after a probe reports `delta` more credits in use (negative: fewer). The result stays between 0
    /// and the total, whatever the probe reports: a probe that claims more than it offers is simply full, and no
    /// sum of reports makes its availability non-finite.
    public func adjusted(by delta: Double) -> ProbeStatus {
        var status = self
        status.inUseCredits = Self.clamp(inUseCredits + (delta.isFinite ? delta : 0), total: totalCredits)
        return status
    }

    private static func clamp(_ value: Double, total: Double) -> Double {
        value.isFinite ? min(max(0, value), total) : 0
    }

    /// `1 - in_use/total`, between 0 and 1; 0 for a probe offering no credits (the original divided by zero there).
    public var availability: Double {
        totalCredits > 0 ? 1 - inUseCredits / totalCredits : 0
    }

    /// Whether a job costing `cost` credits fits: `in_use + cost <= total`.
    public func canTake(cost: Double) -> Bool {
        inUseCredits + cost <= totalCredits
    }
}

/// A job for a probe: Socket.IO event `kind` with `payload`.
public struct ProbeJob: Sendable, Equatable {
    /// The event name.
    public let kind: MeasurementKind
    /// The operation's public data minus `probes`, `credits` being the cost of one execution.
    public let payload: JSONValue

    /// A job sending `payload` as event `kind` (a job that travelled between instances).
    public init(kind: MeasurementKind, payload: JSONValue) {
        self.kind = kind
        self.payload = payload
    }

    /// A job for `operation`.
    public init(operation: OperationRecord, costPerExecution: Double) {
        self.kind = operation.kind
        self.payload = .object([
            "_id": .string(operation.id.hex),
            "params": operation.params,
            "results": .array([]),
            "credits": costPerExecution.rounded() == costPerExecution && abs(costPerExecution) < 1e15
                ? .int(Int(costPerExecution)) : .double(costPerExecution),
            "result_format": .string(operation.resultFormat),
        ])
    }
}

/// Where probes connect and jobs go: the Socket.IO endpoint attaches probe connections to it and reports their
/// credits; the REST side looks their statuses up and dispatches jobs through it.
///
/// ``ProbeRegistry`` is the in-process driver (one instance holds every probe); the server's cluster driver keeps
/// the table in Redis, so that several instances share it.
public protocol ProbeHub: Sendable {
    /// Registers connection `connectionID` of `probe`. The newest connection of a probe wins: the hub closes the older
    /// one (`close`), wherever it is, and a later ``detach(probe:connectionID:)`` of the older one changes nothing.
    func attach(
        probe: ObjectID, connectionID: String, status: ProbeStatus,
        deliver: @escaping @Sendable (ProbeJob) async -> Void, close: @escaping @Sendable () async -> Void
    ) async
    /// Removes `probe`'s connection if it is still `connectionID`; returns whether it did.
    @discardableResult
    func detach(probe: ObjectID, connectionID: String) async -> Bool
    /// Adds `delta` to the in-use credits of `probe`'s connection `connectionID`; returns the new status, or `nil`
    /// when that connection is no longer the probe's.
    @discardableResult
    func adjustInUseCredits(probe: ObjectID, connectionID: String, by delta: Double) async -> ProbeStatus?
    /// The statuses of those of `probes` that are connected; throws a 503 ``PladmedError`` when that cannot be known.
    func statuses(of probes: [ObjectID]) async throws -> [ObjectID: ProbeStatus]
    /// The statuses of those of `probes` that are connected, as far as this instance can tell: what
    /// ``statuses(of:)`` answers, or, when it fails, the probes connected here.
    func knownStatuses(of probes: [ObjectID]) async -> [ObjectID: ProbeStatus]
    /// A number that changes whenever ``statuses(of:)`` would answer differently (a probe connects or
    /// disconnects, or its credits change), so that answers built from it can be kept until it does.
    func revision() async -> UInt64
    /// Sends `job` to each probe in `probes` that is connected; returns the probes it was handed to (none when the
    /// hub itself cannot be reached: as for probes that left just before).
    @discardableResult
    func dispatch(_ job: ProbeJob, to probes: [ObjectID]) async -> [ObjectID]
}
