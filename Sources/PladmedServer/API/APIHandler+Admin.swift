import PladmedAPI
import PladmedCore

extension APIHandler {
    func deleteAll(_ input: Operations.DeleteAll.Input) async throws -> Operations.DeleteAll.Output {
        guard !production else { throw PladmedError.notFound("Not found") }
        defer { probeList.invalidate() }
        try await store.deleteAll()
        return .noContent(.init())
    }

    func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        let clock = self.clock().map {
            Components.Schemas.ClockState(
                synchronised: $0.synchronised, estimatedErrorSeconds: $0.estimatedError, maximumErrorSeconds: $0.maximumError)
        }
        func health(_ status: Components.Schemas.Health.StatusPayload, store: String) -> Components.Schemas.Health {
            .init(status: status, store: store, version: PladmedVersion.current, clock: clock)
        }
        let storeState: String
        do {
            try await store.ping()
            storeState = "\(store.driverName): ok"
        } catch {
            // Whoever asks learns that the store fails, not why: its error text (hosts, users, paths) is the log's.
            let state = error.isStoreUnavailable ? "unavailable" : "failing"
            return .serviceUnavailable(.init(body: .json(health(.degraded, store: "\(store.driverName): \(state)"))))
        }
        if drain.isDraining { return .serviceUnavailable(.init(body: .json(health(.draining, store: storeState)))) }
        return .ok(.init(body: .json(health(clock?.synchronised == false ? .degraded : .ok, store: storeState))))
    }
}
