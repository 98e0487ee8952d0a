import Foundation
import JSONValues

/// The outcome of a conformance run: suites of cases, each passed, failed (with what was sent, expected and
/// received) or skipped. Rendered as JUnit XML (``junitXML()``) or JSON (``json()``).
public struct ConformanceReport: Sendable, Equatable {
    /// How one case ended.
    public enum Outcome: Sendable, Equatable {
        case passed
        /// `message` in a line; `request`, `expected` and `actual` in full.
        case failed(message: String, request: String, expected: String, actual: String)
        case skipped(reason: String)
    }

    /// One check: a request of the collection, or a step of a probe session.
    public struct Case: Sendable, Equatable {
        public var name: String
        /// Tags such as `original-only`, `strict-only`, `probe`, selecting and describing the case.
        public var tags: [String]
        public var seconds: Double
        public var outcome: Outcome

        public init(name: String, tags: [String] = [], seconds: Double, outcome: Outcome) {
            self.name = name
            self.tags = tags
            self.seconds = seconds
            self.outcome = outcome
        }
    }

    /// Cases that belong together (the collection's folders, the probe sessions).
    public struct Suite: Sendable, Equatable {
        public var name: String
        public var cases: [Case]

        public init(name: String, cases: [Case]) {
            self.name = name
            self.cases = cases
        }

        var failures: Int { cases.filter { if case .failed = $0.outcome { true } else { false } }.count }
        var skips: Int { cases.filter { if case .skipped = $0.outcome { true } else { false } }.count }
        var seconds: Double { cases.reduce(0) { $0 + $1.seconds } }
    }

    /// The report's name (`pladmed-conformance`), the backend it judged, the profile it judged by.
    public var name: String
    public var target: String
    public var profile: String
    public var suites: [Suite]

    public init(name: String = "pladmed-conformance", target: String, profile: String, suites: [Suite]) {
        self.name = name
        self.target = target
        self.profile = profile
        self.suites = suites
    }

    /// Whether every case that ran passed (the CLI's exit status 0).
    public var passed: Bool { suites.allSatisfy { $0.failures == 0 } }

    // MARK: JUnit XML

    /// JUnit XML in the shape CI systems read: `testsuites` > `testsuite` > `testcase`, with `failure` or
    /// `skipped` children; counts and times (seconds) as attributes; tags as `properties`.
    public func junitXML() -> String {
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        let cases = suites.flatMap(\.cases)
        xml += "<testsuites name=\"\(Self.escape(name))\" tests=\"\(cases.count)\" failures=\"\(suites.reduce(0) { $0 + $1.failures })\""
            + " errors=\"0\" skipped=\"\(suites.reduce(0) { $0 + $1.skips })\" time=\"\(Self.seconds(suites.reduce(0) { $0 + $1.seconds }))\">\n"
        for suite in suites {
            xml += "  <testsuite name=\"\(Self.escape(suite.name))\" tests=\"\(suite.cases.count)\" failures=\"\(suite.failures)\""
                + " errors=\"0\" skipped=\"\(suite.skips)\" time=\"\(Self.seconds(suite.seconds))\">\n"
            xml += "    <properties>\n"
            xml += "      <property name=\"target\" value=\"\(Self.escape(target))\"/>\n"
            xml += "      <property name=\"profile\" value=\"\(Self.escape(profile))\"/>\n"
            xml += "    </properties>\n"
            for testCase in suite.cases {
                let opening = "    <testcase name=\"\(Self.escape(testCase.name))\" classname=\"\(Self.escape(suite.name))\" time=\"\(Self.seconds(testCase.seconds))\""
                switch testCase.outcome {
                case .passed:
                    xml += opening + "/>\n"
                case .skipped(let reason):
                    xml += opening + ">\n      <skipped message=\"\(Self.escape(reason))\"/>\n    </testcase>\n"
                case .failed(let message, let request, let expected, let actual):
                    let detail = "request:\n\(request)\n\nexpected:\n\(expected)\n\nactual:\n\(actual)"
                    xml += opening + ">\n      <failure message=\"\(Self.escape(message))\" type=\"mismatch\">\(Self.escape(detail))</failure>\n    </testcase>\n"
                }
            }
            xml += "  </testsuite>\n"
        }
        return xml + "</testsuites>\n"
    }

    /// Text for XML 1.0: markup characters escaped; control characters it cannot carry written as `\u{..}`.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value):
                out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func seconds(_ value: Double) -> String { String(format: "%.3f", value) }

    // MARK: JSON

    /// The JSON report (documented in `docs/endpoints/CONFORMANCE.md`):
    /// `{"name","target","profile","passed","counts":{"tests","failures","skipped"},"suites":[{"name","cases":[{"name","tags","seconds","outcome", ...}]}]}`
    /// where `outcome` is `passed`, `failed` (with `message`, `request`, `expected`, `actual`) or `skipped` (with `reason`).
    public func json() -> JSONValue {
        let cases = suites.flatMap(\.cases)
        return .object([
            "name": .string(name), "target": .string(target), "profile": .string(profile), "passed": .bool(passed),
            "counts": .object([
                "tests": .int(cases.count), "failures": .int(suites.reduce(0) { $0 + $1.failures }),
                "skipped": .int(suites.reduce(0) { $0 + $1.skips }),
            ]),
            "suites": .array(suites.map { suite in
                .object(["name": .string(suite.name), "cases": .array(suite.cases.map(Self.json))])
            }),
        ])
    }

    static func json(_ testCase: Case) -> JSONValue {
        var members: [String: JSONValue] = [
            "name": .string(testCase.name), "tags": .array(testCase.tags.map(JSONValue.string)),
            "seconds": .double((testCase.seconds * 1000).rounded() / 1000),
        ]
        switch testCase.outcome {
        case .passed:
            members["outcome"] = .string("passed")
        case .skipped(let reason):
            members["outcome"] = .string("skipped")
            members["reason"] = .string(reason)
        case .failed(let message, let request, let expected, let actual):
            members["outcome"] = .string("failed")
            members["message"] = .string(message)
            members["request"] = .string(request)
            members["expected"] = .string(expected)
            members["actual"] = .string(actual)
        }
        return .object(members)
    }
}
