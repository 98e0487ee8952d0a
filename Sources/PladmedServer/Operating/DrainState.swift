import PladmedCore

/// Whether the server has begun a graceful stop, shared by `/health` and the drain.
public final class DrainState: Sendable {
    private let draining = Mutex(false)

    public init() {}

    /// True once ``begin()`` ran.
    public var isDraining: Bool { draining.withLock { $0 } }

    /// Marks the stop as begun.
    public func begin() { draining.withLock { $0 = true } }
}
