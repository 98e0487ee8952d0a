import Foundation
import JSONValues
import PladmedTestSupport
import Testing
@testable import Warts

/// Every warts fixture against what scamper's own tools printed for it (Fixtures/warts, from scamper 20211212).
@Suite("Warts decoder against sc_warts2json and sc_analysis_dump")
struct WartsFixtureTests {
    static let folder = Repository.file("Fixtures/warts")

    static let names: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return files.filter { $0.hasSuffix(".warts") }.map { String($0.dropLast(6)) }.sorted()
    }()

    static func text(_ name: String, _ suffix: String) throws -> String {
        try String(contentsOf: folder.appendingPathComponent(name + suffix), encoding: .utf8)
    }

    @Test("the fixture set is complete")
    func fixtureSet() {
        #expect(Self.names.count >= 30)
    }

    @Test("JSON lines equal sc_warts2json's byte for byte", arguments: names)
    func json(_ name: String) throws {
        let file = WartsFile(decoding: try Data(contentsOf: Self.folder.appendingPathComponent(name + ".warts")))
        let printed = try Self.text(name, ".json").split(separator: "\n").map(String.init)
        let lines = file.jsonLines()
        #expect(lines.count == printed.count, "\(name): \(lines.count) lines, sc_warts2json printed \(printed.count)")
        for (index, (ours, theirs)) in zip(lines, printed).enumerated() {
            #expect(ours == theirs, "\(name) line \(index)")
        }
        let values = try printed.map { try JSONValue(parsing: $0) }
        #expect(file.jsonValues() == values)
        #expect(try JSONValue(parsing: file.jsonArrayText()) == .array(values))
    }

    @Test("ftime in a zone east and west of UTC, across a year boundary")
    func ftime() {
        let utc = TimeZone(identifier: "UTC")!
        #expect(Trace.format(seconds: 1_613_529_296, timeZone: utc) == "2021-02-17 02:34:56")
        #expect(Trace.format(seconds: 0, timeZone: utc) == "1970-01-01 00:00:00")
        #expect(Trace.format(seconds: 1_704_067_199, timeZone: utc) == "2023-12-31 23:59:59")
        #expect(Trace.format(seconds: 1_704_067_199, timeZone: TimeZone(secondsFromGMT: 3600)!) == "2024-01-01 00:59:59")
        #expect(Trace.format(seconds: 1_704_070_800, timeZone: TimeZone(secondsFromGMT: -3 * 3600)!) == "2023-12-31 22:00:00")
        #expect(Trace.format(seconds: 1_709_164_800, timeZone: utc) == "2024-02-29 00:00:00")
        #expect(Trace.format(seconds: 4_294_967_295, timeZone: utc) == "2106-02-07 06:28:15")
    }

    @Test("dump text equals sc_analysis_dump's byte for byte", arguments: names)
    func dump(_ name: String) throws {
        let data = Array(try Data(contentsOf: Self.folder.appendingPathComponent(name + ".warts")))
        let output = ScamperTools.analysisDump([(name + ".warts", data)])
        #expect(output.standardOutput == (try Self.text(name, ".dump")), "\(name)")
        #expect(output.status == Int32(try Self.text(name, ".dump.rc").trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test("pladmed warts2json prints what sc_warts2json printed, byte for byte, with its exit status", arguments: names)
    func jsonStatus(_ name: String) throws {
        let data = Array(try Data(contentsOf: Self.folder.appendingPathComponent(name + ".warts")))
        let output = ScamperTools.warts2json([(name + ".warts", data)])
        #expect(output.status == Int32(try Self.text(name, ".json.rc").trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(output.standardOutput == (try Self.text(name, ".json")), "\(name)")
    }

    @Test("edge cases: empty input, truncation, garbage")
    func edges() throws {
        let empty = WartsFile(decoding: [UInt8]())
        #expect(empty.records.isEmpty && empty.error == nil)
        let truncated = WartsFile(decoding: try Data(contentsOf: Self.folder.appendingPathComponent("edge-truncated.warts")))
        #expect(truncated.jsonValues().count == 2)
        guard case .truncated = truncated.error else {
            Issue.record("expected a truncation error, got \(String(describing: truncated.error))")
            return
        }
        let garbage = WartsFile(decoding: Array("hello, this is not warts".utf8))
        #expect(garbage.records.isEmpty)
        #expect(garbage.error == .badMagic(offset: 0, found: 0x6865))
    }
}
