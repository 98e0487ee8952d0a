import PladmedCore

/// Lets one warning a `interval` through per key (a connection), counting the ones held back, so that a peer
/// repeating a bad message cannot write the log at the rate it sends. Keys are forgotten with ``forget(_:)``
/// (when their connection ends); the table holds at most `maxKeys`, past which the oldest are dropped.
final class WarningThrottle: Sendable {
    private struct Entry {
        var last: ContinuousClock.Instant
        var held: Int
    }

    let interval: Duration
    private let maxKeys: Int
    private let entries = Mutex<[String: Entry]>([:])

    init(interval: Duration = .seconds(10), maxKeys: Int = 100_000) {
        self.interval = interval
        self.maxKeys = maxKeys
    }

    /// Whether a warning for `key` may be written now, and how many were held back since the last one written.
    func admit(_ key: String, now: ContinuousClock.Instant = .now) -> (allowed: Bool, held: Int) {
        entries.withLock { entries in
            if var entry = entries[key] {
                guard now - entry.last >= interval else {
                    entry.held += 1
                    entries[key] = entry
                    return (false, 0)
                }
                entries[key] = Entry(last: now, held: 0)
                return (true, entry.held)
            }
            if entries.count >= maxKeys, let oldest = entries.min(by: { $0.value.last < $1.value.last })?.key {
                entries.removeValue(forKey: oldest)
            }
            entries[key] = Entry(last: now, held: 0)
            return (true, 0)
        }
    }

    /// Forgets `key`.
    func forget(_ key: String) {
        _ = entries.withLock { $0.removeValue(forKey: key) }
    }
}
