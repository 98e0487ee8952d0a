import Foundation
import PladmedCore
import PladmedTestSupport
import Testing

@Suite("Cron expressions match croniter")
struct CronExpressionTests {
    struct Table: Decodable {
        struct Case: Decodable {
            let expression: String
            let start: String
            let next: [String]?
        }
        let croniter: String
        let cases: [Case]
    }

    static let utc = TimeZone(identifier: "UTC")!

    static func date(_ text: String) -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = utc
        formatter.dateFormat = text.count > 16 ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm"
        return formatter.date(from: text)!
    }

    static let table: Table = {
        let data = try! Data(contentsOf: Repository.file("Fixtures/cron/croniter-table.json"))
        return try! JSONDecoder().decode(Table.self, from: data)
    }()

    @Test("the table covers enough expressions")
    func tableSize() {
        #expect(Set(Self.table.cases.map(\.expression)).count >= 30)
        #expect(Self.table.croniter == "1.0.10")
    }

    @Test("next fire times equal croniter's", arguments: table.cases)
    func nextFireTimes(_ testCase: Table.Case) throws {
        let cron = try CronExpression(testCase.expression)
        var cursor = Self.date(testCase.start)
        guard let expected = testCase.next else {
            #expect(cron.next(after: cursor, in: Self.utc) == nil, "croniter finds no fire time for \(testCase.expression)")
            return
        }
        for fire in expected {
            let next = try #require(cron.next(after: cursor, in: Self.utc), "\(testCase.expression) from \(testCase.start)")
            #expect(next == Self.date(fire), "\(testCase.expression) from \(testCase.start)")
            cursor = next
        }
    }

    @Test("malformed expressions are refused", arguments: [
        "bad cron", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *", "* * * 13 *",
        "* * * * 8", "*/0 * * * *", "5-1 * * * *", "a * * * *", "* * * foo *", "1,,2 * * * *", "", "-1 * * * *",
    ])
    func refused(_ expression: String) {
        #expect(throws: CronError.self) { try CronExpression(expression) }
        #expect(throws: CronError.self) { try CronExpression.parsed(expression) }
    }

    @Test("a kept expression is the one parsed from its text, short or long, in every time zone")
    func kept() throws {
        let long = "0 " + (0..<24).map(String.init).joined(separator: ",") + " 1-31 1-12 " + String(repeating: "1,", count: 60) + "1"
        #expect(long.utf8.count > 128)
        let zone = TimeZone(identifier: "America/Argentina/Buenos_Aires")!
        for text in ["*/5 * * * *", "0 0 13 * fri", long] {
            let parsed = try CronExpression.parsed(text), again = try CronExpression.parsed(text)
            #expect(parsed == (try CronExpression(text)) && again == parsed)
            #expect(parsed.next(after: Self.date("2026-11-29 00:00"), in: zone) == (try CronExpression(text)).next(after: Self.date("2026-11-29 00:00"), in: zone))
        }
        // More texts than are kept: each still parses to its own expression.
        for minute in 0..<300 {
            let text = "\(minute % 60) \(minute / 60) * * *"
            #expect(try CronExpression.parsed(text) == (try CronExpression(text)))
        }
    }

    @Test("day of month and day of week: either matches when both are restricted")
    func dayRule() throws {
        let cron = try CronExpression("0 0 13 * fri")
        // 2026-11-29 is a Sunday; the next Friday is 12-04, the next 13th is 12-13.
        let first = try #require(cron.next(after: Self.date("2026-11-29 00:00"), in: Self.utc))
        #expect(first == Self.date("2026-12-04 00:00"))
    }

    @Test("fire times follow the configured time zone's wall clock")
    func timeZone() throws {
        let zone = TimeZone(identifier: "America/Argentina/Buenos_Aires")!
        let cron = try CronExpression("30 2 * * *")
        let next = try #require(cron.next(after: Self.date("2026-11-29 00:00"), in: zone))
        #expect(next == Self.date("2026-11-29 05:30"))
    }
}

extension CronExpressionTests.Table.Case: CustomTestStringConvertible {
    var testDescription: String { "\(expression) @ \(start)" }
}
