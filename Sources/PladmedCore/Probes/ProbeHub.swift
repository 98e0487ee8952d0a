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

/// The REST side's view of connected probes: who is connected with which credits, and a way to hand them jobs.
///
/// ``ProbeRegistry`` is the in-process implementation; the Socket.IO probe endpoint feeds it.
public protocol ProbeHub: Sendable {
    /// The statuses of every connected probe.
    func connectedProbes() async -> [ObjectID: ProbeStatus]
    /// A number that changes whenever ``connectedProbes()`` would answer differently (a probe connects or
    /// disconnects, or its credits change), so that answers built from it can be kept until it does.
    func revision() async -> UInt64
    /// Sends `job` to each probe in `probes` that is connected; returns the probes it was handed to.
    @discardableResult
    func dispatch(_ job: ProbeJob, to probes: [ObjectID]) async -> [ObjectID]
}
