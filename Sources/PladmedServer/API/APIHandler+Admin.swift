import Hummingbird
import PladmedAPI
import PladmedCore

extension APIHandler {
    func deleteAll(_ request: Request, _: User?) async throws -> Response {
        guard !production else { throw PladmedError.notFound("Not found") }
        defer { probeList.invalidate() }
        try await store.deleteAll()
        return JSONAnswer.empty(.noContent)
    }

    func getHealth(_ request: Request, _: User?) async throws -> Response {
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
            return try JSONAnswer.encoding(health(.degraded, store: "\(store.driverName): \(state)"), status: .serviceUnavailable)
        }
        if drain.isDraining { return try JSONAnswer.encoding(health(.draining, store: storeState), status: .serviceUnavailable) }
        return try JSONAnswer.encoding(health(clock?.synchronised == false ? .degraded : .ok, store: storeState))
    }
}
