import Foundation
import JSONValues
import PladmedConformance
import PladmedTestSupport
import Testing

/// The conformance suite's reports: JUnit XML read back by Python's XML parser in the shape CI systems expect,
/// and the documented JSON.
@Suite("Conformance reports")
struct ConformanceReportTests {
    static let awkward = "POST /probes & <friends> \"quoted\" 'single' é😀 \u{1}bell"

    static let report = ConformanceReport(target: "http://127.0.0.1:5000", profile: "strict", suites: [
        .init(name: "rest", cases: [
            .init(name: "register", tags: ["rest"], seconds: 0.0123, outcome: .passed),
            .init(name: awkward, tags: ["rest", "strict-only"], seconds: 0.5, outcome: .failed(
                message: "status 401, expected 400", request: "POST /traceroute\n{\"probes\": []}",
                expected: "400 {\"Error\": \"Invalid data provided\"}", actual: "401 {\"Error\": \"<html>\"}")),
        ]),
        .init(name: "probe sessions", cases: [
            .init(name: "duplicate upload", tags: ["probe"], seconds: 1, outcome: .skipped(reason: "--skip probe")),
        ]),
    ])

    @Test("JUnit XML has the testsuites/testsuite/testcase/failure shape, counts that add up, and every text intact")
    func junit() async throws {
        let folder = TemporaryDirectory()
        let file = folder.url.appendingPathComponent("report.xml")
        try Data(Self.report.junitXML().utf8).write(to: file)
        let read = try JSONValue(parsing: try await Oracle.run("oracles/junit_check.py", [file.path]))
        #expect(read["valid"] == .bool(true), "\(read)")
        let rest = try #require(read["suites"]?.array?.first?["cases"]?.array)
        #expect(rest.map { $0["outcome"] } == [.string("passed"), .string("failed")])
        #expect(rest[1]["name"] == .string(Self.awkward.replacingOccurrences(of: "\u{1}", with: "\\u{1}")))
        #expect(rest[1]["message"] == .string("status 401, expected 400"))
        let text = try #require(rest[1]["text"]?.string)
        #expect(text.contains("request:\nPOST /traceroute") && text.contains("expected:\n400") && text.contains("actual:\n401 {\"Error\": \"<html>\"}"))
        #expect(read["suites"]?.array?.last?["cases"]?.array?.first?["outcome"] == .string("skipped"))
    }

    @Test("the JSON report carries the documented fields, and only a run without failures passes")
    func json() throws {
        let json = Self.report.json()
        #expect(json["passed"] == .bool(false) && json["profile"] == .string("strict"))
        #expect(json["counts"] == .object(["tests": .int(3), "failures": .int(1), "skipped": .int(1)]))
        let failed = try #require(json["suites"]?.array?.first?["cases"]?.array?.last)
        #expect(failed["outcome"] == .string("failed") && failed["tags"] == .array([.string("rest"), .string("strict-only")]))
        #expect(failed["expected"] == .string("400 {\"Error\": \"Invalid data provided\"}") && failed["seconds"] == .double(0.5))
        #expect(try JSONValue(parsing: json.serialized()) == json)
        var fixed = Self.report
        fixed.suites[0].cases[1].outcome = .passed
        #expect(fixed.passed && fixed.json()["passed"] == .bool(true))
    }
}
