/// The acknowledgements one side of a connection waits for, with their deadlines.
///
/// A request's packet is written first and its wait registered afterwards, so an ack that comes back while the
/// packet is still being written is kept for it. Deadlines are enforced by one sleeping task per connection,
/// armed for the earliest deadline, instead of a timer task per request: at thousands of requests a second the
/// per-request timers cost more than the requests.
struct AckWaiters {
    /// Starts the task that calls ``sweep(generation:)`` of its owner at a deadline.
    typealias Arm = (_ deadline: ContinuousClock.Instant, _ generation: Int) -> Task<Void, Never>

    private struct Waiter {
        let continuation: CheckedContinuation<[SocketIOValue], any Error>
        let deadline: ContinuousClock.Instant
    }

    private var waiters: [Int: Waiter] = [:]
    private var sending: Set<Int> = []
    private var early: [Int: [SocketIOValue]] = [:]
    private var sweeper: (task: Task<Void, Never>, wakes: ContinuousClock.Instant)?
    private var generation = 0
    private var nextID = 0

    /// A new ack id, whose packet is about to be written.
    mutating func begin() -> Int {
        defer { nextID += 1 }
        sending.insert(nextID)
        return nextID
    }

    /// The packet of `id` is written (or failed): its ack if it already came.
    mutating func sent(_ id: Int) -> [SocketIOValue]? {
        sending.remove(id)
        return early.removeValue(forKey: id)
    }

    /// Waits for the ack of `id` until `deadline`.
    mutating func wait(_ id: Int, _ continuation: CheckedContinuation<[SocketIOValue], any Error>, until deadline: ContinuousClock.Instant, arm: Arm) {
        waiters[id] = Waiter(continuation: continuation, deadline: deadline)
        wake(by: deadline, arm: arm)
    }

    /// The ack `id` arrived with `values`; unknown and late ones are dropped.
    mutating func answer(_ id: Int, with values: [SocketIOValue]) {
        if let waiter = waiters.removeValue(forKey: id) {
            waiter.continuation.resume(returning: values)
        } else if sending.contains(id) {
            early[id] = values
        }
    }

    /// Fails the waits whose deadline has passed (``SocketIOError/ackTimeout``) and arms the sweeper for the
    /// next one. A replaced sweeper's late call does nothing.
    mutating func sweep(generation: Int, arm: Arm) {
        guard generation == self.generation else { return }
        sweeper = nil
        let now = ContinuousClock.now
        for (id, waiter) in waiters where waiter.deadline <= now {
            waiters[id] = nil
            waiter.continuation.resume(throwing: SocketIOError.ackTimeout)
        }
        if let next = waiters.values.lazy.map(\.deadline).min() { wake(by: next, arm: arm) }
    }

    /// Fails every wait with `error` (the connection is gone).
    mutating func failAll(_ error: SocketIOError) {
        for waiter in waiters.values { waiter.continuation.resume(throwing: error) }
        waiters = [:]
        early = [:]
        sweeper?.task.cancel()
        sweeper = nil
        generation += 1
    }

    private mutating func wake(by deadline: ContinuousClock.Instant, arm: Arm) {
        if let sweeper, sweeper.wakes <= deadline { return }
        sweeper?.task.cancel()
        generation += 1
        sweeper = (arm(deadline, generation), deadline)
    }
}
