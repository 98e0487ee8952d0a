import Foundation

/// The event handlers in flight on a server, and the drain that waits for them: once draining, no handler starts.
final class EventGate: Sendable {
    private struct State {
        var running = 0
        var draining = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Locked(State())

    /// Counts a handler in; false (count nothing) once draining.
    func enter() -> Bool {
        state.withLock { state in
            guard !state.draining else { return false }
            state.running += 1
            return true
        }
    }

    /// Counts a handler out.
    func leave() {
        let woken: [CheckedContinuation<Void, Never>] = state.withLock { state in
            state.running -= 1
            guard state.running == 0 else { return [] }
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Stops new handlers and waits until none runs or `timeout` passes; returns how many still run.
    func drain(timeout: Duration) async -> Int {
        state.withLock { $0.draining = true }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.idle() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
        return state.withLock { $0.running }
    }

    /// Returns once no handler runs, or when cancelled.
    private func idle() async {
        let id: Int? = state.withLock { state in
            guard state.running > 0 else { return nil }
            state.nextWaiter += 1
            return state.nextWaiter
        }
        guard let id else { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    guard state.running > 0, !Task.isCancelled else { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
