import Foundation

/// A value guarded by a lock, usable from any task or thread.
///
/// A small stand-in for `Synchronization.Mutex` that stays copyable into `final class` storage on every
/// platform this package builds for.
public final class Mutex<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    /// Creates a lock around `value`.
    public init(_ value: Value) {
        self.value = value
    }

    /// Runs `body` with exclusive access to the value.
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
