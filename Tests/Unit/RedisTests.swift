import Foundation
import Logging
import NIOCore
import PladmedTestSupport
@testable import Redis
import Testing

/// The RESP3 decoder on every type and bound, and the client against Debian's redis-server: commands, pipelining,
/// AUTH and SELECT from the URL, scripts by SHA-1 with the EVAL fallback, pub/sub, and recovery after a restart.
@Suite("Redis client")
struct RedisTests {
    static let logger = Logger(label: "redis-test")

    static func decode(_ text: String, _ decoder: RESPDecoder = RESPDecoder()) throws -> RESPValue? {
        var buffer = ByteBuffer(string: text)
        return try decoder.next(from: &buffer)
    }

    @Test("RESP3: every type, byte by byte, attributes skipped")
    func decoding() throws {
        let cases: [(String, RESPValue)] = [
            ("+OK\r\n", .simpleString("OK")), ("-ERR bad\r\n", .error("ERR bad")), (":-42\r\n", .integer(-42)),
            ("$5\r\nhe\r\no\r\n", .bulkString(Array("he\r\no".utf8))), ("$-1\r\n", .null), ("*-1\r\n", .null), ("_\r\n", .null),
            (",3.5\r\n", .double(3.5)), (",-inf\r\n", .double(-.infinity)), ("#t\r\n", .boolean(true)), ("#f\r\n", .boolean(false)),
            ("(12345678901234567890\r\n", .bigNumber("12345678901234567890")), ("!3\r\nBAD\r\n", .error("BAD")),
            ("=9\r\ntxt:hello\r\n", .verbatimString("hello")),
            ("*2\r\n:1\r\n*1\r\n+x\r\n", .array([.integer(1), .array([.simpleString("x")])])),
            ("%1\r\n+k\r\n:1\r\n", .map([.init(key: .simpleString("k"), value: .integer(1))])),
            ("~2\r\n:1\r\n:2\r\n", .set([.integer(1), .integer(2)])),
            (">2\r\n+message\r\n$1\r\nx\r\n", .push([.simpleString("message"), .bulkString([UInt8(ascii: "x")])])),
            ("|1\r\n+ttl\r\n:3\r\n+value\r\n", .simpleString("value")),
        ]
        for (text, expected) in cases {
            #expect(try Self.decode(text) == expected, "\(text.debugDescription)")
            // Any prefix is incomplete, and leaves the buffer as it was.
            for cut in 0..<text.utf8.count {
                var buffer = ByteBuffer(bytes: Array(text.utf8.prefix(cut)))
                #expect(try RESPDecoder().next(from: &buffer) == nil)
                #expect(buffer.readableBytes == cut)
            }
        }
        var two = ByteBuffer(string: ":1\r\n:2\r\n")
        #expect(try RESPDecoder().next(from: &two) == .integer(1))
        #expect(try RESPDecoder().next(from: &two) == .integer(2))
        #expect(two.readableBytes == 0)
    }

    @Test("RESP3 bounds: bulk size, element count, nesting, line length, garbage")
    func bounds() throws {
        let small = RESPDecoder(maxBulkBytes: 4, maxElements: 2, maxDepth: 2)
        #expect(throws: RESPError.self) { try Self.decode("$5\r\nhello\r\n", small) }
        #expect(throws: RESPError.self) { try Self.decode("*3\r\n:1\r\n:2\r\n:3\r\n", small) }
        #expect(throws: RESPError.self) { try Self.decode("*1\r\n*1\r\n*1\r\n:1\r\n", small) }
        #expect(throws: RESPError.self) { try Self.decode("$-2\r\n") }
        #expect(throws: RESPError.self) { try Self.decode("?1\r\n") }
        #expect(throws: RESPError.self) { try Self.decode(":12x\r\n") }
        #expect(throws: RESPError.self) { try Self.decode("$1\r\nab\r\n") }
        #expect(throws: RESPError.self) { try Self.decode("+" + String(repeating: "a", count: 70_000)) }
    }

    @Test("URLs: host, port, user, password, database, TLS; the password redacted")
    func urls() throws {
        let url = try RedisURL("rediss://app:s%40cret@cache.example:6380/3")
        #expect(url.host == "cache.example" && url.port == 6380 && url.username == "app" && url.password == "s@cret")
        #expect(url.database == 3 && url.tls)
        #expect(url.redacted == "rediss://app:***@cache.example:6380/3")
        let plain = try RedisURL("redis://localhost")
        #expect(plain.port == 6379 && plain.database == 0 && !plain.tls && plain.password == nil)
        #expect(try RedisURL("redis://:pw@h/1").password == "pw")
        for bad in ["http://h", "redis://", "redis://h/x", "redis://h:0"] {
            #expect(throws: RedisError.self, "\(bad)") { try RedisURL(bad) }
        }
    }

