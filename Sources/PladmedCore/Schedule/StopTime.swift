import Foundation

/// A schedule's end, written `dd/mm/YYYY HH:MM` (Python's `%d/%m/%Y %H:%M`, so one-digit fields are accepted).
public enum StopTime {
    /// The instant `text` names in `timeZone`; `nil` when it is not a valid date in that format.
    public static func parse(_ text: String, in timeZone: TimeZone) -> Date? {
        let halves = text.split(separator: " ", omittingEmptySubsequences: false)
        guard halves.count == 2 else { return nil }
        let date = halves[0].split(separator: "/", omittingEmptySubsequences: false)
        let time = halves[1].split(separator: ":", omittingEmptySubsequences: false)
        guard date.count == 3, time.count == 2,
              let day = number(date[0], digits: 1...2), let month = number(date[1], digits: 1...2),
              let year = number(date[2], digits: 4...4),
              let hour = number(time[0], digits: 1...2), let minute = number(time[1], digits: 1...2),
              (1...12).contains(month), year >= 1, (1...WallClock.daysIn(month: month, year: year)).contains(day),
              (0...23).contains(hour), (0...59).contains(minute)
        else { return nil }
        return Calendar.gregorian(in: timeZone).date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))
    }

    private static func number(_ text: Substring, digits: ClosedRange<Int>) -> Int? {
        guard digits.contains(text.count), text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }
}
