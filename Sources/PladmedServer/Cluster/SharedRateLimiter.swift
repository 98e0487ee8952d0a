import Logging
import Redis

/// The ``ActionLimiter`` of a cluster: one token bucket per key in Redis (a hash under `prefix`, expiring once it
/// would be full again), taken by a script that reads Redis' own clock, so that every instance counts against the
/// same bucket. While Redis cannot be reached, each instance counts alone with its `fallback`.
struct SharedRateLimiter: ActionLimiter {
    let perMinute: Int
    let client: RedisClient
    let prefix: String
    let fallback: RateLimiter
    let logger: Logger
    /// One warning every 10 s while Redis is away, however many logins are tried.
    private let warnings = WarningThrottle()

    init(perMinute: Int, client: RedisClient, prefix: String, logger: Logger) {
        self.perMinute = perMinute
        self.client = client
        self.prefix = prefix
        self.fallback = RateLimiter(perMinute: perMinute)
        self.logger = logger
    }

    /// KEYS[1]: the bucket; ARGV: capacity, tokens per millisecond. Returns the milliseconds to wait (0: taken).
    static let take = RedisScript("""
        local now = redis.call('TIME')
        now = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
        local capacity, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
        local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
        local tokens, updated = tonumber(state[1]) or capacity, tonumber(state[2]) or now
        tokens = math.min(capacity, tokens + math.max(0, now - updated) * rate)
        local wait = 0
        if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) / rate) end
        redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'updated', now)
        redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate) + 1000)
        return wait
        """)

    func admit(_ key: String) async -> Duration? {
        guard perMinute > 0 else { return nil }
        do {
            let reply = try await client.run(
                Self.take, keys: [prefix + key], arguments: [String(perMinute), String(Double(perMinute) / 60_000)])
            guard let wait = reply.integer else { throw RedisError.server("unexpected reply \(reply)") }
            return wait > 0 ? .milliseconds(wait) : nil
        } catch {
            let (allowed, held) = warnings.admit("redis")
            if allowed {
                logger.warning("shared rate limit unreachable; counting on this instance", metadata: [
                    "error": "\(error)", "held_back": "\(held)",
                ])
            }
            return await fallback.admit(key)
        }
    }
}
