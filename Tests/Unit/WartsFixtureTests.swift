import Foundation
import JSONValues
import PladmedTestSupport
import Testing
import Warts

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

    @Test("JSON values equal sc_warts2json's, record by record", arguments: names)
    func json(_ name: String) throws {
        let file = WartsFile(decoding: try Data(contentsOf: Self.folder.appendingPathComponent(name + ".warts")))
        let expected = try Self.text(name, ".json").split(separator: "\n").map { line in
            try JSONValue(parsing: Data(line.utf8))
        }
        let actual = file.jsonValues()
        #expect(actual.count == expected.count, "\(name): \(actual.count) records, sc_warts2json printed \(expected.count)")
        for (index, (ours, theirs)) in zip(actual, expected).enumerated() {
            #expect(ours == theirs, "\(name) record \(index)")
        }
    }

    @Test("dump text equals sc_analysis_dump's byte for byte", arguments: names)
    func dump(_ name: String) throws {
        let data = Array(try Data(contentsOf: Self.folder.appendingPathComponent(name + ".warts")))
        let output = ScamperTools.analysisDump([(name + ".warts", data)])
        #expect(output.standardOutput == (try Self.text(name, ".dump")), "\(name)")
        #expect(output.status == Int32(try Self.text(name, ".dump.rc").trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test("sc_warts2json's exit status", arguments: names)
    func jsonStatus(_ name: String) throws {
        let data = Array(try Data(contentsOf: Self.folder.appendingPathComponent(name + ".warts")))
        let output = ScamperTools.warts2json([(name + ".warts", data)])
        #expect(output.status == Int32(try Self.text(name, ".json.rc").trimmingCharacters(in: .whitespacesAndNewlines)))
        let lines = output.standardOutput.split(separator: "\n").map { try? JSONValue(parsing: Data($0.utf8)) }
        #expect(lines == (try Self.text(name, ".json")).split(separator: "\n").map { try? JSONValue(parsing: Data($0.utf8)) })
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
