import Foundation
import PladmedCore
import PladmedStorage

/// Creates measurement operations: validates, picks the available probes, charges, stores and dispatches.
struct OperationScheduler: Sendable {
    let store: any Store
    let hub: any ProbeHub
    let timeZone: TimeZone
    let now: @Sendable () -> Date
    /// The most probe ids one operation may name.
    let maxProbes: Int
    /// The most bytes an operation's parameters may take as stored (JSON text).
    let maxParamsBytes: Int
    let metrics: PladmedMetrics

    /// Schedules `kind` for `owner` on the probes named in `probeIDs`, in the contract's order of checks:
    /// request rules (400), unknown probes (404), available probes (404), credits (400).
    func schedule(
        _ kind: MeasurementKind, for owner: User, probeIDs: [String]?, params: JSONValue?, resultFormat: String?
    ) async throws -> OperationRecord {
        guard let probeIDs, !probeIDs.isEmpty else { throw PladmedError.invalidData }
        guard probeIDs.count <= maxProbes else { throw PladmedError.badRequest("An operation names at most \(maxProbes) probes") }
        let measurement = try MeasurementRules.validate(kind: kind, params: params, resultFormat: resultFormat, timeZone: timeZone)
        let paramsBytes = try measurement.params.serializedText().utf8.count
        guard paramsBytes <= maxParamsBytes else {
            throw PladmedError.badRequest("The parameters take \(paramsBytes) bytes, more than the \(maxParamsBytes) an operation may")
        }
        var ids: [ObjectID] = [], seen: Set<ObjectID> = []
        for text in probeIDs {
            guard let id = ObjectID(text) else { throw PladmedError.unknownProbe }
            if seen.insert(id).inserted { ids.append(id) }
        }
        let found = Dictionary(uniqueKeysWithValues: try await store.probes(ids: ids).map { ($0.id, $0) })
        let probes = try ids.map { id in
            guard let probe = found[id] else { throw PladmedError.unknownProbe }
            return probe
        }
        guard let plan = CreditPlan(for: measurement, now: now(), timeZone: timeZone), plan.costPerProbe.isFinite,
              (plan.costPerProbe * Double(probes.count)).isFinite
        else { throw PladmedError.invalidData }
        let connected = try await hub.statuses(of: probes.map(\.id))
        let available = probes.filter { connected[$0.id]?.canTake(cost: plan.costPerProbe) == true }
        guard !available.isEmpty else { throw PladmedError.noAvailableProbes }
        // The probes get their jobs as soon as the operation is stored and visible (a result for it is accepted); the
        // answer waits for the commit to be durable.
        let hub = self.hub, metrics = self.metrics, cost = plan.costPerExecution, targets = available.map(\.id)
        let operation = try await store.createOperation(NewOperation(
            kind: kind, owner: owner.id, params: measurement.params, probes: available,
            credits: plan.costPerProbe * Double(available.count), resultFormat: measurement.resultFormat)
        ) { operation in
            let start = ContinuousClock.now
            let handed = await hub.dispatch(ProbeJob(operation: operation, costPerExecution: cost), to: targets)
            metrics.dispatched(kind: kind.rawValue, count: handed.count, duration: ContinuousClock.now - start)
        }
        metrics.charged(operation.credits)
        return operation
    }
}
