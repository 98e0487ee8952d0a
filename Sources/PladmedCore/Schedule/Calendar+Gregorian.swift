import Foundation

extension Calendar {
    /// The last Gregorian calendar made, kept: making one costs microseconds on every operation's request, which
    /// reads its dates in the server's one time zone.
    private static let keptGregorian = Mutex<Calendar?>(nil)

    /// A Gregorian calendar in `timeZone`.
    static func gregorian(in timeZone: TimeZone) -> Calendar {
        if let kept = keptGregorian.withLock({ $0 }), kept.timeZone == timeZone { return kept }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        keptGregorian.withLock { $0 = calendar }
        return calendar
    }
}
