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
        do {
            try await store.ping()
            return .ok(.init(body: .json(.init(status: .ok, store: "\(store.driverName): ok"))))
        } catch {
            return .serviceUnavailable(.init(body: .json(.init(status: .degraded, store: "\(store.driverName): \(error)"))))
        }
    }
}
