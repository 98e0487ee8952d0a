import Foundation

/// What an operation costs, by the contract's formula.
///
/// `costPerExecution` = destinations x (15 for traceroute, 1 otherwise). `executions` counts the cron fires
/// from the next one (`first`) up to `stop_time`: 1 when `stop_time` is before `first`, else
/// `(stop_time - first) / (second - first)` as a fraction, at least 1. `costPerProbe` =
/// `costPerExecution x executions x times_per_minute`, and at least ``minimumCostPerProbe``: an operation can
/// never cost next to nothing while its results earn their probes' owners credits (see ``ResultAllowance``).
public struct CreditPlan: Sendable, Equatable {
    /// Credits one execution costs; sent to probes as the job's `credits`.
    public let costPerExecution: Double
    /// How many executions the schedule has.
    public let executions: Double
    /// Credits one probe's share of the operation costs.
    public let costPerProbe: Double

    /// The least an operation costs per probe.
    public static let minimumCostPerProbe = 1.0

    /// The plan for `measurement` scheduled at `now`; `nil` when the cron expression never fires.
    public init?(for measurement: ValidatedMeasurement, now: Date, timeZone: TimeZone) {
        guard let first = measurement.cron.next(after: now, in: timeZone),
              let second = measurement.cron.next(after: first, in: timeZone)
        else { return nil }
        let perExecution = Double(measurement.destinationCount) * measurement.kind.costPerDestination
        let executions: Double
        if measurement.stopTime < first {
            executions = 1
        } else {
            executions = max(1, measurement.stopTime.timeIntervalSince(first) / second.timeIntervalSince(first))
        }
        self.costPerExecution = perExecution
        self.executions = executions
        self.costPerProbe = max(Self.minimumCostPerProbe, perExecution * executions * measurement.timesPerMinute)
    }
}
