import Foundation
import PladmedCore
import Testing

/// A probe the conformance tests drive; what it observes comes back as JSON observations:
/// `{"event":"connected"}`, `{"event":"connect_error","data":...}`, `{"event":"job","name":...,"data":...}`,
/// `{"event":"ack","data":[...]}`, `{"event":"no_ack"}`, `{"event":"disconnected"}`.
protocol TestProbe: Sendable {
    /// Connects with `token` in the query and `headers`; answers `connected` or `connect_error`.
    func connect(port: Int, token: String?, headers: [String: String]) async throws -> JSONValue?
    /// The next observation, or `nil` after `seconds`.
    func next(within seconds: Double) async -> JSONValue?
    /// Uploads the file at `path` as a result and answers `ack` or `no_ack`.
    func upload(operation: String, path: String, code: String, format: String) async throws -> JSONValue?
    /// Emits `event` without asking for an ack, as probes send their credits.
    func emit(_ event: String, _ data: JSONValue) async throws
    /// Disconnects; answers `disconnected`.
    func disconnect() async throws -> JSONValue?
}

extension TestProbe {
    func next() async -> JSONValue? { await next(within: 10) }

    func upload(operation: String, path: String, code: String) async throws -> JSONValue? {
        try await upload(operation: operation, path: path, code: code, format: "warts")
    }
}

/// The probe implementations every probe conformance test runs with.
enum ProbeImplementation: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// python-socketio 5.0.4, the client real probes pin.
    case python
    /// Our Swift Socket.IO client.
    case swift

    var testDescription: String { rawValue == "python" ? "python-socketio 5.0.4" : "our Swift client" }

    func make() throws -> any TestProbe {
        switch self {
        case .python: try PythonProbe()
        case .swift: SwiftProbe()
        }
    }
}

/// Observations in arrival order, awaited with a deadline.
final class ObservationQueue: Sendable {
    private let values = Mutex<[JSONValue]>([])

    func append(_ value: JSONValue) { values.withLock { $0.append(value) } }

    func next(within seconds: Double) async -> JSONValue? {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if let value = values.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return value }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }
}
