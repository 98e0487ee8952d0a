import Foundation
import NIOHTTP1
import PladmedCore
import SocketIO

/// The benchmark's three scenarios against any backend (``RemoteBackend``): a closed loop over HTTP endpoints, the
/// dispatch latency of a job (POST to its arrival at a probe on our Swift client), and results ingested from many
/// probes, each upload acknowledged before the next.
enum Scenarios {
    /// One endpoint's figures in the `http` scenario.
    struct HTTPFigure: Codable, Sendable {
        var target: String
        var path: String
        var connections: Int
        var requestsPerSecond: Double
        var p50Milliseconds: Double
        var p99Milliseconds: Double
        var errors: Int
        var statuses: [String: Int]
    }

    /// A closed loop of `connections` on `path` for `seconds`.
    static func http(
        target: String, host: String, port: Int, path: String, headers: [(String, String)] = [], connections: Int, seconds: Double
    ) async throws -> HTTPFigure {
        let outcome = try await LoadClient.run(
            host: host, port: port, path: path, headers: headers, connections: connections, duration: .milliseconds(Int(seconds * 1000)))
        return HTTPFigure(
            target: target, path: path, connections: connections, requestsPerSecond: outcome.perSecond,
            p50Milliseconds: outcome.percentile(0.5) / 1000, p99Milliseconds: outcome.percentile(0.99) / 1000, errors: outcome.errors,
            statuses: Dictionary(uniqueKeysWithValues: outcome.statuses.map { (String($0.key), $0.value) }))
    }

    /// The `dispatch` scenario's figures.
    struct DispatchFigure: Codable, Sendable {
        var target: String
        var samples: Int
        var p50Milliseconds: Double
        var p99Milliseconds: Double
    }

    /// `samples` one-destination pings to one connected probe, one at a time: the time from sending the POST to
    /// the job's arrival at the probe. The probe connects through `probesThrough` (another instance of a cluster), or
    /// through `backend`.
    ///
    /// The clock starts just before the POST's bytes are written to a kept-alive connection's socket, and stops when
    /// the job's WebSocket message is read off the probe's (``RemoteBackend/arrivals``): neither client's task hops
    /// count, only the server's work and the loopback's.
    static func dispatch(_ backend: RemoteBackend, probesThrough: RemoteBackend? = nil, samples: Int) async throws -> DispatchFigure {
        let probeSide = probesThrough ?? backend
        let account = try await backend.account(credits: Double(samples) * 10)
        let probe = try await backend.probes(1, token: account.token)[0]
        let client = try await probeSide.connect(probeToken: probe.token)
        defer { Task { await client.disconnect() } }
        let body = #"{"probes":["\#(probe.id)"],"params":{"cron":"* * * * *","stop_time":"01/01/2020 00:00","times_per_minute":1,"ips":["192.0.2.1"]}}"#
        // The POSTs share a kept-alive connection, as a browser's would: the time is the server's and the network's,
        // not a TCP handshake and a connection's set-up per request.
        let http = TimedHTTPClient(host: backend.host, port: backend.port)
        defer { http.close() }
        var latencies: [Double] = []
        for _ in 0..<samples {
            let answer = try await http.send("POST", "/ping", body: body, token: account.token)
            guard answer.status == 201, let id = (try? JSONValue(parsing: answer.body))?["_id"]?.string else {
                throw BenchError("POST /ping answered \(answer.status)")
            }
            let arrived = await probeSide.arrivals.arrival(of: id)
            let latency = arrived - answer.sent
            latencies.append(Double(latency.components.seconds) * 1000 + Double(latency.components.attoseconds) / 1e15)
        }
        latencies.sort()
        return DispatchFigure(
            target: backend.baseURL, samples: samples, p50Milliseconds: latencies[samples / 2],
            p99Milliseconds: latencies[min(samples - 1, samples * 99 / 100)])
    }

    /// The `ingest` scenario's figures.
    struct IngestFigure: Codable, Sendable {
        var target: String
        var probes: Int
        var results: Int
        var acknowledged: Int
        /// Probes the backend disconnected before they were done.
        var droppedProbes: Int
        var seconds: Double
        var resultsPerSecond: Double
    }

    /// One traceroute to `probes` connected probes, paying for `results` runs on each; then every probe uploads
    /// `results` warts files, each acknowledged before the next, all probes at once, until `deadline` has passed. The
    /// probes connect through the backends of `probesThrough` in turn (the instances of a cluster), or through `backend`.
    static func ingest(
        _ backend: RemoteBackend, probesThrough: [RemoteBackend] = [], probes count: Int, results: Int, warts: [UInt8],
        deadline: Duration = .seconds(3600)
    ) async throws -> IngestFigure {
        let sides = probesThrough.isEmpty ? [backend] : probesThrough
        let account = try await backend.account(credits: Double(count * results) * 15 + 100)
        let probes = try await backend.probes(count, token: account.token)
        var clients: [SocketIOClient] = []
        for (index, probe) in probes.enumerated() { clients.append(try await sides[index % sides.count].connect(probeToken: probe.token)) }
        defer { for client in clients { Task { await client.disconnect() } } }
        let list = probes.map { "\"\($0.id)\"" }.joined(separator: ",")
        let answer = try await backend.call("POST", "/traceroute", """
            {"probes":[\(list)],"params":{"cron":"* * * * *","stop_time":"01/01/2020 00:00","times_per_minute":\(results),"ips":["192.0.2.1"]},"result_format":"json"}
            """, token: account.token)
        guard answer.status == 201, let operation = answer.json?["_id"]?.string else { throw BenchError("POST /traceroute answered \(answer.status)") }
        for side in sides.prefix(count) { _ = await side.arrivals.arrival(of: operation) }
        let started = ContinuousClock.now
        // A slow backend stops uploading at the deadline: its rate is what it acknowledged until then.
        let stop = started + deadline
        // A probe the backend drops (the original misses heartbeats under this load) stops uploading; what it had
        // acknowledged counts, and the drop is reported.
        let (acknowledged, dropped) = await withTaskGroup(of: (Int, Bool).self) { group in
            for (index, client) in clients.enumerated() {
                group.addTask {
                    var acknowledged = 0
                    for n in 0..<results where ContinuousClock.now < stop {
                        guard let ack = try? await client.emitWithAck("results", [.object([
                            "operation_id": .string(operation), "content": .binary(warts), "unique_code": .string("bench-\(index)-\(n)"),
                            "format": .string("warts"),
                        ])], timeout: .seconds(60)) else { return (acknowledged, true) }
                        if ack.first?.string == operation { acknowledged += 1 }
                    }
                    return (acknowledged, false)
                }
            }
            return await group.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + ($1.1 ? 1 : 0)) }
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return IngestFigure(
            target: backend.baseURL, probes: count, results: count * results, acknowledged: acknowledged, droppedProbes: dropped,
            seconds: seconds, resultsPerSecond: Double(acknowledged) / seconds)
    }
}
