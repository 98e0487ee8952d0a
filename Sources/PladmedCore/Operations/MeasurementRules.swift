import Foundation

/// A measurement request that passed every rule of the contract.
public struct ValidatedMeasurement: Sendable, Equatable {
    /// What to run.
    public let kind: MeasurementKind
    /// The parameters as sent, unknown ones included; this is what is stored and sent to probes.
    public let params: JSONValue
    /// The schedule.
    public let cron: CronExpression
    /// When the schedule ends.
    public let stopTime: Date
    /// How many times per fire the probe runs the measurement.
    public let timesPerMinute: Double
    /// `ips` plus `fqdns`.
    public let destinationCount: Int
    /// `json`, `dump` or `text`: how results are stored.
    public let resultFormat: String
}

/// The parameter rules of the contract for traceroute, ping and dns operations.
///
/// Every broken rule is `400 Invalid data provided`, as the original answers; `result_format` problems get
/// their own messages.
public enum MeasurementRules {
    /// Traceroute `method` values.
    public static let tracerouteMethods: Set<String> = ["udp-paris", "icmp-paris", "icp"]
    /// Ping `method` values.
    public static let pingMethods: Set<String> = ["icmp-echo", "icmp-time", "tcp-syn", "tcp-ack", "tcp-ack-sport", "udp", "udp-dport"]
    /// DNS `type` values.
    public static let dnsTypes: Set<String> = ["a", "any", "axfr", "hinfo", "mx", "ns", "soa", "txt"]
    /// Result formats a traceroute may ask for.
    public static let tracerouteFormats = ["json", "dump"]

    /// Checks `params` and `resultFormat` for `kind`, reading dates in `timeZone`.
    public static func validate(
        kind: MeasurementKind, params: JSONValue?, resultFormat: String?, timeZone: TimeZone
    ) throws -> ValidatedMeasurement {
        guard let params, let fields = params.object else { throw PladmedError.invalidData }
        guard let cronText = fields["cron"]?.string, let cron = try? CronExpression.parsed(cronText) else { throw PladmedError.invalidData }
        guard let stopText = fields["stop_time"]?.string, let stopTime = StopTime.parse(stopText, in: timeZone),
              let timesPerMinute = fields["times_per_minute"]?.number, timesPerMinute > 0
        else { throw PladmedError.invalidData }
        let ips = try stringList(fields["ips"])
        let fqdns = try stringList(fields["fqdns"])
        guard ips.count + fqdns.count >= 1 else { throw PladmedError.invalidData }

        switch kind {
        case .traceroute:
            try check(fields["confidence"], number: 0...0.99)
            try check(fields["method"], oneOf: tracerouteMethods)
            try check(fields["maxttl"], integer: 1...255)
            try check(fields["attempts"], integer: 1...10)
            try check(fields["wait"], integer: 1...20)
            try check(fields["wait-probe"], integer: 0...100)
        case .ping:
            try check(fields["probecount"], integer: 1...100)
            try check(fields["wait"], integer: 1...20)
            try check(fields["size"], integer: 1...255)
            try check(fields["timeout"], integer: 0...100)
            try check(fields["method"], oneOf: pingMethods)
        case .dns:
            try check(fields["type"], oneOf: dnsTypes)
            guard ips.isEmpty else { throw PladmedError.invalidData }
            for key in ["ipv4", "ipv6"] where fields[key] != nil {
                guard fields[key]?.string == "" else { throw PladmedError.invalidData }
            }
        }

        let format: String
        switch kind {
        case .traceroute:
            guard let resultFormat else { throw PladmedError.badRequest("Missing result_format field") }
            guard tracerouteFormats.contains(resultFormat) else {
                throw PladmedError.badRequest("result_format must be one of \(tracerouteFormats.joined(separator: ", "))")
            }
            format = resultFormat
        case .ping: format = "json"
        case .dns: format = "text"
        }
        return ValidatedMeasurement(
            kind: kind, params: params, cron: cron, stopTime: stopTime, timesPerMinute: timesPerMinute,
            destinationCount: ips.count + fqdns.count, resultFormat: format)
    }

    /// An absent list is empty; `null`, like every checked parameter sent as `null`, is refused (DEVIATIONS #30).
    private static func stringList(_ value: JSONValue?) throws -> [String] {
        guard let value else { return [] }
        guard let items = value.array else { throw PladmedError.invalidData }
        return try items.map { item in
            guard let text = item.string else { throw PladmedError.invalidData }
            return text
        }
    }

    private static func check(_ value: JSONValue?, number range: ClosedRange<Double>) throws {
        guard let value else { return }
        guard let number = value.number, range.contains(number) else { throw PladmedError.invalidData }
    }

    private static func check(_ value: JSONValue?, integer range: ClosedRange<Int>) throws {
        guard let value else { return }
        guard let integer = value.integer, range.contains(integer) else { throw PladmedError.invalidData }
    }

    private static func check(_ value: JSONValue?, oneOf allowed: Set<String>) throws {
        guard let value else { return }
        guard let text = value.string, allowed.contains(text) else { throw PladmedError.invalidData }
    }
}
