import Foundation

/// A standard 5-field cron expression (minute, hour, day of month, month, day of week) whose fire times
/// are croniter's, the library the original used to charge for operations: lists, ranges, steps (`*/n`,
/// `a-b/n`, `a/n`), month and day names, `7` as Sunday, and croniter's day rule (when both day fields are
/// restricted, a day matches either; a field listing every value counts as unrestricted).
///
/// ``next(after:in:)`` is a port of croniter 1.0.10's search, quirks included: it steps field by field to
/// the nearest allowed value, and a day-of-month step aims at the listed day even when the current month is
/// shorter, landing in the next month (`20 4 */10 * *` after 2024-02-28 fires on 03-11, not 03-01).
public struct CronExpression: Sendable, Equatable {
    let minutes: [Int], hours: [Int], daysOfMonth: [Int], months: [Int], daysOfWeek: [Int]
    /// croniter's `*`: a day field that lists every value does not restrict.
    let anyDayOfMonth: Bool, anyDayOfWeek: Bool

    /// Parses `text`; throws ``CronError`` for anything croniter would not accept.
    public init(_ text: String) throws {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else { throw CronError(text, "expected 5 fields, found \(fields.count)") }
        minutes = try Self.parse(fields[0], CronField.minute, text).sorted()
        hours = try Self.parse(fields[1], CronField.hour, text).sorted()
        daysOfMonth = try Self.parse(fields[2], CronField.dayOfMonth, text).sorted()
        months = try Self.parse(fields[3], CronField.month, text).sorted()
        daysOfWeek = Set(try Self.parse(fields[4], CronField.dayOfWeek, text).map { $0 % 7 }).sorted()
        anyDayOfMonth = daysOfMonth.count == 31
        anyDayOfWeek = daysOfWeek.count == 7
    }

    /// The first fire time strictly after `date`, in `timeZone`'s wall-clock time; `nil` when the expression
    /// does not fire within 50 years (such as `0 0 31 2 *`), where croniter gives up too.
    public func next(after date: Date, in timeZone: TimeZone) -> Date? {
        let calendar = Calendar.gregorian(in: timeZone)
        let start = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        var cursor = WallClock(year: start.year!, month: start.month!, day: start.day!, hour: start.hour!, minute: start.minute!)
        cursor.add(minutes: 1)
        let fire: WallClock?
        if !anyDayOfMonth && !anyDayOfWeek {
            let byMonthDay = search(from: cursor, useDayOfMonth: true, useDayOfWeek: false)
            let byWeekDay = search(from: cursor, useDayOfMonth: false, useDayOfWeek: true)
            fire = [byMonthDay, byWeekDay].compactMap { $0 }.min()
        } else {
            fire = search(from: cursor, useDayOfMonth: !anyDayOfMonth, useDayOfWeek: !anyDayOfWeek)
        }
        guard let fire else { return nil }
        return calendar.date(from: DateComponents(
            year: fire.year, month: fire.month, day: fire.day, hour: fire.hour, minute: fire.minute))
    }

    /// croniter's `_calc`: fix the first field that does not match by jumping to its nearest allowed value,
    /// then start over.
    private func search(from start: WallClock, useDayOfMonth: Bool, useDayOfWeek: Bool) -> WallClock? {
        var time = start
        while abs(time.year - start.year) <= 50 {
            if let diff = Self.nearestDiff(time.month, months, 12), diff != 0 {
                time.add(months: diff)
                continue
            }
            if useDayOfMonth,
               let diff = Self.nearestDiff(time.day, daysOfMonth, WallClock.daysIn(month: time.month, year: time.year)), diff != 0 {
                time.add(days: diff)
                continue
            }
            if useDayOfWeek, let diff = Self.nearestDiff(time.dayOfWeek, daysOfWeek, 7), diff != 0 {
                time.add(days: diff)
                continue
            }
            if let diff = Self.nearestDiff(time.hour, hours, 24), diff != 0 {
                time.add(hours: diff)
                continue
            }
            if let diff = Self.nearestDiff(time.minute, minutes, 60), diff != 0 {
                time.add(minutes: diff)
                continue
            }
            return time
        }
        return nil
    }

