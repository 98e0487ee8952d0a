import Foundation
import PladmedCore
import PladmedServer
import PladmedTestSupport
import Testing

/// The operating features held against the real tools an operator runs (Tests/Helpers/clients/operating_check.py): Debian's
/// Prometheus scraping `/metrics`, Debian's Chromium driving Swagger UI at `/docs`, Debian's chronyd serving NTP from
/// `deploy/chrony/chrony.conf`, and the kernel's clock state read independently. Each is skipped, saying why, only
/// when its package is not installed (`make test` installs them).
@Suite("OperatingTools: Prometheus, Chromium, chronyd", .serialized)
struct OperatingToolsTests {
    static func installed(_ path: String) -> Bool { FileManager.default.isExecutableFile(atPath: path) }

    static func check(_ arguments: [String]) async throws -> JSONValue {
        try JSONValue(parsing: try await Oracle.run("clients/operating_check.py", arguments, venv: "operating"))
    }

    @Test("Prometheus scrapes /metrics: the target is up, every series is there, and the request counter moves under load",
          .enabled(if: installed("/usr/bin/prometheus"), "Debian's prometheus is not installed (apt-get install prometheus)"))
    func prometheusScrapes() async throws {
        let harness = try await ServerHarness()
        try await harness.run { client in
            let port = try #require(client.port)
            let result = try await Self.check(["prometheus", String(port), harness.folder.path("")])
            #expect(result["up"]?.number == 1)
            let before = try #require(result["before"]?.number), after = try #require(result["after"]?.number)
            #expect(after >= before + 50)
            let names = Set(result["names"]?.array?.compactMap(\.string) ?? [])
            for name in [
                "pladmed_http_requests_total", "pladmed_http_request_duration_seconds_bucket", "pladmed_socketio_sessions",
                "pladmed_probes_connected", "pladmed_dispatch_duration_seconds_count", "pladmed_results_ingested_total",
                "pladmed_store_duration_seconds_bucket", "pladmed_store_errors_total", "pladmed_credits_charged_total",
                "pladmed_credits_rewarded_total", "pladmed_credits_granted_total", "pladmed_logins_failed_total",
                "pladmed_logins_rate_limited_total", "pladmed_clock_synchronised", "pladmed_clock_maximum_error_seconds",
                "pladmed_build_info",
            ] {
                #expect(names.contains(name), "Prometheus has no \(name)")
            }
        }
    }

    @Test("headless Chromium shows every operation of the spec at /docs, and \"try it out\" of GET /probes answers 200",
          .enabled(if: installed("/usr/bin/chromium") && installed("/usr/bin/chromedriver"),
                   "Debian's chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"))
    func swaggerUIInChromium() async throws {
        let harness = try await ServerHarness(environment: ["PLADMED_SWAGGER_UI_DIR": Repository.file(".build/swagger-ui").path])
        let artifacts = Repository.file(".build/test-artifacts")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let screenshot = artifacts.appendingPathComponent("docs.png")
        try? FileManager.default.removeItem(at: screenshot)
        try await harness.run { client in
            let port = try #require(client.port)
            let result = try await Self.check(["docs", String(port), screenshot.path])
            let spec = try String(contentsOf: Repository.file("docs/endpoints/openapi.yaml"), encoding: .utf8)
            let operationIDs = spec.split(separator: "\n").compactMap { line -> String? in
                guard let range = line.range(of: "operationId: ") else { return nil }
                return String(line[range.upperBound...]).trimmingCharacters(in: .whitespaces)
            }
            let shown = Set((result["operations"]?.array ?? []).compactMap { $0.string?.split(separator: "-").last.map(String.init) })
            #expect(operationIDs.count >= 17)
            #expect(shown == Set(operationIDs))
            #expect(result["visible"] == .bool(true), "the screenshot cuts operations off")
            #expect(result["status"] == .string("200"))
            let png = try Data(contentsOf: screenshot)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000)
        }
    }

    @Test("chronyd with deploy/chrony/chrony.conf, on loopback and never touching the clock, answers a probe's NTP query",
          .enabled(if: installed("/usr/sbin/chronyd"), "Debian's chrony is not installed (apt-get install chrony)"))
    func chronyServesProbes() async throws {
        let folder = TemporaryDirectory()
        let result = try await Self.check(["ntp", Repository.file("deploy/chrony/chrony.conf").path, folder.path("")])
        // Without upstream servers on loopback, chronyd serves its local reference: the configuration's stratum 10.
        #expect(result["stratum"]?.number == 10)
        #expect(result["leap"]?.number == 0)
        let offset = try #require(result["offset"]?.number)
        #expect(abs(offset) < 0.5)
        #expect(result["running"] == .bool(true))
    }

    @Test("the clock state of /health and /metrics is the kernel's (adjtimex through ctypes)")
    func clockMatchesKernel() async throws {
        let harness = try await ServerHarness()
        try await harness.run { client in
            let kernel = try await Self.check(["clock"])
            let health = try #require(try await client.send(.get, "/health").json)
            let metrics = try await OperatingTests.metrics(client)
            let synchronised = kernel["synchronised"] == .bool(true)
            #expect(kernel["synchronised"] == .bool(synchronised))
            #expect(health["clock"]?["synchronised"] == .bool(synchronised))
            #expect(health["status"] == .string(synchronised ? "ok" : "degraded"))
            #expect(metrics["pladmed_clock_synchronised"] == (synchronised ? 1 : 0))
            // The maximum error grows by 500 µs a second while unsynchronised (up to 16 s): the readings are
            // moments apart.
            let maximum = try #require(kernel["maximum_error"]?.number)
            #expect(abs((health["clock"]?["maximum_error_seconds"]?.number ?? -1) - maximum) < 0.1)
            #expect(abs((metrics["pladmed_clock_maximum_error_seconds"] ?? -1) - maximum) < 0.1)
        }
    }
}
