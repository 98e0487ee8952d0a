/// A time or duration in seconds and microseconds, as scamper stores it.
public struct Timeval: Sendable, Equatable, Comparable, Hashable {
    /// Whole seconds.
    public var seconds: UInt32
    /// Microseconds, 0 to 999999 when normalised.
    public var microseconds: UInt32

    /// A timeval.
    public init(seconds: UInt32, microseconds: UInt32) {
        self.seconds = seconds
        self.microseconds = microseconds
    }

    /// Total microseconds.
    public var totalMicroseconds: UInt64 { UInt64(seconds) * 1_000_000 + UInt64(microseconds) }

    public static func < (lhs: Timeval, rhs: Timeval) -> Bool { lhs.totalMicroseconds < rhs.totalMicroseconds }

    /// `%d.%03d` of milliseconds, as scamper prints RTTs (`timeval_tostr_us`, sc_analysis_dump's `rtt_tostr`).
    var milliseconds: String {
        let micros = totalMicroseconds
        let fraction = micros % 1000
        return "\(micros / 1000)." + String(repeating: "0", count: fraction < 10 ? 2 : fraction < 100 ? 1 : 0) + "\(fraction)"
    }
}
