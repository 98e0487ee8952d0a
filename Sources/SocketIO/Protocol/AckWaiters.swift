/// The acknowledgements one side of a connection waits for, with their deadlines.
///
/// A request's packet is written first and its wait registered afterwards: from ``begin()`` until ``wait(_:_:until:arm:)``
/// or ``abandon(_:)``, an ack that comes back is kept for it. Deadlines are enforced by one sleeping task per connection,
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
    private var arrivedEarly: [Int: [SocketIOValue]] = [:]
    private var sweeper: (task: Task<Void, Never>, wakes: ContinuousClock.Instant)?
    private var generation = 0
    private var nextID = 0

    /// A new ack id, whose packet is about to be written.
    mutating func begin() -> Int {
        defer { nextID += 1 }
        sending.insert(nextID)
        return nextID
    }

    /// Gives up on `id` (its packet could not be written, or the connection is gone).
    mutating func abandon(_ id: Int) {
        sending.remove(id)
        arrivedEarly[id] = nil
    }

    /// Waits for the ack of `id` until `deadline` (answered at once when it came while the packet was written).
    mutating func wait(_ id: Int, _ continuation: CheckedContinuation<[SocketIOValue], any Error>, until deadline: ContinuousClock.Instant, arm: Arm) {
        sending.remove(id)
        if let values = arrivedEarly.removeValue(forKey: id) { return continuation.resume(returning: values) }
        waiters[id] = Waiter(continuation: continuation, deadline: deadline)
        wake(by: deadline, arm: arm)
    }

    /// The ack `id` arrived with `values`; unknown and late ones are dropped.
    mutating func answer(_ id: Int, with values: [SocketIOValue]) {
        if let waiter = waiters.removeValue(forKey: id) {
            waiter.continuation.resume(returning: values)
        } else if sending.contains(id) {
            arrivedEarly[id] = values
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
        sending = []
        arrivedEarly = [:]
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

/// A connection actor that waits for acks: it keeps an ``AckWaiters`` and sweeps it from its own sweeper task.
protocol AckWaiting: Actor {
    var acks: AckWaiters { get set }
}

extension AckWaiting {
    /// Registers the wait for ack `id` with its deadline, arming the sweeper when needed.
    func waitForAck(_ id: Int, until deadline: ContinuousClock.Instant) async throws -> [SocketIOValue] {
        try await withCheckedThrowingContinuation { continuation in
            acks.wait(id, continuation, until: deadline, arm: armAckSweeper)
        }
    }

    private func armAckSweeper(_ deadline: ContinuousClock.Instant, _ generation: Int) -> Task<Void, Never> {
        Task { [weak self] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            await self?.sweepAcks(generation)
        }
    }

    private func sweepAcks(_ generation: Int) {
        acks.sweep(generation: generation, arm: armAckSweeper)
    }
}
