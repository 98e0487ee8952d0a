import Foundation

/// A standard 5-field cron expression (minute, hour, day of month, month, day of week) whose fire times
/// match croniter's, the library the original used: lists, ranges, steps (`*/n`, `a-b/n`, `a/n`), month and
/// day names, `7` as Sunday, and croniter's day rule (when both day fields are restricted, a day matches
/// either; otherwise the restricted one decides; a field listing every value counts as unrestricted).
public struct CronExpression: Sendable, Equatable {
    /// The allowed minutes, hours, days of month, months and days of week (0 = Sunday).
    public let minutes: Set<Int>, hours: Set<Int>, daysOfMonth: Set<Int>, months: Set<Int>, daysOfWeek: Set<Int>
    /// Whether the day-of-month field is `*` (unrestricted), and the same for day of week.
    let anyDayOfMonth: Bool, anyDayOfWeek: Bool

    /// Parses `text`; throws ``CronError`` for anything croniter would not accept.
    public init(_ text: String) throws {
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else { throw CronError(text, "expected 5 fields, found \(fields.count)") }
        minutes = try Self.parse(fields[0], CronField.minute, text)
        hours = try Self.parse(fields[1], CronField.hour, text)
        daysOfMonth = try Self.parse(fields[2], CronField.dayOfMonth, text)
        months = try Self.parse(fields[3], CronField.month, text)
        daysOfWeek = Set(try Self.parse(fields[4], CronField.dayOfWeek, text).map { $0 % 7 })
        // croniter treats a field that lists every value as `*`.
        anyDayOfMonth = daysOfMonth.count == 31
        anyDayOfWeek = daysOfWeek.count == 7
    }

    /// The first fire time strictly after `date`, in `timeZone`'s wall-clock time; `nil` when the expression
    /// never fires in the next ten years (such as `0 0 31 2 *`).
    public func next(after date: Date, in timeZone: TimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let start = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        var cursor = WallClock(year: start.year!, month: start.month!, day: start.day!, hour: start.hour!, minute: start.minute!)
        cursor.advanceMinute()
        let limitYear = cursor.year + 10
        while cursor.year <= limitYear {
            if !months.contains(cursor.month) {
                cursor.advanceMonth()
                continue
            }
            if !matchesDay(cursor) {
                cursor.advanceDay()
                continue
            }
            if !hours.contains(cursor.hour) {
                cursor.advanceHour()
                continue
            }
            if !minutes.contains(cursor.minute) {
                cursor.advanceMinute()
                continue
            }
            let components = DateComponents(
                year: cursor.year, month: cursor.month, day: cursor.day, hour: cursor.hour, minute: cursor.minute)
            guard let fire = calendar.date(from: components), fire > date else {
                cursor.advanceMinute()
                continue
            }
            return fire
        }
        return nil
    }

    func matchesDay(_ time: WallClock) -> Bool {
        let dom = daysOfMonth.contains(time.day)
        let dow = daysOfWeek.contains(time.dayOfWeek)
        switch (anyDayOfMonth, anyDayOfWeek) {
        case (true, true): return true
        case (false, true): return dom
        case (true, false): return dow
        case (false, false): return dom || dow
        }
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

/// Broken-down local time that cron steps through.
struct WallClock {
    var year, month, day, hour, minute: Int

    var dayOfWeek: Int {
        // Days since 1970-01-01 (a Thursday), from Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146097 + doe - 719468
        return ((days % 7) + 7 + 4) % 7
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    mutating func advanceMonth() {
        (day, hour, minute) = (1, 0, 0)
        month += 1
        if month > 12 { (month, year) = (1, year + 1) }
    }

    mutating func advanceDay() {
        (hour, minute) = (0, 0)
        day += 1
        if day > Self.daysIn(month: month, year: year) {
            day = 1
            month += 1
            if month > 12 { (month, year) = (1, year + 1) }
        }
    }

    mutating func advanceHour() {
        minute = 0
        hour += 1
        if hour > 23 { advanceDay() }
    }

    mutating func advanceMinute() {
        minute += 1
        if minute > 59 { advanceHour() }
    }
}
