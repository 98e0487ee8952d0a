import Foundation
import JSONValues
import PladmedTestSupport
import Testing

/// The specifications' own compliance suites (`../shared/peers/socketio-protocol-suites`, unmodified, through its
/// `run.sh`) against `socketio-echo`: the engine.io-protocol suite against the bare Engine.IO server at
/// `/engine.io/`, the socket.io-protocol suite against the Socket.IO server at `/socket.io/`, each five times in a
/// row with the suites' own 300/200 ms heartbeats. `make test` runs the live-peer suites after the rest, so that
/// nothing else loads the machine meanwhile.
@Suite("Live peer: the official Engine.IO and Socket.IO protocol suites", .serialized)
struct LivePeerProtocolSuitesTests {
    /// mocha's JSON report of one run: passes, failures, and the titles of the failures.
    static func run(_ suite: String, port: Int) async throws -> (passes: Int, failures: Int, tests: Int, failed: [String]) {
        let script = Repository.root.deletingLastPathComponent().appendingPathComponent("shared/peers/socketio-protocol-suites/run.sh")
        guard FileManager.default.fileExists(atPath: script.path) else {
            throw Oracle.Failure(description: "the protocol suites are not at \(script.path)")
        }
        let output = try await ChildProcess.run(URL(fileURLWithPath: "/bin/sh"), [script.path, suite, String(port), "--reporter", "json"]).output
        // mocha writes its JSON report last; anything the suite logged comes before it.
        let text = String(decoding: output, as: UTF8.self)
        guard let start = text.range(of: "{\n  \"stats\"")?.lowerBound else {
            throw Oracle.Failure(description: "no mocha report from the \(suite) suite: \(text.suffix(2000))")
        }
        let report = try JSONValue(parsing: Data(text[start...].utf8))
        let stats = try #require(report["stats"])
        let failed = (report["failures"]?.array ?? []).compactMap { $0["fullTitle"]?.string }
        return (stats["passes"]?.integer ?? -1, stats["failures"]?.integer ?? -1, stats["tests"]?.integer ?? -1, failed)
    }

    @Test("the engine.io-protocol suite passes 24/24 against the bare Engine.IO server, five times in a row")
    func engineSuite() async throws {
        let server = try SocketIOInteropTests.EchoServer()
        for round in 1...5 {
            let result = try await Self.run("engine", port: server.port)
            #expect(result.passes == 24 && result.failures == 0 && result.tests == 24, "run \(round): \(result)")
        }
    }

    @Test("the socket.io-protocol suite passes 32/32 against the Socket.IO server, five times in a row")
    func socketSuite() async throws {
        let server = try SocketIOInteropTests.EchoServer()
        for round in 1...5 {
            let result = try await Self.run("socket", port: server.port)
            #expect(result.passes == 32 && result.failures == 0 && result.tests == 32, "run \(round): \(result)")
        }
    }
}
