import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWebSocket
import JSONValues
import PladmedCore
import PladmedTestSupport
import SocketIO
import Testing

/// The `socketio-echo` server driven by real python-socketio clients (the 5.0.4 that probes pin, and the
/// current 5.x) and by a raw websocket client checking the protocol's edges.
@Suite("Socket.IO server against python-socketio", .serialized)
struct SocketIOInteropTests {
    /// An echo server on a free port (`socketio-echo`, or python-socketio's with `python: true`), stopped
    /// when released.
    final class EchoServer: @unchecked Sendable {
        let process = Process()
        let port: Int

        /// With `heartbeat` (interval, timeout in ms), `socketio-echo` runs with those instead of 300/200.
        init(python: Bool = false, heartbeat: (Int, Int)? = nil) throws {
            if python {
                process.executableURL = Repository.file(".venv/socketio-current/bin/python")
                process.arguments = [Repository.file("Tests/Helpers/peers/socketio_echo_server.py").path, "0"]
            } else {
                process.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent()
                    .appendingPathComponent("socketio-echo")
                process.arguments = ["--port", "0"] + (heartbeat.map { ["--ping-interval", String($0.0), "--ping-timeout", String($0.1)] } ?? [])
            }
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let port = try output.listeningPort(matching: #"^listening on 127\.0\.0\.1:(\d+)"#, child: "the echo server", drain: false)
            self.port = port
        }

        deinit {
            // Python children started from the test process ignore SIGTERM (as the probe driver notes): kill.
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    static func python(_ venv: String, _ script: String, port: Int, _ extra: [String] = []) async throws -> JSONValue {
        let interpreter = Repository.file(".venv/\(venv)/bin/python")
        guard FileManager.default.isExecutableFile(atPath: interpreter.path) else {
            throw Oracle.Failure(description: "no venv at \(interpreter.path): run `make test` first")
        }
        let run = try await ChildProcess.run(interpreter, [Repository.file("Tests/Helpers/\(script)").path, String(port)] + extra)
        return try JSONValue(parsing: run.output)
    }

    static func json(_ text: String) -> JSONValue { try! JSONValue(parsing: Data(text.utf8)) }

    @Test("events, acks, a 200 KB binary attachment, /custom and refusal, over each transport",
          arguments: ["socketio-5.0.4", "socketio-current"], ["websocket", "polling", "upgrade"])
    func client(venv: String, transport: String) async throws {
        // Heartbeats of 2 s + 2 s: these exchanges are not about heartbeats (the raw and polling tests are), and a
        // Python client on a machine busy with the rest of the suite can answer a ping later than 200 ms.
        let server = try EchoServer(heartbeat: (2000, 2000))
        let result = try await Self.python(venv, "clients/socketio_interop.py", port: server.port, [transport])
        #expect(result["transport"] == .string(transport == "polling" ? "polling" : "websocket"))
        #expect(result["connected"] == Self.json(#"["/","/custom"]"#))
        #expect(result["back"] == Self.json(#"[1,"2",{"3":[true]}]"#))
        #expect(result["ack"] == Self.json(#"[4,"five",{"six":null}]"#))
        #expect(result["binary_equal"] == .bool(true))
        #expect(result["back_custom"] == Self.json("[7]"))
        #expect(result["refused"] == Self.json(#"{"message":"Invalid namespace"}"#))
    }

    @Test("protocol edges over a raw websocket")
    func raw() async throws {
        let server = try EchoServer()
        let result = try await Self.python("socketio-5.0.4", "clients/socketio_raw.py", port: server.port)
        let open = try #require(result["open"]?.string)
        #expect(open.hasPrefix("0{"))
        let handshake = try JSONValue(parsing: Data(open.dropFirst().utf8))
        #expect(handshake["pingInterval"] == .int(300) && handshake["pingTimeout"] == .int(200))
        #expect(handshake["maxPayload"] == .int(1_000_000) && handshake["upgrades"] == .array([]))
        #expect(result["connect"]?.string?.hasPrefix("40{\"sid\":") == true)
        #expect(result["auth_event"] == .string(#"42["auth",{}]"#))
        #expect(result["ack"] == .string(#"431[1,{"a":"b"}]"#))
        #expect(result["event"] == .string(#"42["message-back","x"]"#))
        #expect(result["binary_header"] == .string(#"451-["message-back",{"_placeholder":true,"num":0}]"#))
        #expect(result["binary_attachment"] == Self.json("[0,1,2]"))
        #expect(result["invalid_namespace"] == .string(#"44/random,{"message":"Invalid namespace"}"#))
        #expect(result["pong"] == .string("3probe"))
        for check in ["closes_on_event_before_connect", "closes_on_malformed_packet", "closes_on_empty_event",
                      "closes_on_binary_without_packet", "closes_without_connect", "closes_without_pong", "oversize_close"] {
            #expect(result[check] == .bool(true), "\(check)")
        }
        // pingInterval 300 + pingTimeout 200: the silent client is dropped after about half a second.
        #expect((result["closed_after_ms"]?.integer ?? 0) < 1500)
    }

    @Test("a client that pools connections as Node's agent does meets no closed connection: Connection: close is said when done")
    func connectionClose() async throws {
        let server = try EchoServer()
        let result = try await Self.python("socketio-5.0.4", "clients/http_pooling_client.py", port: server.port, [
            "GET:/socket.io/?EIO=4&transport=polling", "GET:/socket.io/?transport=polling", "PUT:/socket.io/?EIO=4&transport=polling",
            "GET:/engine.io/?EIO=abc&transport=polling", "POST:/engine.io/?EIO=4&transport=polling&sid=unknown", "GET:/nope",
        ])
        #expect(result["failures"] == .array([]), "\(result["failures"] ?? .null)")
        let answers = try #require(result["answers"]?.array)
        #expect(answers.count == 54)
        for answer in answers {
            let asked = answer.array?[2] == .bool(true)
            #expect((answer.array?[4] == .string("close")) == asked, "\(answer)")
        }
    }

    /// Heartbeats of 1.5 s + 1.5 s: the script's multi-step checks (the upgrade, overlapping GETs) must not
    /// meet a ping on a machine busy with the rest of the suite.
    @Test("HTTP long-polling and the upgrade, with the protocol's errors, CORS, limits and heartbeats")
    func polling() async throws {
        let server = try EchoServer(heartbeat: (1500, 1500))
        let result = try await Self.python("socketio-5.0.4", "clients/socketio_polling_raw.py", port: server.port)
        #expect(result["open_status"] == .int(200) && result["open_content_type"] == .string("text/plain; charset=UTF-8"))
        #expect(result["open_cors"] == .string("*"))
        #expect(result["handshake"] == Self.json(#"{"upgrades":["websocket"],"pingInterval":1500,"pingTimeout":1500,"maxPayload":1000000}"#))
        #expect(result["post_connect"] == Self.json(#"{"status":200,"body":"ok"}"#))
        #expect(result["connected"] == .bool(true))
        #expect(result["auth_event"] == .string(#"42["auth",{"token":"t"}]"#))
        #expect(result["event"] == .string(#"42["message-back",1,"two"]"#))
        #expect(result["ack"] == .string(#"431[{"a":[true]}]"#))
        #expect(result["binary_header"] == .string(#"451-["message-back",{"_placeholder":true,"num":0}]"#))
        #expect(result["binary_attachment_equal"] == .bool(true))
        #expect(result["alive_after_heartbeats"] == .bool(true))
        #expect(result["oversize_status"] == .int(413) && result["alive_after_oversize"] == .bool(true))
        let unknownSession = Self.json(#"{"status":400,"body":{"code":1,"message":"Session ID unknown"}}"#)
        let badRequest = Self.json(#"{"status":400,"body":{"code":3,"message":"Bad request"}}"#)
        #expect(result["after_close"] == unknownSession)
        #expect(result["errors"] == Self.json(#"""
            {"no_transport":{"status":400,"body":{"code":0,"message":"Transport unknown"}},
             "bad_transport":{"status":400,"body":{"code":0,"message":"Transport unknown"}},
             "eio3":{"status":400,"body":{"code":5,"message":"Unsupported protocol version"}},
             "no_eio":{"status":400,"body":{"code":5,"message":"Unsupported protocol version"}},
             "post_handshake":{"status":400,"body":{"code":2,"message":"Bad handshake method"}},
             "unknown_sid":{"status":400,"body":{"code":1,"message":"Session ID unknown"}},
             "websocket_without_upgrade":{"status":400,"body":{"code":3,"message":"Bad request"}},
             "put":{"status":400,"body":{"code":3,"message":"Bad request"}}}
            """#))
        #expect(result["preflight"] == Self.json(#"{"status":204,"origin":"*","methods":"GET, POST, OPTIONS","headers":"content-type"}"#))
        #expect(result["invalid_packet"] == badRequest && result["after_invalid"] == unknownSession)
        #expect(result["second_get"] == badRequest && result["first_get"] == .string("1"))
        // pingInterval 1500 + pingTimeout 1500: about three seconds.
        #expect((result["silent_closed_after_ms"]?.integer ?? 0) >= 2900 && (result["silent_closed_after_ms"]?.integer ?? 9999) < 5000)
        #expect(result["probe_answer"] == .string("3probe") && result["released_poll"] == .string("6"))
        #expect(result["upgraded_event"] == .string(#"42["message-back","over websocket"]"#))
        #expect(result["poll_after_upgrade"] == badRequest)
        #expect(result["second_websocket_closed"] == .bool(true))
    }

    /// Our client against the echo handlers in-process, with a 300 ms ping interval but timeouts that a
    /// machine busy with the rest of the suite cannot miss (socketio-echo's 200 ms pong deadline can be).
    @Test("our Swift client: auth payload, events, acks, a 200 KB binary round trip, heartbeats, namespaces, refusal")
    func swiftClient() async throws {
        let server = SocketIOServer(configuration: .init(pingInterval: .milliseconds(300), pingTimeout: .seconds(3), connectTimeout: .seconds(10)))
        server.installEchoHandlers()
        let app = Application(
            router: Router(),
            server: .http1WebSocketUpgrade(configuration: server.webSocketConfiguration, shouldUpgrade: server.shouldUpgrade),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { http in
            try await Self.exerciseClient(url: "http://127.0.0.1:\(http.port!)")
        }
    }

    @Test("our Swift client against python-socketio's server: the same cases, and reconnection")
    func swiftClientAgainstPython() async throws {
        let server = try EchoServer(python: true)
        let url = "http://127.0.0.1:\(server.port)"
        try await Self.exerciseClient(url: url, refusal: .string("Unable to connect"))
        // Dropped by the server, the client comes back with its reconnection policy.
        let client = SocketIOClient(options: .init(url: url, reconnection: ReconnectionPolicy(initialDelay: .milliseconds(50))))
        try await client.connect()
        try await client.emit("kick")
        #expect(await Eventually.passes(within: 20) {
            let reconnections = await client.reconnections, connected = await client.isConnected
            return reconnections == 1 && connected
        })
        #expect(try await client.emitWithAck("message-with-ack", [.string("back")]) == [.string("back")])
        await client.disconnect()
    }

    static func exerciseClient(url: String, refusal: SocketIOValue = .object(["message": .string("Invalid namespace")])) async throws {
        let client = SocketIOClient(options: .init(url: url, auth: .object(["token": .string("abc")])))
        let received = Mutex<[String: [[SocketIOValue]]]>([:])
        for event in ["auth", "message-back"] {
            await client.on(event) { arguments, _ in received.withLock { $0[event, default: []].append(arguments) } }
        }
        let sid = try await client.connect()
        #expect(!sid.isEmpty)
        try await client.emit("message", [.int(1), .string("2"), .object(["3": .array([.bool(true)])])])
        let payload = (0..<204_800).map { UInt8($0 % 256) }
        let acked = try await client.emitWithAck("message-with-ack", [.binary(payload), .string("x")])
        #expect(acked == [.binary(payload), .string("x")])
        // pingInterval 300 ms + pingTimeout 3 s: without pong answers the server would close by 3.3 s.
        try await Task.sleep(for: .milliseconds(3600))
        #expect(await client.isConnected)
        let events = received.withLock { $0 }
        #expect(events["auth"] == [[.object(["token": .string("abc")])]])
        #expect(events["message-back"] == [[.int(1), .string("2"), .object(["3": .array([.bool(true)])])]])
        await client.disconnect()
        #expect(await !client.isConnected)

        let custom = SocketIOClient(options: .init(url: url, namespace: "/custom"))
        try await custom.connect()
        #expect(try await custom.emitWithAck("message-with-ack", [.string("custom")]) == [.string("custom")])
        await custom.disconnect()

        let refused = SocketIOClient(options: .init(url: url, namespace: "/random"))
        await #expect(throws: SocketIOClient.ConnectError.refused(refusal)) {
            try await refused.connect()
        }
    }
}
