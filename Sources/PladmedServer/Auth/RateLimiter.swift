import Foundation
import PladmedCore

/// Token buckets by key, in this process: each key may act `perMinute` times a minute, in bursts of up to that many.
/// The table is bounded: past `maxKeys`, buckets that have filled up again (keys that went quiet) are forgotten,
/// then, if that is not enough, the ones least recently used. Keys are the caller's to keep short (the login keys
/// are an account's id or a hash).
final class RateLimiter: ActionLimiter {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let perMinute: Int
    private let maxKeys: Int
    private let buckets = Mutex<[String: Bucket]>([:])

    /// A limiter of `perMinute` actions per key (0: no limit), keeping at most `maxKeys` buckets.
    init(perMinute: Int, maxKeys: Int = 100_000) {
        self.perMinute = perMinute
        self.maxKeys = maxKeys
    }

    /// Buckets held now.
    var count: Int { buckets.withLock { $0.count } }

    func admit(_ key: String) async -> Duration? {
        admit(key, now: .now)
    }

    /// Takes one action for `key` at `now`: `nil` when allowed, else how long until it would be.
    func admit(_ key: String, now: ContinuousClock.Instant) -> Duration? {
        guard perMinute > 0 else { return nil }
        let capacity = Double(perMinute), rate = capacity / 60
        return buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            let elapsed = now - bucket.updated
            bucket.tokens = min(capacity, bucket.tokens + max(0, Self.seconds(elapsed)) * rate)
            bucket.updated = now
            guard bucket.tokens >= 1 else {
                buckets[key] = bucket
                return .seconds((1 - bucket.tokens) / rate)
            }
            bucket.tokens -= 1
            buckets[key] = bucket
            if buckets.count > maxKeys {
                buckets = buckets.filter { entry in entry.value.tokens + Self.seconds(now - entry.value.updated) * rate < capacity }
                if buckets.count > maxKeys {
                    // Everyone is still limited: keep the most recently used half.
                    let kept = buckets.sorted { $0.value.updated > $1.value.updated }.prefix(maxKeys / 2)
                    buckets = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
                }
            }
            return nil
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
