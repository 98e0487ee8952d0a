/// Counts actions by key and says when one must wait: the login limits. Drivers: ``RateLimiter`` (one process)
/// and ``SharedRateLimiter`` (every instance of a cluster, through Redis).
protocol ActionLimiter: Sendable {
    /// Actions each key may take a minute (0: no limit).
    var perMinute: Int { get }
    /// Takes one action for `key`: `nil` when allowed, else how long until it would be.
    func admit(_ key: String) async -> Duration?
}
