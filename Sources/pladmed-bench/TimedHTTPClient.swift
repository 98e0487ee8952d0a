import Foundation
import Synchronization

/// A ``TimedHTTPConnection`` on a queue of its own, so that its blocking reads hold no task's thread.
final class TimedHTTPClient: Sendable {
    private let connection: Mutex<TimedHTTPConnection>
    private let queue = DispatchQueue(label: "pladmed-bench.timed-http")
    private let authority: String

    init(host: String, port: Int) {
        connection = Mutex(TimedHTTPConnection(host: host, port: port))
        authority = "\(host):\(port)"
    }

    /// Sends `method path` with a JSON `body` and an `access_token`; the answer, with the instant it was sent.
    func send(_ method: String, _ path: String, body: String, token: String?) async throws -> TimedHTTPConnection.Answer {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(authority)\r\nContent-Type: application/json\r\n"
        if let token { head += "access_token: \(token)\r\n" }
        let request = Array((head + "Content-Length: \(body.utf8.count)\r\n\r\n" + body).utf8)
        return try await withCheckedThrowingContinuation { continuation in
            queue.async { [self] in
                continuation.resume(with: Result { try connection.withLock { try $0.exchange(request) } })
            }
        }
    }

    /// Closes the connection.
    func close() {
        queue.sync { connection.withLock { $0.close() } }
    }
}
