import Foundation
import Logging
import PladmedCore
@testable import PladmedServer
@testable import SocketIO
import PladmedTestSupport
import Testing

/// The pure parts of operating a server: JSON log lines, request ids, the configuration listing, the drain gate.
@Suite("Operating: logs, ids, configuration, drain gate")
struct OperatingUnitTests {
    @Test("LOG_FORMAT=json writes one object per line with time, level, label, message and nested metadata")
    func jsonLogLine() throws {
        let line = LineLogHandler.jsonLine(
            time: Date(timeIntervalSince1970: 1_800_000_000.25), level: .warning, label: "pladmed", message: "a \"quoted\"\nmessage",
            metadata: ["request_id": "abc", "list": .array(["x", .stringConvertible(3)]), "map": .dictionary(["k": "v"])])
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.dropLast().contains(UInt8(ascii: "\n")) == false)
        let value = try JSONValue(parsing: Data(line))
        #expect(value["time"] == .string("2027-01-15T08:00:00.250Z"))
        #expect(value["level"] == .string("warning") && value["label"] == .string("pladmed"))
        #expect(value["message"] == .string("a \"quoted\"\nmessage"))
        #expect(value["metadata"] == .object([
            "request_id": .string("abc"), "list": .array([.string("x"), .string("3")]), "map": .object(["k": .string("v")]),
        ]))
        #expect(try JSONValue(parsing: Data(LineLogHandler.jsonLine(time: Date(), level: .info, label: "l", message: "m", metadata: [:])))["metadata"] == nil)
    }

    @Test("text lines keep swift-log's StreamLogHandler layout; a warning is written at once with what waited before it")
    func textLinesAndSink() throws {
        let folder = TemporaryDirectory()
        let path = folder.path("log.txt")
        let sink = try LogSink(appendingTo: path)
        var handler = LineLogHandler(label: "pladmed", sinks: [sink], format: .text)
        handler[metadataKey: "b"] = "2"
        handler.log(event: LogEvent(level: .info, message: "hello", metadata: ["a": "1"], source: "Mod", file: #file, function: #function, line: #line))
        handler.log(event: LogEvent(level: .warning, message: "careful", metadata: nil, source: "Mod", file: #file, function: #function, line: #line))
        let written = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(written.count == 2)
        let pattern = #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000 info pladmed: a=1 b=2 \[Mod\] hello$/#
        #expect(written.first?.wholeMatch(of: pattern) != nil, "\(written.first ?? "")")
        #expect(written.last?.hasSuffix(" warning pladmed: b=2 [Mod] careful") == true)
        handler.log(event: LogEvent(level: .debug, message: "quiet", metadata: nil, source: "Mod", file: #file, function: #function, line: #line))
        sink.flush()
        #expect(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count == 3)
    }

    @Test("a client's X-Request-Id is kept only when it is 1 to 128 token characters; durations print as milliseconds")
    func requestIDRule() {
        #expect(AccessLogMiddleware.milliseconds(.microseconds(412)) == "0.412")
        #expect(AccessLogMiddleware.milliseconds(.microseconds(12_005)) == "12.005")
        #expect(AccessLogMiddleware.milliseconds(.seconds(2)) == "2000.000")
        #expect(AccessLogMiddleware.acceptable("abc-DEF_1.2:3") == "abc-DEF_1.2:3")
        #expect(AccessLogMiddleware.acceptable(String(repeating: "a", count: 128)) != nil)
        for refused in ["", String(repeating: "a", count: 129), "a b", "é", "a\nb", "<script>"] {
            #expect(AccessLogMiddleware.acceptable(refused) == nil, "\(refused)")
        }
    }

    @Test("the configuration listing names every setting and shows no secret")
    func listing() throws {
        let secret = "s3cr3t-0123456789abcdef0123456789abcdef"
        let configuration = try ServerConfiguration(environment: [
            "SECRET_KEY": secret, "MONGODB_URI": "mongodb://pladmed:hunter2@db:27017/pladmed", "LOG_FORMAT": "JSON", "PLADMED_DRAIN_TIMEOUT": "2.5",
        ])
        let text = configuration.listing.map { "\($0.name)=\($0.value)" }.joined(separator: "\n")
        #expect(!text.contains(secret) && !text.contains("hunter2"))
        #expect(text.contains("SECRET_KEY=(redacted, \(secret.utf8.count) bytes)"))
        #expect(text.contains("MONGODB_URI=mongodb://pladmed:***@db:27017/pladmed"))
        #expect(text.contains("LOG_FORMAT=json") && text.contains("PLADMED_DRAIN_TIMEOUT=2.5"))
        #expect(Set(configuration.listing.map(\.name)).count == configuration.listing.count)
        #expect(throws: ConfigurationError.self) { try ServerConfiguration(environment: ["LOG_FORMAT": "xml"]) }
        #expect(throws: ConfigurationError.self) { try ServerConfiguration(environment: ["PLADMED_DRAIN_TIMEOUT": "-1"]) }
        #expect(throws: ConfigurationError.self) { try ServerConfiguration(environment: ["PLADMED_DRAIN_TIMEOUT": "nan"]) }
    }

    @Test("the drain gate waits for the handlers in flight, starts no new one, and gives up at its deadline")
    func eventGate() async throws {
        let gate = EventGate()
        #expect(gate.enter())
        #expect(gate.enter())
        let draining = Task { await gate.drain(timeout: .seconds(30)) }
        while gate.enter() { gate.leave(); await Task.yield() }
        gate.leave()
        gate.leave()
        #expect(await draining.value == 0)

        let stuck = EventGate()
        #expect(stuck.enter())
        let start = ContinuousClock.now
        #expect(await stuck.drain(timeout: .milliseconds(100)) == 1)
        #expect(ContinuousClock.now - start >= .milliseconds(100))
        #expect(!stuck.enter())
    }
}
