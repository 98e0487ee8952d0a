import Foundation
import PladmedCore

/// Token buckets by key: each key may act `perMinute` times a minute, in bursts of up to that many. The table is
/// bounded: past `maxKeys`, buckets that have filled up again (keys that went quiet) are forgotten.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let perMinute: Int
    private let maxKeys: Int
    private let buckets = Mutex<[String: Bucket]>([:])

    /// A limiter of `perMinute` actions per key (0: no limit).
    init(perMinute: Int, maxKeys: Int = 100_000) {
        self.perMinute = perMinute
        self.maxKeys = maxKeys
    }

    /// Takes one action for `key`: `nil` when allowed, else how long until it would be.
    func admit(_ key: String, now: ContinuousClock.Instant = .now) -> Duration? {
        guard perMinute > 0 else { return nil }
        let capacity = Double(perMinute), rate = capacity / 60
        return buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(capacity, bucket.tokens + max(0, seconds) * rate)
            bucket.updated = now
            guard bucket.tokens >= 1 else {
                buckets[key] = bucket
                return .seconds((1 - bucket.tokens) / rate)
            }
            bucket.tokens -= 1
            buckets[key] = bucket
            if buckets.count > maxKeys {
                buckets = buckets.filter { entry in
                    let idle = now - entry.value.updated
                    return entry.value.tokens + (Double(idle.components.seconds) * rate) < capacity
                }
            }
            return nil
        }
    }
}
