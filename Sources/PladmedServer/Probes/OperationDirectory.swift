import PladmedCore
import PladmedStorage

/// What result ingestion needs of an operation (which probes were given it, its result format, and how many
/// results each may store for what reward), read
/// from the store once and then kept: operations never change after creation, so a result upload costs no
/// read. Bounded: when `capacity` operations are held, the oldest half is forgotten.
final class OperationDirectory: Sendable {
    /// The parts of an operation that decide whether and how a probe's result is stored.
    struct Entry: Sendable {
        let probes: Set<ObjectID>
        let resultFormat: String
        /// How many results each probe may store, and what each earns.
        let allowance: ResultAllowance
    }

    private struct State {
        var entries: [ObjectID: Entry] = [:]
        var order: [ObjectID] = []
    }

    private let store: any Store
    private let capacity: Int
    private let state = Mutex(State())

    init(store: any Store, capacity: Int = 10_000) {
        self.store = store
        self.capacity = capacity
    }

    /// The operation `id`, `nil` when the store has no such operation.
    func entry(_ id: ObjectID) async throws -> Entry? {
        if let entry = state.withLock({ $0.entries[id] }) { return entry }
        guard let operation = try await store.operation(id: id, includeResults: false) else { return nil }
        let entry = Entry(probes: Set(operation.probes.map(\.id)), resultFormat: operation.resultFormat, allowance: ResultAllowance(operation))
        state.withLock { state in
            guard state.entries.updateValue(entry, forKey: id) == nil else { return }
            state.order.append(id)
            if state.order.count > capacity {
                let forgotten = state.order.prefix(capacity / 2)
                for old in forgotten { state.entries.removeValue(forKey: old) }
                state.order.removeFirst(forgotten.count)
            }
        }
        return entry
    }
}
