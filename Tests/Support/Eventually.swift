/// Waiting for a condition by polling it, with a deadline (no fixed sleep stands in for the condition).
public enum Eventually {
    /// Checks `condition` every `interval` until it holds or `seconds` pass; returns whether it held.
    public static func holds(
        within seconds: Double, every interval: Duration = .milliseconds(50), _ condition: () async throws -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while try await !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: interval)
        }
        return true
    }

    /// Checks `condition` every `interval` until it holds or `seconds` pass, a thrown error counting as not yet (a
    /// request to a server still coming up); returns whether it held.
    public static func passes(
        within seconds: Double = 5, every interval: Duration = .milliseconds(20), _ condition: () async throws -> Bool
    ) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while (try? await condition()) != true {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: interval)
        }
        return true
    }
}
