/// How many results each probe may store for an operation, and what each earns its probe's owner: what keeps
/// credits conserved. An operation pays `credits / probes` for each probe, for `executions x times_per_minute`
/// runs there at `destinations x cost per destination` each; a probe may store one result per run paid for (at
/// least one), and each of those earns the original's 10 credits, but never more than the share of the payment for
/// one run on that probe. So no sequence of operations and uploads pays out more than it charged. One result more
/// is stored, unpaid: the charge counts the intervals from the first execution to `stop_time`, while the real
/// probe's cron also fires at the minute of `stop_time`, and that minute's first run can upload before its stopper
/// ends the operation (seen with CoNexDat/pladmed-client in RealProbeTests).
///
/// Everything is derived from the stored operation (its kind, parameters, charge and probes), so operations that
/// the original created are bounded too.
public struct ResultAllowance: Sendable, Equatable {
    /// The original's reward for a stored result.
    public static let originalReward = 10.0

    /// Results one probe may store for the operation: those paid for, and one more, unpaid.
    public let resultsPerProbe: Int
    /// Results of one probe that earn ``rewardPerResult``: one per run paid for.
    public let rewardedResultsPerProbe: Int
    /// Credits one stored result earns its probe's owner.
    public let rewardPerResult: Double

    /// The allowance of `operation`.
    public init(_ operation: OperationRecord) {
        let paidPerProbe = operation.probes.isEmpty ? 0 : max(0, operation.credits) / Double(operation.probes.count)
        let destinations = ["ips", "fqdns"].reduce(0) { $0 + (operation.params[$1]?.array?.count ?? 0) }
        let costPerRun = Double(destinations) * operation.kind.costPerDestination
        let runs = costPerRun > 0 ? paidPerProbe / costPerRun : 1
        // A run paid in full counts; the float division may land a hair under a whole number.
        let whole = (runs * (1 + 1e-12)).rounded(.down)
        self.init(paidPerProbe: paidPerProbe, runs: whole.isFinite ? max(1, min(whole, Double(Self.maxResultsPerProbe - 1))) : 1)
    }

    /// At most this many results per probe and operation, whatever it paid for (a bound on storage).
    public static let maxResultsPerProbe = 100_000

    private init(paidPerProbe: Double, runs: Double) {
        rewardedResultsPerProbe = Int(runs)
        resultsPerProbe = Int(runs) + 1
        var reward = min(Self.originalReward, paidPerProbe / runs)
        // Never more in total than was paid, even by a rounding of the division.
        while reward > 0, reward * runs > paidPerProbe { reward = reward.nextDown }
        rewardPerResult = reward.isFinite ? max(0, reward) : 0
    }
}