    /// croniter's `_get_next_nearest_diff`: the distance to the first allowed value at or after `value`,
    /// else to the first allowed value of the next cycle of length `range`.
    static func nearestDiff(_ value: Int, _ allowed: [Int], _ range: Int) -> Int? {
        guard let first = allowed.first else { return nil }
        return allowed.first(where: { $0 >= value }).map { $0 - value } ?? first - value + range
    }

    static func parse(_ field: String, _ spec: CronField, _ text: String) throws -> Set<Int> {
        var values = Set<Int>()
        for part in field.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2, let rangeText = pieces.first, !rangeText.isEmpty else {
                throw CronError(text, "bad field '\(field)'")
            }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0 else { throw CronError(text, "bad step in '\(field)'") }
                step = parsed
            }
            let low: Int, high: Int
            if rangeText == "*" {
                (low, high) = (spec.range.lowerBound, spec.range.upperBound)
            } else if let dash = rangeText.firstIndex(of: "-") {
                guard let a = spec.value(rangeText[..<dash]), let b = spec.value(rangeText[rangeText.index(after: dash)...]),
                      a <= b
                else { throw CronError(text, "bad range '\(rangeText)'") }
                (low, high) = (a, b)
            } else {
                guard let a = spec.value(rangeText) else { throw CronError(text, "bad value '\(rangeText)'") }
                (low, high) = (a, pieces.count == 2 ? spec.range.upperBound : a)
            }
            values.formUnion(stride(from: low, through: high, by: step))
        }
        return values
    }
}

/// Why a cron expression was refused.
public struct CronError: Error, Equatable, CustomStringConvertible {
    /// The expression and the reason.
    public let description: String

    init(_ text: String, _ reason: String) {
        description = "invalid cron expression '\(text)': \(reason)"
    }
}

/// The bounds and names of one cron field.
struct CronField {
    let range: ClosedRange<Int>
    let names: [String: Int]

    static let minute = CronField(range: 0...59, names: [:])
    static let hour = CronField(range: 0...23, names: [:])
    static let dayOfMonth = CronField(range: 1...31, names: [:])
    static let month = CronField(range: 1...12, names: Dictionary(uniqueKeysWithValues:
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].enumerated().map { ($1, $0 + 1) }))
    static let dayOfWeek = CronField(range: 0...7, names: Dictionary(uniqueKeysWithValues:
        ["sun", "mon", "tue", "wed", "thu", "fri", "sat"].enumerated().map { ($1, $0) }))

    func value(_ text: Substring) -> Int? {
        if let number = Int(text), text.allSatisfy(\.isNumber) {
            return range.contains(number) ? number : nil
        }
        return names[text.lowercased()]
    }
}

/// Broken-down local time that cron steps through (naive wall-clock arithmetic, as croniter's).
struct WallClock: Comparable {
    var year, month, day, hour, minute: Int

    static func < (lhs: WallClock, rhs: WallClock) -> Bool {
        (lhs.year, lhs.month, lhs.day, lhs.hour, lhs.minute) < (rhs.year, rhs.month, rhs.day, rhs.hour, rhs.minute)
    }

    /// 0 = Sunday.
    var dayOfWeek: Int {
        ((Self.daysSinceEpoch(year: year, month: month, day: day) % 7) + 7 + 4) % 7
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// `relativedelta(months=n, day=1, hour=0, minute=0)`.
    mutating func add(months count: Int) {
        let total = year * 12 + (month - 1) + count
        (year, month, day, hour, minute) = (total / 12, total % 12 + 1, 1, 0, 0)
    }

    /// `relativedelta(days=n, hour=0, minute=0)`.
    mutating func add(days count: Int) {
        // Howard Hinnant's `civil_from_days`.
        let z = Self.daysSinceEpoch(year: year, month: month, day: day) + count + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        (hour, minute) = (0, 0)
    }

    /// `relativedelta(hours=n, minute=0)`.
    mutating func add(hours count: Int) {
        let total = hour + count
        let keptDay = (year, month, day)
        add(days: total / 24)
        if total / 24 == 0 { (year, month, day) = keptDay }
        (hour, minute) = (total % 24, 0)
    }

    /// `relativedelta(minutes=n)`.
    mutating func add(minutes count: Int) {
        let total = minute + count
        let keptHour = hour
        if total / 60 > 0 {
            add(hours: total / 60)
            hour = (keptHour + total / 60) % 24
        }
        minute = total % 60
    }
}
