import Foundation
import HTTPTypes
import HummingbirdTesting
import PladmedCore
import PladmedServer
import PladmedTestSupport
import ServiceLifecycleTestKit
import Testing

/// What an operator reads from a running server: `/metrics` moving with the traffic it counts, `/health` with the
/// clock's state and the drain, request ids, and the published specification.
@Suite("Operating a server")
struct OperatingTests {
    /// The samples of a Prometheus text exposition, by series (`name{label="value",...}` as written).
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    static let requestID = HTTPField.Name("X-Request-Id")!

    static func metrics(_ client: any TestClientProtocol) async throws -> [String: Double] {
        let answer = try await client.send(.get, "/metrics")
        #expect(answer.status == 200)
        #expect(answer.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
        return samples(String(decoding: answer.body, as: UTF8.self))
    }

    @Test("/metrics counts requests, logins, credits, jobs, results and store calls as they happen")
    func metricsMove() async throws {
        let harness = try await ServerHarness()
        let metrics = PladmedMetrics()
        try await harness.run(metrics: metrics) { client in
            let port = try #require(client.port)
            let before = try await Self.metrics(client)
            #expect(before["pladmed_logins_failed_total"] == 0)
            #expect(before["pladmed_build_info{version=\"\(PladmedVersion.current)\"}"] == 1)

            let account = try await ProbeFlowTests.account(harness, client)
            _ = try await client.send(.post, "/login", body: #"{"email":"owner@example.com","password":"Wrong_Pass1"}"#)
            let admin = try await harness.store.createUser(
                email: "admin@example.com", passwordHash: PasswordHasher(rounds: 1000).hash("Secure_Pass1"), isSuperuser: true)
            let adminToken = TokenService(secret: "dev").userToken(for: admin)
            let granted = try await client.send(
                .post, "/credits", headers: ["access_token": adminToken], body: #"{"id":"\#(account.user.hex)","credits":250}"#)
            #expect(granted.status == 200)

            let probe = SwiftProbe()
            _ = try await probe.connect(port: port, token: account.probeToken, headers: ["total_credits": "1000", "in_use_credits": "0"])
            let trace = try await ProbeFlowTests.operation(client, account, "traceroute", ProbeFlowTests.once, format: "json")
            _ = await probe.next()
            let traceID = try #require(trace["_id"]?.string)
            #expect(try await probe.upload(operation: traceID, path: ProbeFlowTests.warts, code: "code-1")?["data"] == .array([.string(traceID)]))
            _ = try await probe.upload(operation: "5f0000000000000000000000", path: ProbeFlowTests.warts, code: "code-x")

            let after = try await Self.metrics(client)
            #expect(after["pladmed_http_requests_total{method=\"POST\",route=\"/register\",status=\"201\"}"] == 1)
            #expect(after["pladmed_http_requests_total{method=\"POST\",route=\"/login\",status=\"404\"}"] == 1)
            #expect(after["pladmed_http_request_duration_seconds_count{method=\"POST\",route=\"/traceroute\"}"] == 1)
            #expect(after["pladmed_logins_failed_total"] == 1)
            #expect(after["pladmed_logins_rate_limited_total"] == 0)
            #expect(after["pladmed_credits_granted_total"] == 250)
            #expect(after["pladmed_credits_charged_total"] == trace["credits"]?.number)
            #expect(after["pladmed_credits_rewarded_total"] == 10)
            #expect(after["pladmed_jobs_dispatched_total{kind=\"traceroute\"}"] == 1)
            #expect(after["pladmed_dispatch_duration_seconds_count"] == 1)
            #expect(after["pladmed_results_ingested_total"] == 1)
            #expect(after["pladmed_results_refused_total{reason=\"unknown_operation\"}"] == 1)
            #expect(after["pladmed_probes_connected"] == 1)
            #expect(after["pladmed_socketio_sessions"] == 1)
            #expect((after["pladmed_store_duration_seconds_count{operation=\"createUser\"}"] ?? 0) >= 1)
            #expect((after["pladmed_store_duration_seconds_count{operation=\"addResult\"}"] ?? 0) == 1)
            #expect(after["pladmed_store_errors_total{operation=\"addResult\"}"] == 0)
            #expect(after.values.allSatisfy { $0.isFinite })
            _ = try await probe.disconnect()
        }
    }

    @Test("/health: ok with a synchronised clock, degraded (200) without, and the clock's error bounds")
    func healthClock() async throws {
        let harness = try await ServerHarness()
        let state = Mutex(ClockState(synchronised: true, estimatedError: 0.000_25, maximumError: 0.012))
        try await harness.run(clockState: { state.withLock { $0 } }) { client in
            let synced = try await client.send(.get, "/health")
            #expect(synced.status == 200)
            #expect(synced.json?["status"] == .string("ok"))
            #expect(synced.json?["version"] == .string(PladmedVersion.current))
            #expect(synced.json?["clock"] == .object([
                "synchronised": .bool(true), "estimated_error_seconds": .double(0.000_25), "maximum_error_seconds": .double(0.012),
            ]))
            #expect(try await Self.metrics(client)["pladmed_clock_synchronised"] == 1)
            state.withLock { $0 = ClockState(synchronised: false, estimatedError: 16, maximumError: 16) }
            let unsynced = try await client.send(.get, "/health")
            #expect(unsynced.status == 200)
            #expect(unsynced.json?["status"] == .string("degraded"))
            #expect(unsynced.json?["clock"]?["synchronised"] == .bool(false))
            let samples = try await Self.metrics(client)
            #expect(samples["pladmed_clock_synchronised"] == 0)
            #expect(samples["pladmed_clock_maximum_error_seconds"] == 16)
        }
    }

    @Test("X-Request-Id: a client's short token is kept, anything else is replaced by the server's id")
    func requestIDs() async throws {
        let harness = try await ServerHarness()
        try await harness.run { client in
            #expect(try await client.send(.get, "/probes", headers: ["X-Request-Id": "trace-42.a:b_c"]).headers[Self.requestID]
                == "trace-42.a:b_c")
            let generated = try await client.send(.get, "/nowhere", headers: ["X-Request-Id": "two words"])
            #expect(generated.status == 404)
            let id = try #require(generated.headers[Self.requestID])
            #expect(id != "two words" && !id.isEmpty)
            let other = try await client.send(.get, "/health").headers[Self.requestID]
            #expect(other != nil && other != id)
        }
    }

    @Test("/openapi.yaml and /openapi.json publish the specification for this server; /docs says when Swagger UI is missing")
    func publishedSpecification() async throws {
        let harness = try await ServerHarness()
        try await harness.run { client in
            let json = try #require(try await client.send(.get, "/openapi.json").json)
            #expect(json["servers"] == .array([.object(["url": .string("/"), "description": .string("this server")])]))
            let committed = try String(contentsOf: Repository.file("docs/endpoints/openapi.yaml"), encoding: .utf8)
            let operations = committed.split(separator: "\n").filter { $0.contains("operationId:") }.count
            let published = json["paths"]?.object?.values.reduce(0) { $0 + ($1.object?.values.filter { $0["operationId"] != nil }.count ?? 0) }
            #expect(published == operations)
            let yaml = try await client.send(.get, "/openapi.yaml")
            #expect(yaml.status == 200 && String(decoding: yaml.body, as: UTF8.self).contains("operationId: listProbes"))
            let docs = try await client.send(.get, "/docs")
            #expect(docs.status == 404 && docs.json?["Error"]?.string?.contains("PLADMED_SWAGGER_UI_DIR") == true)
            #expect(try await client.send(.post, "/metrics").status == 405)
        }
    }

    @Test("/docs serves Swagger UI's page and files from PLADMED_SWAGGER_UI_DIR")
    func swaggerUIFiles() async throws {
        let directory = Repository.file(".build/swagger-ui").path
        let harness = try await ServerHarness(environment: ["PLADMED_SWAGGER_UI_DIR": directory])
        try await harness.run { client in
            let page = try await client.send(.get, "/docs")
            #expect(page.status == 200 && String(decoding: page.body, as: UTF8.self).contains("/docs/pladmed-docs.js"))
            // No inline script: the page's policy allows this server's scripts only; no framing, no sniffing.
            #expect(!String(decoding: page.body, as: UTF8.self).contains("<script>"))
            let starter = try await client.send(.get, "/docs/pladmed-docs.js")
            #expect(starter.status == 200 && String(decoding: starter.body, as: UTF8.self).contains("/openapi.json"))
            let bundle = try await client.send(.get, "/docs/swagger-ui-bundle.js")
            #expect(bundle.status == 200)
            for answer in [page, starter, bundle] {
                #expect(answer.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
                #expect(answer.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
                #expect(answer.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("script-src 'self'") == true)
            }
            #expect(bundle.body == FileManager.default.contents(atPath: directory + "/swagger-ui-bundle.js"))
            #expect(try await client.send(.get, "/docs/../Package.swift").status == 404)
            #expect(try await client.send(.get, "/docs/LICENSE").status == 404)
        }
    }

    @Test("a graceful stop answers /health 503 draining, lets an upload in flight finish, closes the sessions and refuses new ones")
    func drainStops() async throws {
        let harness = try await ServerHarness()
        let metrics = PladmedMetrics()
        let drain = ServerDrain(timeout: .seconds(5), logger: .init(label: "drain-test"))
        try await harness.run(metrics: metrics, drain: drain) { client in
            let port = try #require(client.port)
            let account = try await ProbeFlowTests.account(harness, client)
            let probe = SwiftProbe()
            _ = try await probe.connect(port: port, token: account.probeToken, headers: ["total_credits": "1000", "in_use_credits": "0"])
            let trace = try await ProbeFlowTests.operation(client, account, "traceroute", ProbeFlowTests.once, format: "json")
            _ = await probe.next()
            let traceID = try #require(trace["_id"]?.string)
            try await testGracefulShutdown { trigger in
                let stopping = Task { try await drain.run() }
                // An upload and the stop at once: the upload is acknowledged (it started first) or unanswered (it
                // came after the gate closed), and whatever is acknowledged is stored.
                async let upload = probe.upload(operation: traceID, path: ProbeFlowTests.warts, code: "code-1")
                trigger.triggerGracefulShutdown()
                try await stopping.value
                let ack = try? await upload
                let stored = try await client.send(.get, "/operation?id=\(traceID)").json?["results"]?.array?.count
                if ack?["event"] == .string("ack") { #expect(stored == 1) }
            }
            let health = try await client.send(.get, "/health")
            #expect(health.status == 503 && health.json?["status"] == .string("draining"))
            #expect(try await Self.metrics(client)["pladmed_socketio_sessions"] == 0)
            let late = SwiftProbe()
            await #expect(throws: (any Error).self) {
                _ = try await late.connect(port: port, token: account.probeToken, headers: ["total_credits": "1000", "in_use_credits": "0"])
            }
        }
    }
}
