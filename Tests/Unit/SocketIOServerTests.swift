import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWebSocket
import JSONValues
import NIOCore
import PladmedCore
import PladmedTestSupport
import SocketIO
import Testing

/// The server's rooms, broadcast and limits, and the client's reconnection, in-process over real sockets.
@Suite("Socket.IO rooms, limits and reconnection")
struct SocketIOServerTests {
    /// A server with test handlers: `join` (room, acked), `shout` (to a room, or everyone but the sender),
    /// `kick` (the server closes the connection), `flood` (ten 50 kB events), `echo` (acked).
    static func withServer(
        _ configuration: SocketIOServer.Configuration = .init(pingInterval: .seconds(1), pingTimeout: .seconds(5)),
        _ body: @escaping @Sendable (SocketIOServer, any TestClientProtocol, String) async throws -> Void
    ) async throws {
        let server = SocketIOServer(configuration: configuration)
        let namespace = server.namespace("/")
        namespace.on("join") { socket, arguments, ack in
            if let room = arguments.first?.string { socket.join(room) }
            await ack?([.array(socket.rooms.sorted().map(SocketIOValue.string))])
        }
        namespace.on("shout") { socket, arguments, _ in
            await namespace.emit("shouted", arguments, to: arguments.last?.string, except: arguments.last == nil ? socket : nil)
        }
        namespace.on("kick") { socket, _, _ in await socket.close() }
        namespace.on("flood") { socket, _, _ in
            for _ in 0..<10 { await socket.emit("flood", [.string(String(repeating: "x", count: 50_000))]) }
        }
        namespace.on("echo") { _, arguments, ack in await ack?(arguments) }
        namespace.on("ignore") { _, _, _ in }
        // Asks the client back with an ack (waiting the milliseconds of the last argument), and answers with
        // the client's answer or the error.
        namespace.on("ask-me") { socket, arguments, ack in
            do {
                let wait = Duration.milliseconds(Int(arguments.last?.number ?? 0))
                await ack?(try await socket.emitWithAck("question", Array(arguments.dropLast()), timeout: wait))
            } catch {
                await ack?([.string("\(error)")])
            }
        }
        let router = Router()
        router.add(middleware: server.middleware())
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(configuration: server.webSocketConfiguration, shouldUpgrade: server.shouldUpgrade),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            try await body(server, client, "http://127.0.0.1:\(client.port!)")
        }
    }

    static func connectedClient(_ url: String, reconnection: ReconnectionPolicy? = nil) async throws -> (SocketIOClient, Mutex<[[SocketIOValue]]>) {
        let client = SocketIOClient(options: .init(url: url, reconnection: reconnection))
        let heard = Mutex<[[SocketIOValue]]>([])
        await client.on("shouted") { arguments, _ in heard.withLock { $0.append(arguments) } }
        try await client.connect()
        return (client, heard)
    }

    @Test("rooms: emits reach the room's sockets only; broadcasts reach everyone but the sender; rooms are left on disconnect")
    func rooms() async throws {
        try await Self.withServer { server, _, url in
            let (alice, aliceHeard) = try await Self.connectedClient(url)
            let (bob, bobHeard) = try await Self.connectedClient(url)
            let (carol, carolHeard) = try await Self.connectedClient(url)
            #expect(try await alice.emitWithAck("join", [.string("lab")]) == [.array([.string("lab")])])
            #expect(try await bob.emitWithAck("join", [.string("lab")]) == [.array([.string("lab")])])
            #expect(server.namespace("/").socketIDs(in: "lab").count == 2)

            try await carol.emit("shout", [.string("hello lab"), .string("lab")])
            #expect(await Eventually.passes { aliceHeard.withLock { $0.count } == 1 && bobHeard.withLock { $0.count } == 1 })
            try await Task.sleep(for: .milliseconds(200))
            #expect(carolHeard.withLock { $0 }.isEmpty)
            #expect(aliceHeard.withLock { $0 } == [[.string("hello lab"), .string("lab")]])

            try await alice.emit("shout", [])
            #expect(await Eventually.passes { bobHeard.withLock { $0.count } == 2 && carolHeard.withLock { $0.count } == 1 })
            try await Task.sleep(for: .milliseconds(200))
            #expect(aliceHeard.withLock { $0.count } == 1)

            await bob.disconnect()
            #expect(await Eventually.passes { server.namespace("/").socketIDs(in: "lab").count == 1 })
            #expect(server.namespace("/").sockets.count == 2)
            await alice.disconnect()
            await carol.disconnect()
        }
    }

    @Test("a client with a reconnection policy comes back after the server drops it, and not after disconnect()")
    func reconnection() async throws {
        try await Self.withServer { _, _, url in
            let policy = ReconnectionPolicy(initialDelay: .milliseconds(50), maxDelay: .milliseconds(200))
            let (client, _) = try await Self.connectedClient(url, reconnection: policy)
            try await client.emit("kick")
            // Generous: the whole suite runs in parallel on two cores.
            #expect(await Eventually.passes(within: 20) {
                let reconnections = await client.reconnections, connected = await client.isConnected
                return reconnections == 1 && connected
            })
            #expect(try await client.emitWithAck("echo", [.string("again")]) == [.string("again")])
            await client.disconnect()
            try await Task.sleep(for: .milliseconds(500))
            let connected = await client.isConnected, reconnections = await client.reconnections
            #expect(!connected && reconnections == 1)

            let (plain, _) = try await Self.connectedClient(url)
            try await plain.emit("kick")
            #expect(await Eventually.passes { await !plain.isConnected })
            try await Task.sleep(for: .milliseconds(300))
            let plainConnected = await plain.isConnected, plainReconnections = await plain.reconnections
            #expect(!plainConnected && plainReconnections == 0)
        }
    }

    @Test("client acks: an unanswered one times out at its own deadline, even when a longer one waits; answered ones return; disconnect fails the rest")
    func clientAckTimeouts() async throws {
        try await Self.withServer { _, _, url in
            let (client, _) = try await Self.connectedClient(url)
            // Generous bounds: the whole suite runs in parallel on two cores. The short wait must end long
            // before the long one's deadline.
            let long = Task { try await client.emitWithAck("ignore", [], timeout: .seconds(300)) }
            try await Task.sleep(for: .milliseconds(100))
            let started = ContinuousClock.now
            await #expect(throws: SocketIOError.ackTimeout) { try await client.emitWithAck("ignore", [], timeout: .milliseconds(300)) }
            let waited = ContinuousClock.now - started
            #expect(waited >= .milliseconds(300) && waited < .seconds(100), "timed out after \(waited)")
            for n in 0..<50 { #expect(try await client.emitWithAck("echo", [.int(n)], timeout: .seconds(100)) == [.int(n)]) }
            await client.disconnect()
            await #expect(throws: SocketIOError.disconnected) { try await long.value }
        }
    }

    @Test("server acks: the server waits for the client's ack to its event, and times out when none comes")
    func serverAcks() async throws {
        try await Self.withServer { _, _, url in
            let client = SocketIOClient(options: .init(url: url))
            await client.on("question") { arguments, ack in
                if arguments.first != .string("stay silent") { await ack?([.string("answer")] + arguments) }
            }
            try await client.connect()
            // Generous bounds: the whole suite runs in parallel on two cores.
            for n in 0..<20 {
                #expect(try await client.emitWithAck("ask-me", [.int(n), .int(60_000)], timeout: .seconds(100)) == [.string("answer"), .int(n)])
            }
            #expect(try await client.emitWithAck("ask-me", [.string("stay silent"), .int(300)], timeout: .seconds(100)) == [.string("ackTimeout")])
            await client.disconnect()
        }
    }

    @Test("the client's observer sees every message as read, before its handler runs, with the time it was read")
    func observer() async throws {
        try await Self.withServer { _, _, url in
            let seen = Mutex<[(WebSocketClientConnection.Message, ContinuousClock.Instant)]>([])
            let handled = Mutex<[(SocketIOValue, ContinuousClock.Instant)]>([])
            var options = SocketIOClient.Options(url: url)
            options.observer = { message, instant in seen.withLock { $0.append((message, instant)) } }
            let client = SocketIOClient(options: options)
            await client.on("shouted") { arguments, _ in handled.withLock { $0.append((arguments.first ?? .null, .now)) } }
            try await client.connect()
            for n in 0..<5 { try await client.emit("shout", [.int(n)]) }
            #expect(try await Eventually.holds(within: 10) { handled.withLock { $0.count } == 5 })
            // Each shout's message, by its number, with the time it was read.
            var read: [Int: ContinuousClock.Instant] = [:]
            for (message, instant) in seen.withLock({ $0 }) {
                guard case .text(let text) = message, text.hasPrefix(#"42["shouted","#), let n = Int(text.dropFirst(13).dropLast()) else { continue }
                read[n] = instant
            }
            #expect(read.keys.sorted() == Array(0..<5))
            // The Engine.IO open packet is the first message read.
            #expect(seen.withLock { $0 }.first.map { message, _ in if case .text(let text) = message { text.hasPrefix("0{") } else { false } } == true)
            for (value, instant) in handled.withLock({ $0 }) {
                let n = try #require(value.number.map(Int.init))
                #expect(try #require(read[n]) <= instant)
            }
            await client.disconnect()
        }
    }

    @Test("the reconnection delay backs off exponentially up to the cap, within the jitter")
    func backoff() {
        let policy = ReconnectionPolicy(initialDelay: .milliseconds(100), maxDelay: .seconds(1), jitter: 0.5)
        #expect(policy.delay(before: 1, random: 0) == .milliseconds(100))
        #expect(policy.delay(before: 3, random: 0) == .milliseconds(400))
        #expect(policy.delay(before: 10, random: 0) == .seconds(1))
        #expect(policy.delay(before: 2, random: 1) == .milliseconds(300))
        #expect(policy.delay(before: 2, random: -1) == .milliseconds(100))
    }

    /// The polling tests below never answer pings: their heartbeat is long enough for a loaded machine.
    @Test("a slow polling client that lets more than maxBufferedBytes pile up is closed; others are served")
    func bufferedBytesCap() async throws {
        let configuration = SocketIOServer.Configuration(pingInterval: .seconds(60), pingTimeout: .seconds(60), maxBufferedBytes: 200_000)
        try await Self.withServer(configuration) { server, http, url in
            let open = try await http.execute(uri: "/socket.io/?EIO=4&transport=polling", method: .get)
            let handshake = try JSONValue(parsing: String(buffer: open.body).dropFirst())
            let sid = try #require(handshake["sid"]?.string)
            let session = "/socket.io/?EIO=4&transport=polling&sid=\(sid)"
            #expect(try await http.execute(uri: session, method: .post, body: ByteBuffer(string: "40")).status == .ok)
            #expect(String(buffer: try await http.execute(uri: session, method: .get).body).hasPrefix("40{"))
            // Ten 50 kB events without a GET to take them: past 200 kB the session is closed.
            #expect(try await http.execute(uri: session, method: .post, body: ByteBuffer(string: #"42["flood"]"#)).status == .ok)
            #expect(await Eventually.passes { server.sessionCount == 0 })
            let after = try await http.execute(uri: session, method: .get)
            #expect(after.status == .badRequest && String(buffer: after.body) == #"{"code":1,"message":"Session ID unknown"}"#)
            // Everyone else is still served.
            let (other, _) = try await Self.connectedClient(url)
            #expect(try await other.emitWithAck("echo", [.int(1)]) == [.int(1)])
            await other.disconnect()
        }
    }

    @Test("a binary packet announcing more attachments than allowed closes the session (Engine.IO took the POST; Socket.IO ends the session)")
    func tooManyAttachments() async throws {
        let configuration = SocketIOServer.Configuration(pingInterval: .seconds(60), pingTimeout: .seconds(60), maxAttachments: 2)
        try await Self.withServer(configuration) { server, http, _ in
            let open = try await http.execute(uri: "/socket.io/?EIO=4&transport=polling", method: .get)
            let sid = try #require(try JSONValue(parsing: String(buffer: open.body).dropFirst())["sid"]?.string)
            let session = "/socket.io/?EIO=4&transport=polling&sid=\(sid)"
            #expect(try await http.execute(uri: session, method: .post, body: ByteBuffer(string: "40")).status == .ok)
            let packet = #"453-["echo",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1},{"_placeholder":true,"num":2}]"#
            let posted = try await http.execute(uri: session, method: .post, body: ByteBuffer(string: packet))
            #expect(posted.status == .ok)
            #expect(server.sessionCount == 0)
            #expect(try await http.execute(uri: session, method: .get).status == .badRequest)
        }
    }
}
