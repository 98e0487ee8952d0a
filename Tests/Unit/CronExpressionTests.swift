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
