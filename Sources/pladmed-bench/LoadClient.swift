import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A closed-loop HTTP/1.1 load generator on SwiftNIO: `connections` kept-alive connections, each sending its next
/// request as soon as the previous answer has arrived, for `duration`. Every request of a run is the same.
enum LoadClient {
    /// What one run measured.
    struct Outcome: Sendable {
        var answers = 0
        var errors = 0
        var statuses: [Int: Int] = [:]
        /// Latencies in microseconds, sorted.
        var latencies: [Double] = []
        var seconds = 0.0

        var perSecond: Double { seconds > 0 ? Double(answers) / seconds : 0 }

        func percentile(_ fraction: Double) -> Double {
            latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, Int(Double(latencies.count) * fraction))]
        }

        mutating func merge(_ other: Outcome) {
            answers += other.answers
            errors += other.errors
            statuses.merge(other.statuses, uniquingKeysWith: +)
            latencies += other.latencies
        }
    }

    /// Runs `method path` with `headers` against `host:port`.
    static func run(
        host: String, port: Int, method: HTTPMethod = .GET, path: String, headers: [(String, String)] = [],
        connections: Int, duration: Duration
    ) async throws -> Outcome {
        let started = ContinuousClock.now
        let deadline = started + duration
        var total = try await withThrowingTaskGroup(of: Outcome.self) { group in
            for _ in 0..<connections {
                group.addTask { try await loop(host: host, port: port, method: method, path: path, headers: headers, until: deadline) }
            }
            var total = Outcome()
            for try await outcome in group { total.merge(outcome) }
            return total
        }
        let elapsed = ContinuousClock.now - started
        total.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        total.latencies.sort()
        return total
    }

    private static func loop(
        host: String, port: Int, method: HTTPMethod, path: String, headers: [(String, String)], until deadline: ContinuousClock.Instant
    ) async throws -> Outcome {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: "\(host):\(port)")
        head.headers.add(name: "Content-Length", value: "0")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        var outcome = Outcome()
        try await channel.executeThenClose { inbound, outbound in
            var answers = inbound.makeAsyncIterator()
            while ContinuousClock.now < deadline {
                let sent = ContinuousClock.now
                try await outbound.write(contentsOf: [.head(head), .end(nil)])
                var status = 0
                reading: while let part = try await answers.next() {
                    switch part {
                    case .head(let response): status = Int(response.status.code)
                    case .body: break
                    case .end: break reading
                    }
                }
                guard status > 0 else {
                    outcome.errors += 1
                    break
                }
                let latency = ContinuousClock.now - sent
                outcome.answers += 1
                outcome.statuses[status, default: 0] += 1
                outcome.latencies.append(Double(latency.components.seconds) * 1e6 + Double(latency.components.attoseconds) / 1e12)
            }
        }
        return outcome
    }
}
