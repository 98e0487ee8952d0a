import PladmedCore

/// Values read from the database, kept in memory by the ``SQLiteStore``: a read through the database pool costs
/// more than the rest of a small request, and the hot ones (the account behind every token, one account's
/// operations) change only through this store. SQLite is served by one process, whose writes all pass through the
/// store, so the store forgets a key right after a write to it commits.
///
/// A read that began before a write may finish after it: a value is kept only if nothing was forgotten since its
/// read began (``generation``), so a value older than a committed write is never kept.
final class ReadCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var values: [Key: (value: Value, cost: Int)] = [:]
        var cost = 0
    }

    /// Values kept at most; past it, an arbitrary one is dropped for each new one.
    let capacity: Int
    /// The most the kept values may cost together (by `cost`); a value costing more is not kept.
    let maxCost: Int
    private let cost: @Sendable (Value) -> Int
    private let state = Mutex(State())

    init(capacity: Int, maxCost: Int = .max, cost: @escaping @Sendable (Value) -> Int = { _ in 1 }) {
        self.capacity = capacity
        self.maxCost = maxCost
        self.cost = cost
    }

    /// The kept value for `key`, if any.
    func value(_ key: Key) -> Value? {
        state.withLock { $0.values[key]?.value }
    }

    /// Taken before a read whose answer may be kept.
    var generation: UInt64 {
        state.withLock { $0.generation }
    }

    /// The kept values of those of `keys` that are kept.
    func values(_ keys: some Sequence<Key>) -> [Key: Value] {
        state.withLock { state in
            var found: [Key: Value] = [:]
            for key in keys { if let kept = state.values[key] { found[key] = kept.value } }
            return found
        }
    }

    /// Keeps `value` for `key`, read after `generation` was taken, unless a key was forgotten since.
    func keep(_ value: Value, for key: Key, readAfter generation: UInt64) {
        let cost = self.cost(value)
        guard cost <= maxCost else { return }
        state.withLock { state in
            guard state.generation == generation else { return }
            insert(value, cost: cost, for: key, into: &state)
        }
    }

    /// Forgets `key` as a write to it committed, and keeps `value`, which that write's transaction read, in its
    /// place, unless a key was forgotten since `generation` was taken before the write began: then another write
    /// may have committed after it, and its value is not kept.
    func replace(_ value: Value, for key: Key, writtenAfter generation: UInt64) {
        let cost = self.cost(value)
        state.withLock { state in
            let unchanged = state.generation == generation
            state.generation &+= 1
            if let old = state.values.removeValue(forKey: key) { state.cost -= old.cost }
            guard unchanged, cost <= maxCost else { return }
            insert(value, cost: cost, for: key, into: &state)
        }
    }

    private func insert(_ value: Value, cost: Int, for key: Key, into state: inout State) {
        if let old = state.values.removeValue(forKey: key) { state.cost -= old.cost }
        while !state.values.isEmpty && (state.values.count >= capacity || state.cost + cost > maxCost) {
            state.cost -= state.values.remove(at: state.values.startIndex).value.cost
        }
        state.values[key] = (value, cost)
        state.cost += cost
    }

    /// Forgets `key`: a write to it committed.
    func forget(_ key: Key) {
        state.withLock { state in
            state.generation &+= 1
            if let old = state.values.removeValue(forKey: key) { state.cost -= old.cost }
        }
    }

    /// Forgets every key: a write to many committed.
    func forgetAll() {
        state.withLock { state in
            state.generation &+= 1
            state.values.removeAll()
            state.cost = 0
        }
    }
}
