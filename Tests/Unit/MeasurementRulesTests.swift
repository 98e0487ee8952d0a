import Foundation
import PladmedCore
import Testing

@Suite("Measurement parameter rules")
struct MeasurementRulesTests {
    static let utc = TimeZone(identifier: "UTC")!

    static let valid: [String: JSONValue] = [
        "cron": .string("* * * * *"), "stop_time": .string("01/01/2020 00:00"), "times_per_minute": .int(1),
        "ips": .array([.string("8.8.8.8")]),
    ]

    func validate(_ kind: MeasurementKind, _ changes: [String: JSONValue?], format: String? = "json") throws -> ValidatedMeasurement {
        var params = Self.valid
        for (key, value) in changes { params[key] = value }
        return try MeasurementRules.validate(kind: kind, params: .object(params), resultFormat: format, timeZone: Self.utc)
    }

    func expectInvalid(_ kind: MeasurementKind, _ changes: [String: JSONValue?], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: PladmedError.invalidData, sourceLocation: sourceLocation) { try validate(kind, changes) }
    }

    @Test("a minimal request passes for every kind and keeps unknown parameters")
    func minimal() throws {
        let trace = try validate(.traceroute, ["extra": .string("kept")])
        #expect(trace.params["extra"] == .string("kept"))
        #expect(trace.resultFormat == "json")
        #expect(try validate(.ping, [:], format: nil).resultFormat == "json")
        #expect(try validate(.dns, ["ips": nil, "fqdns": .array([.string("example.com")])], format: "dump").resultFormat == "text")
    }

    @Test("schedule and destinations are required and typed")
    func schedule() {
        for kind in MeasurementKind.allCases {
            expectInvalid(kind, ["cron": nil])
            expectInvalid(kind, ["cron": .string("bad cron")])
            expectInvalid(kind, ["stop_time": .string("2020-01-01 00:00")])
            expectInvalid(kind, ["stop_time": .string("31/02/2020 00:00")])
            expectInvalid(kind, ["times_per_minute": nil])
            expectInvalid(kind, ["times_per_minute": .string("1")])
            expectInvalid(kind, ["times_per_minute": .bool(true)])
            expectInvalid(kind, ["times_per_minute": .int(0)])
            expectInvalid(kind, ["times_per_minute": .int(-3)])
            expectInvalid(kind, ["ips": .array([]), "fqdns": nil])
            expectInvalid(kind, ["ips": .string("8.8.8.8")])
            expectInvalid(kind, ["ips": .array([.int(8)])])
        }
        #expect(throws: PladmedError.invalidData) {
            try MeasurementRules.validate(kind: .ping, params: .array([]), resultFormat: nil, timeZone: Self.utc)
        }
        #expect(throws: PladmedError.invalidData) {
            try MeasurementRules.validate(kind: .ping, params: nil, resultFormat: nil, timeZone: Self.utc)
        }
    }

    @Test("traceroute ranges and methods are inclusive")
    func traceroute() throws {
        for (key, low, high) in [("maxttl", 1, 255), ("attempts", 1, 10), ("wait", 1, 20), ("wait-probe", 0, 100)] {
            _ = try validate(.traceroute, [key: .int(low)])
            _ = try validate(.traceroute, [key: .int(high)])
            expectInvalid(.traceroute, [key: .int(low - 1)])
            expectInvalid(.traceroute, [key: .int(high + 1)])
            expectInvalid(.traceroute, [key: .double(Double(low) + 0.5)])
        }
        _ = try validate(.traceroute, ["confidence": .double(0.99)])
        _ = try validate(.traceroute, ["confidence": .int(0)])
        expectInvalid(.traceroute, ["confidence": .double(0.995)])
        for method in ["udp-paris", "icmp-paris", "icp"] { _ = try validate(.traceroute, ["method": .string(method)]) }
        expectInvalid(.traceroute, ["method": .string("tcp")])
        _ = try validate(.traceroute, ["dport": .int(-5), "sport": .string("anything"), "firsthop": .int(99)])
    }

    @Test("ping ranges and methods")
    func ping() throws {
        for (key, low, high) in [("probecount", 1, 100), ("wait", 1, 20), ("size", 1, 255), ("timeout", 0, 100)] {
            _ = try validate(.ping, [key: .int(low)])
            _ = try validate(.ping, [key: .int(high)])
            expectInvalid(.ping, [key: .int(low - 1)])
            expectInvalid(.ping, [key: .int(high + 1)])
        }
        for method in MeasurementRules.pingMethods { _ = try validate(.ping, ["method": .string(method)]) }
        expectInvalid(.ping, ["method": .string("icmp")])
    }

    @Test("dns: type enum, no ips, empty ipv4/ipv6")
    func dns() throws {
        let fqdns: [String: JSONValue?] = ["ips": nil, "fqdns": .array([.string("example.com")])]
        for type in MeasurementRules.dnsTypes {
            _ = try validate(.dns, fqdns.merging(["type": .string(type)]) { $1 })
        }
        expectInvalid(.dns, fqdns.merging(["type": .string("aaaa")]) { $1 })
        expectInvalid(.dns, ["fqdns": .array([.string("example.com")])])
        _ = try validate(.dns, fqdns.merging(["ipv4": .string(""), "ipv6": .string("")]) { $1 })
        expectInvalid(.dns, fqdns.merging(["ipv4": .string("1.2.3.4")]) { $1 })
    }

    @Test("traceroute result_format: required, json or dump")
    func resultFormat() throws {
        #expect(try validate(.traceroute, [:], format: "dump").resultFormat == "dump")
        #expect(throws: PladmedError.badRequest("Missing result_format field")) { try validate(.traceroute, [:], format: nil) }
        #expect(throws: PladmedError.badRequest("result_format must be one of json, dump")) {
            try validate(.traceroute, [:], format: "xml")
        }
    }
}