    @Test("commands, binary-safe values, server errors, and 1,000 pipelined INCRs in order",
          .enabled(if: RedisServer.isInstalled, "Debian's redis-server is not installed"))
    func commands() async throws {
        let server = try RedisServer()
        let client = RedisClient(url: try RedisURL(server.url()), logger: Self.logger)
        #expect(try await client.send("SET", "key", "va\r\nlue") == .simpleString("OK"))
        #expect(try await client.send("GET", "key").string == "va\r\nlue")
        #expect(try await client.send("GET", "missing") == .null)
        await #expect(throws: RedisError.self) { try await client.send("INCR", "key") }
        let replies = try await client.pipeline((1...1000).map { _ in ["INCR", "counter"] })
        #expect(replies.map { try? $0.get().integer } == (1...1000).map { Int64($0) })
        #expect(try await client.send("HELLO", "3").elements == nil)
        await client.close()
    }

    @Test("AUTH and SELECT from the URL: the default user's password, an ACL user, a wrong password refused",
          .enabled(if: RedisServer.isInstalled, "Debian's redis-server is not installed"))
    func authentication() async throws {
        let server = try RedisServer(arguments: ["--requirepass", "s3cret"])
        let admin = RedisClient(url: try RedisURL(server.url(database: 2, credentials: ":s3cret@")), logger: Self.logger)
        _ = try await admin.send("SET", "where", "two")
        #expect(try await admin.send("ACL", "SETUSER", "app", "on", ">apppass", "~*", "+@all") == .simpleString("OK"))
        let app = RedisClient(url: try RedisURL(server.url(database: 2, credentials: "app:apppass@")), logger: Self.logger)
        #expect(try await app.send("GET", "where").string == "two")
        let otherDatabase = RedisClient(url: try RedisURL(server.url(database: 0, credentials: "app:apppass@")), logger: Self.logger)
        #expect(try await otherDatabase.send("GET", "where") == .null)
        let wrong = RedisClient(url: try RedisURL(server.url(credentials: ":nope@")), logger: Self.logger)
        await #expect(throws: RedisError.self) { try await wrong.send("PING") }
        let none = RedisClient(url: try RedisURL(server.url()), logger: Self.logger)
        await #expect(throws: RedisError.self) { try await none.send("GET", "where") }
    }

    @Test("scripts run by SHA-1, loaded with EVAL when the server lacks them (after SCRIPT FLUSH)",
          .enabled(if: RedisServer.isInstalled, "Debian's redis-server is not installed"))
    func scripts() async throws {
        let server = try RedisServer()
        let client = RedisClient(url: try RedisURL(server.url()), logger: Self.logger)
        let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        #expect(try await client.send("SCRIPT", "LOAD", script.source).string == script.sha1)
        _ = try await client.send("SCRIPT", "FLUSH")
        #expect(try await client.run(script, keys: ["n"], arguments: ["5"]) == .integer(5))
        #expect(try await client.send("SCRIPT", "EXISTS", script.sha1).elements == [.integer(1)])
        #expect(try await client.run(script, keys: ["n"], arguments: ["2"]) == .integer(7))
    }

    @Test("pub/sub, and after a restart of Redis: the client reconnects, the subscriber subscribes again",
          .enabled(if: RedisServer.isInstalled, "Debian's redis-server is not installed"))
    func publishSubscribeAndRestart() async throws {
        var server = try RedisServer()
        let url = try RedisURL(server.url())
        let client = RedisClient(url: url, maxBackoff: .milliseconds(200), logger: Self.logger)
        let subscriber = RedisSubscriber(url: url, channels: ["jobs"], maxBackoff: .milliseconds(200), logger: Self.logger)
        defer { subscriber.close() }
        var rounds = subscriber.subscribed.makeAsyncIterator()
        var messages = subscriber.messages.makeAsyncIterator()
        #expect(await rounds.next() == 1)
        #expect(try await client.send("PUBLISH", "jobs", "first") == .integer(1))
        #expect(await messages.next() == .init(channel: "jobs", payload: Array("first".utf8)))

        server.stop()
        await #expect(throws: RedisError.self) { try await client.send("PING") }
        server = try RedisServer(port: server.port)
        #expect(await rounds.next() == 2)
        var answered = false
        for _ in 0..<100 where !answered {
            answered = (try? await client.send("PING")) == .simpleString("PONG")
            if !answered { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(answered)
        #expect(try await client.send("PUBLISH", "jobs", "second") == .integer(1))
        #expect(await messages.next() == .init(channel: "jobs", payload: Array("second".utf8)))
        server.stop()
    }

    @Test("an unreachable server fails at once with unavailable, and is tried again after the backoff")
    func unreachable() async throws {
        let port = try LoopbackPort.free()
        let client = RedisClient(url: try RedisURL("redis://127.0.0.1:\(port)"), maxBackoff: .seconds(60), logger: Self.logger)
        await #expect(throws: RedisError.self) { try await client.send("PING") }
        let start = ContinuousClock.now
        do {
            _ = try await client.send("PING")
        } catch RedisError.unavailable {
        }
        #expect(ContinuousClock.now - start < .milliseconds(50), "within the backoff, no connection is tried")
    }
}
