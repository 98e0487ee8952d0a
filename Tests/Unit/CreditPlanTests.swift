import Foundation
import PladmedCore
import Testing

@Suite("Credits formula")
struct CreditPlanTests {
    static let utc = TimeZone(identifier: "UTC")!
    /// When the reference recording ran (its `recorded_at`).
    static let recordedAt = Date(timeIntervalSince1970: 1_795_928_642)

    func measurement(_ kind: MeasurementKind, _ params: [String: JSONValue], format: String? = "json") throws -> ValidatedMeasurement {
        try MeasurementRules.validate(kind: kind, params: .object(params), resultFormat: format, timeZone: Self.utc)
    }

    func base(stop: String, destinations: [String] = ["8.8.8.8"], times: Double = 1) -> [String: JSONValue] {
        ["cron": .string("* * * * *"), "stop_time": .string(stop), "times_per_minute": .double(times),
         "ips": .array(destinations.map(JSONValue.string))]
    }

    @Test("a stop time in the past is one execution (recording: 2 ips -> 30 credits)")
    func pastStop() throws {
        let plan = try #require(CreditPlan(
            for: try measurement(.traceroute, base(stop: "01/01/2020 00:00", destinations: ["8.8.8.8", "1.1.1.1"])),
            now: Self.recordedAt, timeZone: Self.utc))
        #expect(plan.costPerExecution == 30)
        #expect(plan.executions == 1)
        #expect(plan.costPerProbe == 30)
    }

    @Test("executions count the fires until stop_time (recording: 05:04 -> 05:14 every minute = 135 credits)")
    func futureStop() throws {
        let plan = try #require(CreditPlan(
            for: try measurement(.traceroute, base(stop: "29/11/2026 05:14")), now: Self.recordedAt, timeZone: Self.utc))
        #expect(plan.costPerExecution == 15)
        #expect(plan.executions == 9)
        #expect(plan.costPerProbe == 135)
    }

    @Test("fractional executions are kept, times_per_minute multiplies, at least one execution")
    func fractions() throws {
        var params = base(stop: "29/11/2026 06:30", times: 2)
        params["cron"] = .string("0 * * * *")  // first 06:00, second 07:00
        let plan = try #require(CreditPlan(for: try measurement(.ping, params), now: Self.recordedAt, timeZone: Self.utc))
        #expect(plan.executions == 1)
        params["stop_time"] = .string("29/11/2026 09:30")
        let longer = try #require(CreditPlan(for: try measurement(.ping, params), now: Self.recordedAt, timeZone: Self.utc))
        #expect(longer.executions == 3.5)
        #expect(longer.costPerProbe == 7)
    }

    @Test("cost per destination: traceroute 15, ping and dns 1; ips and fqdns both count")
    func costPerDestination() throws {
        var params = base(stop: "01/01/2020 00:00", destinations: [])
        params["fqdns"] = .array([.string("example.com"), .string("example.org")])
        let dns = try #require(CreditPlan(for: try measurement(.dns, params), now: Self.recordedAt, timeZone: Self.utc))
        #expect(dns.costPerProbe == 2)
        params["ips"] = .array([.string("8.8.8.8")])
        let trace = try #require(CreditPlan(for: try measurement(.traceroute, params), now: Self.recordedAt, timeZone: Self.utc))
        #expect(trace.costPerProbe == 45)
    }

    @Test("a probe is available when in_use + cost <= total; availability never divides by zero")
    func availability() {
        #expect(ProbeStatus(totalCredits: 1000, inUseCredits: 0).canTake(cost: 1000))
        #expect(!ProbeStatus(totalCredits: 10, inUseCredits: 0).canTake(cost: 15))
        #expect(ProbeStatus(totalCredits: 1000, inUseCredits: 300).availability == 0.7)
        #expect(ProbeStatus(totalCredits: 0, inUseCredits: 0).availability == 0)
    }
}
