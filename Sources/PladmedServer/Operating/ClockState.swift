import CTimex
import Glibc

/// The kernel's view of the system clock's synchronisation (`adjtimex(2)` with no change requested): whether an
/// NTP daemon such as chrony keeps it synchronised, and the error bounds it reports.
public struct ClockState: Sendable, Equatable {
    /// The kernel considers the clock synchronised (`STA_UNSYNC` clear and the state not `TIME_ERROR`).
    public var synchronised: Bool
    /// The estimated error, in seconds.
    public var estimatedError: Double
    /// The maximum error, in seconds.
    public var maximumError: Double

    /// A state with these values.
    public init(synchronised: Bool, estimatedError: Double, maximumError: Double) {
        self.synchronised = synchronised
        self.estimatedError = estimatedError
        self.maximumError = maximumError
    }

    /// The kernel's current state, or `nil` when `adjtimex` fails (it does not in a Linux process or container).
    public static func read() -> ClockState? {
        var state = timex()
        state.modes = 0
        let result = adjtimex(&state)
        guard result >= 0 else { return nil }
        return ClockState(
            synchronised: result != TIME_ERROR && state.status & STA_UNSYNC == 0,
            estimatedError: Double(state.esterror) / 1_000_000,
            maximumError: Double(state.maxerror) / 1_000_000)
    }
}
