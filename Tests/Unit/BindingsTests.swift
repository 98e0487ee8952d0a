import Foundation
import JSONValues
import PladmedConformance
import Testing

/// The placeholder language of the collection's examples and the probe sessions.
@Suite("Conformance templates: filling in requests, matching answers")
struct BindingsTests {
    static func json(_ text: String) -> JSONValue { try! JSONValue(parsing: text) }

    @Test("requests get variables' values, strings raw and anything else as JSON")
    func rendering() throws {
        var bindings = Bindings(["email": .string("a@example.com"), "credits": .int(5), "ids": Self.json(#"["x","y"]"#)], seed: 1)
        #expect(try bindings.render(#"{"email": "{{email}}", "credits": {{credits}}, "ids": {{ids}}}"#)
            == #"{"email": "a@example.com", "credits": 5, "ids": ["x","y"]}"#)
        #expect(throws: TemplateError.self) { try bindings.render("{{missing}}") }
        #expect(throws: TemplateError.self) { try bindings.render("{{$objectId}}") }
        #expect(try bindings.render("{{ not a placeholder }} {{}}") == "{{ not a placeholder }} {{}}")
    }

    @Test("{{= expression}} computes from bound numbers, with precedence, in requests and in expectations")
    func expressions() throws {
        var bindings = Bindings(["before": .int(100), "daily": .double(26.5), "name": .string("x")], seed: 1)
        #expect(try bindings.render("{{= before - 2 * daily - 10}}") == "37")
        #expect(try bindings.render("{{= (before - 10) / 4}}") == "22.5")
        #expect(try bindings.render("{{= -before + 1}}") == "-99")
        #expect(bindings.match(Self.json(#"{"credits":"{{= before - 30}}"}"#), Self.json(#"{"credits":70.0}"#)).isEmpty)
        #expect(bindings.match(Self.json(#"{"credits":"{{= 0.1 + 0.2}}"}"#), Self.json(#"{"credits":0.3}"#)).isEmpty)
        #expect(bindings.match(Self.json(#"{"credits":"{{= before - 30}}"}"#), Self.json(#"{"credits":71}"#))
            == ["$.credits: expected 70 ({{= before - 30}}), got 71"])
        #expect(bindings.match(Self.json(#""{{= before}}""#), Self.json(#""100""#)) == ["$: expected 100 ({{= before}}), got \"100\""])
        #expect(bindings.match(Self.json(#""{{= missing + 1}}""#), Self.json("1")).first?.contains("'missing' is not bound") == true)
        #expect(throws: TemplateError.self) { try bindings.render("{{= name + 1}}") }
        #expect(throws: TemplateError.self) { try bindings.render("{{= before / 0}}") }
        #expect(bindings.matchText("left {{= before / 4}} right", "left 25 right").isEmpty)
        // Not expressions: left as literal text.
        #expect(try bindings.render("{{= 1 +}} {{= (1}} {{= 2x}}") == "{{= 1 +}} {{= (1}} {{= 2x}}")
    }

    @Test("fresh GUIDs are valid, bound when named, and fixed by the seed")
    func guids() throws {
        var first = Bindings(seed: 42), second = Bindings(seed: 42), other = Bindings(seed: 43)
        let text = try first.render("{{code=$guid}}")
        #expect(UUID(uuidString: text) != nil)
        #expect(first["code"] == .string(text))
        #expect(try second.render("{{code=$guid}}") == text)
        #expect(try other.render("{{code=$guid}}") != text)
        #expect(try first.render("{{$guid}}") != text)
    }

    @Test("objects must have the same keys unless {{$more}} allows others; arrays the same length")
    func structure() {
        var bindings = Bindings(seed: 1)
        #expect(bindings.match(Self.json(#"{"a":1,"b":[1,2]}"#), Self.json(#"{"b":[1,2],"a":1.0}"#)).isEmpty)
        #expect(bindings.match(Self.json(#"{"a":1}"#), Self.json(#"{"a":1,"b":2}"#)) == ["$.b: unexpected"])
        #expect(bindings.match(Self.json(#"{"a":1,"b":2}"#), Self.json(#"{"a":1}"#)) == ["$.b: missing"])
        #expect(bindings.match(Self.json(#"{"a":1,"{{$more}}":true}"#), Self.json(#"{"a":1,"b":2}"#)).isEmpty)
        #expect(bindings.match(Self.json("[1,2]"), Self.json("[1,2,3]")) == ["$: expected 2 elements, got 3"])
        #expect(bindings.match(Self.json(#"{"a":[{"b":true}]}"#), Self.json(#"{"a":[{"b":1}]}"#)) == ["$.a[0].b: expected true, got 1"])
        #expect(bindings.match(.null, Self.json("{}")) == ["$: expected null, got {}"])
    }

    @Test("kinds accept exactly their values")
    func kinds() {
        var bindings = Bindings(seed: 1)
        let cases: [(String, String, Bool)] = [
            ("objectId", #""6b0bb2407e0df0e690a036bc""#, true), ("objectId", #""6B0BB2407E0DF0E690A036BC""#, false),
            ("objectId", #""6b0bb2407e0df0e690a036b""#, false), ("jwt", #""eyJ0eXAi.eyJpZCI6MX0.sig-_x""#, true),
            ("jwt", #""not.a jwt.x""#, false), ("jwt", #""a.b""#, false), ("integer", "3", true), ("integer", "3.5", false),
            ("number", "3.5", true), ("number", #""3""#, false), ("boolean", "false", true), ("boolean", "0", false),
            ("string", #""""#, true), ("string", "null", false), ("any", "null", true),
            ("guid", #""0f8fad5b-d9cb-469f-a165-70867728950e""#, true), ("guid", #""0f8fad5b""#, false),
        ]
        for (kind, value, accepted) in cases {
            let mismatches = bindings.match(.string("{{$\(kind)}}"), Self.json(value))
            #expect(mismatches.isEmpty == accepted, "\(kind) vs \(value): \(mismatches)")
        }
    }

    @Test("a capture binds the value, with its JSON type, for later comparisons and requests")
    func captures() throws {
        var bindings = Bindings(seed: 1)
        #expect(bindings.match(Self.json(#"{"_id":"{{userId=$objectId}}","credits":"{{paid=$number}}"}"#),
                               Self.json(#"{"_id":"6b0bb2407e0df0e690a036bc","credits":2.5}"#)).isEmpty)
        #expect(bindings["paid"] == .double(2.5))
        #expect(bindings.match(.string("{{userId}}"), .string("6b0bb2407e0df0e690a036bc")).isEmpty)
        #expect(bindings.match(.string("{{userId}}"), .string("6b0bb2407e0df0e690a036bd")).count == 1)
        #expect(bindings.match(.string("{{paid}}"), .string("2.5")).count == 1, "a number is not its text")
        #expect(try bindings.render("/operation?id={{userId}}&x={{paid}}") == "/operation?id=6b0bb2407e0df0e690a036bc&x=2.5")
        #expect(bindings.match(.string("{{never=$objectId}}"), .string("nope")).count == 1)
        #expect(bindings["never"] == nil, "a value of the wrong kind is not bound")
    }

    @Test("placeholders inside text match as patterns; everything else in the text is literal")
    func text() {
        var bindings = Bindings(["op": .string("abc")], seed: 1)
        #expect(bindings.matchText("Operation {{op}} was not given to this probe", "Operation abc was not given to this probe").isEmpty)
        #expect(bindings.matchText("Operation {{op}} was not given", "Operation abd was not given").count == 1)
        #expect(bindings.matchText("application/json{{$any}}", "application/json; charset=utf-8").isEmpty)
        #expect(bindings.matchText("application/json{{$any}}", "text/html").count == 1)
        #expect(bindings.matchText("a.b*(c)", "a.b*(c)").isEmpty)
        #expect(bindings.matchText("a.b*(c)", "axbbb(c)").count == 1, "regex characters are literal")
        #expect(bindings.matchText("took {{seconds=$integer}} s", "took 12 s").isEmpty)
        #expect(bindings["seconds"] == .int(12))
        #expect(bindings.matchText("took {{$integer}} s", "took 1.5 s").count == 1)
        #expect(bindings.matchText("line\n{{$any}}", "line\nand more\nlines").isEmpty, "$any spans lines")
    }

    @Test("frames: the packet prefix as text, the payload structurally")
    func frames() {
        var bindings = Bindings(["op": .string("6b0bb2407e0df0e690a036c4")], seed: 1)
        #expect(bindings.matchFrame(#"431["{{op}}"]"#, #"431["6b0bb2407e0df0e690a036c4"]"#).isEmpty)
        #expect(!bindings.matchFrame(#"431["{{op}}"]"#, #"432["6b0bb2407e0df0e690a036c4"]"#).isEmpty, "another ack id")
        #expect(bindings.matchFrame(#"42["ping",{"credits":1,"_id":"{{job=$objectId}}"}]"#, #"42["ping",{"_id":"6b0bb2407e0df0e690a036c8","credits":1.0}]"#).isEmpty)
        #expect(bindings["job"] == .string("6b0bb2407e0df0e690a036c8"))
        #expect(bindings.matchFrame(#"42["ping",{"credits":1}]"#, #"42["ping",{"credits":2}]"#) == ["$[1].credits: expected 1, got 2"])
        #expect(bindings.matchFrame("40", "40").isEmpty)
        #expect(bindings.matchFrame("41", "40").count == 1)
        #expect(bindings.matchFrame(#"44{"message":"Invalid token"}"#, "44garbage").count == 1)
    }
}
