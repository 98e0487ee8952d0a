import Foundation
import JSONValues
import PladmedConformance
import PladmedTestSupport
import Testing

@Suite("JSON values")
struct JSONValueTests {
    @Test("numbers compare as JSON numbers, whatever their spelling")
    func numbers() throws {
        #expect(JSONValue.int(0) == .double(0))
        #expect(try JSONValue(parsing: Data("0.000".utf8)) == .double(0))
        #expect(try JSONValue(parsing: Data("[1, 2.5]".utf8)) == .array([.double(1), .double(2.5)]))
        #expect(JSONValue.int(1) != .double(1.5))
        #expect(JSONValue.bool(true) != .int(1))
        #expect(Set([JSONValue.int(3), .double(3)]).count == 1)
    }

    @Test("numbers with an Int's value become integers, as JSONDecoder reads them into Int; others stay as they are")
    func integralNumbers() throws {
        let value = try JSONValue(parsing: #"{"a":1.0,"b":[1e3,-0.0,2.5,1e19,-9.2e18,"1.0"],"c":{"d":100.0e0},"e":null,"f":7}"#)
        let normalized = value.integralNumbersAsIntegers
        func isInt(_ value: JSONValue?, _ expected: Int) -> Bool { if case .int(expected)? = value { true } else { false } }
        #expect(isInt(normalized["a"], 1) && isInt(normalized["c"]?["d"], 100) && isInt(normalized["f"], 7))
        let list = try #require(normalized["b"]?.array)
        #expect(isInt(list[0], 1000) && isInt(list[1], 0) && isInt(list[4], -9_200_000_000_000_000_000))
        if case .double(2.5) = list[2] {} else { Issue.record("2.5 changed: \(list[2])") }
        if case .double(1e19) = list[3] {} else { Issue.record("1e19 (beyond Int) changed: \(list[3])") }
        #expect(list[5] == .string("1.0") && normalized["e"] == .null)
        // Written as integers are: `-9.2e18` was read into `Int` by the generated decoding, so it was stored so.
        #expect(try normalized.serializedText().contains("-9200000000000000000"))
    }

    @Test("text parses alike from a string and from raw bytes")
    func rawBytes() throws {
        let text = #"{"k":["v",1,2.5,true,null]}"#
        let fromBytes = try Array(text.utf8).withUnsafeBytes { try JSONValue(parsing: $0) }
        #expect(fromBytes == (try JSONValue(parsing: text)))
        #expect(throws: JSONParseError.self) { try Array("{".utf8).withUnsafeBytes { try JSONValue(parsing: $0) } }
    }

    @Test("parsing keeps integers as integers and reads every escape")
    func parsing() throws {
        let text = #" { "a" : [ -0, 12, -3.5e2, 1E+2, 9223372036854775807, 9223372036854775808 ], "s": "\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00é", "n": null, "t": true, "f": false, "e": {} } "#
        let value = try JSONValue(parsing: text)
        #expect(value["a"] == .array([.int(0), .int(12), .double(-350), .double(100), .int(Int.max), .double(9223372036854775808)]))
        if case .int = value["a"]?.array?[1] {} else { Issue.record("12 should parse as an integer") }
        #expect(value["s"] == .string("\"\\/\u{8}\u{c}\n\r\té😀é"))
        #expect(value["n"] == .null && value["t"] == .bool(true) && value["f"] == .bool(false) && value["e"] == .object([:]))
    }

    @Test("malformed text is refused with the offset", arguments: [
        "", " ", "[", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "{a:1}", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul",
        "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00x\"", "\"a\u{1}b\"", "[1] 2", "NaN", "1e400", "[\"\\", "{\"a\"",
    ])
    func malformed(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
    }

    @Test("invalid UTF-8 and runaway nesting are refused")
    func hostile() {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: Data([0x22, 0xFF, 0xFE, 0x22])) }
        let deep = String(repeating: "[", count: JSONValue.maximumDepth + 1) + String(repeating: "]", count: JSONValue.maximumDepth + 1)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: deep) }
        let allowed = String(repeating: "[", count: JSONValue.maximumDepth) + String(repeating: "]", count: JSONValue.maximumDepth)
        #expect(throws: Never.self) { try JSONValue(parsing: allowed) }
    }

    @Test("serialization is compact, key-sorted, and escapes only what JSON requires")
    func serialization() throws {
        let value = JSONValue.object([
            "b": .array([.int(-1), .double(135), .double(0.5), .double(1e-7), .null, .bool(true)]),
            "a": .string("q\"b\\s/\n\u{1}é"),
        ])
        #expect(try value.serializedText() == #"{"a":"q\"b\\s/\n\u0001é","b":[-1,135,0.5,1e-07,null,true]}"#)
        #expect(throws: EncodingError.self) { try JSONValue.double(.infinity).serialized() }
    }

    @Test("10,000 random values survive our writer, and Python's json module reads our text as we do")
    func roundTrip() async throws {
        var generator = SeededGenerator(seed: 7)
        let values = (0..<10_000).map { _ in Self.random(depth: 0, using: &generator) }
        let lines = try values.map { value in
            let text = try value.serializedText()
            #expect(try JSONValue(parsing: text) == value)
            return text
        }
        let folder = TemporaryDirectory()
        let file = folder.url.appendingPathComponent("values.jsonl")
        try Data(lines.joined(separator: "\n").utf8).write(to: file)
        let python = try await Oracle.run("oracles/json_oracle.py", [file.path]).split(separator: "\n")
        #expect(python.count == values.count)
        for (line, value) in zip(python, values) {
            #expect(try JSONValue(parsing: line) == value)
        }
    }

    static func random(depth: Int, using generator: inout SeededGenerator) -> JSONValue {
        switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &generator) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .int(Int.random(in: -1_000_000_000...1_000_000_000, using: &generator))
        case 3: return .double(Double.random(in: -1e6...1e6, using: &generator))
        case 4:
            let scalars = (0..<Int.random(in: 0..<12, using: &generator)).map { _ in
                Character(Unicode.Scalar([0x1, 0x22, 0x5C, 0x2F, 0x41, 0x7A, 0xE9, 0x4E2D, 0x1F600][Int.random(in: 0..<9, using: &generator)])!)
            }
            return .string(String(scalars))
        case 5: return .array((0..<Int.random(in: 0..<5, using: &generator)).map { _ in random(depth: depth + 1, using: &generator) })
        default:
            var members: [String: JSONValue] = [:]
            for index in 0..<Int.random(in: 0..<5, using: &generator) { members["k\(index)\(Int.random(in: 0..<9, using: &generator))"] = random(depth: depth + 1, using: &generator) }
            return .object(members)
        }
    }
}
