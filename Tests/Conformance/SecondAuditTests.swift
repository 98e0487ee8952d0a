import Foundation
import HummingbirdTesting
import PladmedCore
@testable import PladmedServer
import PladmedTestSupport
@testable import SocketIO
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Regression tests for the second audit (issue [security], 0.4.0), each against the real server over real sockets.
@Suite("Second security audit", .serialized)
struct SecondAuditTests {
    static let ping = #"{"cron":"* * * * *","stop_time":"01/01/2020 00:00","times_per_minute":1,"ips":["127.0.0.1"]}"#

    /// A superuser's token, an account's token and id, and a connected probe of that account.
    static func setUp(_ harness: ServerHarness, _ client: any TestClientProtocol) async throws -> (root: String, user: String, id: ObjectID) {
        _ = try await harness.store.createUser(email: "root@example.com", passwordHash: PasswordHasher().hash("R00t!pass"), isSuperuser: true)
        let root = try #require(try await client.send(.post, "/login", body: #"{"email":"root@example.com","password":"R00t!pass"}"#)
            .json?["access_token"]?.string)
        let user = try await SecurityAuditTests.account(harness, client)
        return (root, user.token, user.id)
    }

    /// Registers a probe of the account `token` names and connects it (our client) with `credits` total; the probe
    /// and its id.
    static func connectedProbe(_ client: any TestClientProtocol, token: String, credits: Int = 1000) async throws -> (SwiftProbe, String) {
        let probeToken = try #require(try await client.send(.post, "/probes", headers: ["access_token": token],
                                                            body: #"{"location":{"latitude":1,"longitude":2}}"#).json?["token"]?.string)
        let probe = SwiftProbe()
        _ = try await probe.connect(
            port: try #require(client.port), token: probeToken, headers: ["total_credits": String(credits), "in_use_credits": "0"])
        let claims = try #require(TokenService(secret: "dev").probeClaims(fromToken: probeToken))
        return (probe, claims.probe.hex)
    }

    @Test("item 1: a trailing or doubled slash reaches each route's one implementation: the same answer, streamed where it streams")
    func pathSpellings() async throws {
        let harness = try await ServerHarness()
        try await harness.run { client in
            let (_, token, id) = try await Self.setUp(harness, client)
            let (probe, probeID) = try await Self.connectedProbe(client, token: token)
            _ = try await harness.store.addCredits(100, to: id)
            let created = try await client.send(.post, "/ping", headers: ["access_token": token],
                                                body: #"{"probes":["\#(probeID)"],"params":\#(Self.ping)}"#)
            #expect(created.status == 201)
            let operation = try #require(created.json?["_id"]?.string)
            let auth = ["access_token": token]
            let reads: [(path: String, query: String, streamed: Bool)] = [
                ("/operation", "?id=\(operation)", true), ("/operations/me", "", false), ("/operations", "", true),
                ("/users/me", "", false), ("/probes", "", false), ("/probes/me", "", false), ("/health", "", false),
                ("/operation/results", "?id=\(operation)", false),
            ]
            for read in reads {
                let canonical = try await client.send(.get, read.path + read.query, headers: auth)
                #expect(canonical.status == 200, "\(read.path)")
                for spelling in [read.path + "/", "/" + read.path, read.path.replacingOccurrences(of: "/", with: "//")] {
                    let answer = try await client.send(.get, spelling + read.query, headers: auth)
                    #expect(answer.status == 200, "\(spelling)")
                    if read.path != "/health" && read.path != "/probes/me" { #expect(answer.body == canonical.body, "\(spelling)") }
                    // A streamed answer has no length announced; a whole one has.
                    #expect((answer.headers[.contentLength] == nil) == read.streamed, "\(spelling)")
                }
            }
            // A query parameter of the wrong type is named as one, not as the body.
            let badLimit = try await client.send(.get, "/operation/results?id=\(operation)&limit=abc")
            #expect(badLimit.status == 400 && badLimit.json?["Error"]?.string?.contains("body") == false, "\(String(decoding: badLimit.body, as: UTF8.self))")
            #expect(badLimit.json?["Error"]?.string?.contains("limit") == true, "\(String(decoding: badLimit.body, as: UTF8.self))")
            // The operation routes' own parser (a repeated member's last value counts) answers every spelling.
            for spelling in ["/ping/", "//ping"] {
                let twice = try await client.send(.post, spelling, headers: auth, body: #"{"probes":["\#(probeID)"],"probes":["5f0000000000000000000000"],"params":\#(Self.ping)}"#)
                #expect(twice.status == 404 && twice.json?["Error"]?.string == "Invalid data provided", "\(spelling)")
            }
            _ = try await probe.disconnect()
        }
    }

    @Test("item 2: a probe's bad credits messages are logged as one bounded line per interval, whatever their size")
    func boundedCreditsWarning() async throws {
        let harness = try await ServerHarness()
        let log = CapturedLog()
        try await harness.run(log: log) { client in
            let owner = try await SecurityAuditTests.account(harness, client)
            let (probe, _) = try await Self.connectedProbe(client, token: owner.token)
            let before = log.bytes
            let large = JSONValue.object(["credits": .string("x"), "a": .array(Array(repeating: .int(0), count: 300_000))])
            for _ in 0..<4 { try await probe.emit("new_operation", large) }
            try await probe.emit("new_operation", .object(["credits": .int(5)]))
            #expect(await Eventually.passes {
                try await client.send(.get, "/probes").json?.array?.first?["availability"] == .double(0.995)
            })
            let warnings = log.all.filter { $0.contains("credits message ignored") }
            #expect(warnings.count == 1)
            #expect(warnings.first?.contains("object of 2 members") == true && warnings.first?.contains("string of 1 bytes") == true)
            #expect(log.bytes - before < 4096, "\(log.bytes - before) bytes of log for 2.4 MB of bad messages")
            _ = try await probe.disconnect()
        }
    }

    @Test("item 2: packet errors name a byte, escaped, never the packet's text; values describe themselves in bounded text")
    func boundedPacketErrors() throws {
        let accents = "9" + String(repeating: "\u{301}", count: 100_000)
        #expect(throws: SocketIOProtocolError("unknown Engine.IO packet type 0x39 '9'")) { try EnginePacket(text: Substring(accents)) }
        #expect(throws: SocketIOProtocolError("unknown Engine.IO packet type 0x0D")) { try EnginePacket(text: "\r\n4") }
        #expect(throws: SocketIOProtocolError("unknown Socket.IO packet type 0xCC")) { try SocketPacket(parsing: "\u{301}2[]") }
        let value = SocketIOValue.object(["a": .array(Array(repeating: .string(String(repeating: "é\r\n", count: 1000)), count: 1000))])
        #expect(value.description.utf8.count <= SocketIOValue.descriptionLimit + 3)
        #expect(!value.description.contains("\n") && !value.description.contains("\r"))
        #expect("\([value, value])".utf8.count < 2 * SocketIOValue.descriptionLimit + 64)
        #expect(SocketIOValue.object(["n": .int(1)]).description == #"{"n":1}"#)
    }

    @Test("items 3 and 4: an email past 254 bytes makes no key; spellings of one account share its bucket; the long s is not an s")
    func loginKeys() async throws {
        for kind in StoreKind.allCases {
            let harness = try await ServerHarness(store: kind, environment: ["PLADMED_LOGIN_RATE_PER_ACCOUNT": "3", "PLADMED_LOGIN_RATE_PER_ADDRESS": "0"])
            try await harness.run { client in
                _ = try await SecurityAuditTests.account(harness, client, email: "sister@example.com")
                func login(_ email: String) async throws -> Int {
                    try await client.send(.post, "/login", body: #"{"email":"\#(email)","password":"Wrong_Pass1"}"#).status
                }
                // A long email answers as an unknown one, and never fills a bucket of its own (a fourth try of one
                // would be refused if it had one).
                let long = String(repeating: "a", count: 300) + "@example.com"
                #expect(try await [login(long), login(long), login(long), login(long), login(long)] == [404, 404, 404, 404, 404], "\(kind)")
                // ſ (U+017F) is not s: that spelling is an unknown email with its own bucket, not the account's.
                let longS = "\u{17F}ister@example.com"
                #expect(try await [login(longS), login(longS), login(longS), login(longS)] == [404, 404, 404, 429], "\(kind)")
                // Every ASCII spelling of the account is the account's one bucket (its first login took one try).
                #expect(try await [login("SISTER@example.com"), login("Sister@Example.com"), login("sister@EXAMPLE.COM")] == [404, 404, 429], "\(kind)")
            }
        }
        // The in-process table is bounded whatever keys it is sent.
        let limiter = RateLimiter(perMinute: 5, maxKeys: 100)
        for index in 0..<1_000 { _ = limiter.admit("key-\(index)", now: .now) }
        #expect(limiter.count <= 100)
    }

    @Test("item 5: a request the HTTP parser refuses is answered 400 {\"Error\"} and closed, at once")
    func malformedHeads() async throws {
        let harness = try await ServerHarness(environment: ["PLADMED_REQUEST_HEAD_TIMEOUT": "30"])
        try await harness.run { client in
            let port = try #require(client.port)
            let heads = [
                "GET /he\rlth HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /health HTTP/9.9\r\nHost: x\r\n\r\n",
                "GET /health HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
                "POST /register HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "\u{16}\u{3}\u{1}\u{0}\u{a5}\u{1}\u{0}\u{0}\u{a1}\u{3}\u{3}\r\n\r\n",
                "POST /register HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            ]
            let answers = try await RawHTTP.exchange(port: port, heads)
            for (head, answer) in zip(heads, answers) {
                #expect(answer.text.hasPrefix("HTTP/1.1 400"), "\(head.debugDescription): \(answer.text.prefix(200).debugDescription)")
                #expect(answer.text.contains(#"{"Error":"#), "\(head.debugDescription)")
                #expect(answer.closed && answer.seconds < 5, "\(head.debugDescription): closed \(answer.closed) after \(answer.seconds) s")
            }
            // A good request is still served on a new connection.
            #expect(try await client.send(.get, "/health").status == 200)
        }
    }

    @Test("item 6: no binary packet before CONNECT, attachments bounded in total, sessions capped per address")
    func socketIOBounds() async throws {
        var assembler = PacketAssembler(maxAttachments: 10, maxBytes: 100)
        #expect(throws: SocketIOProtocolError("binary packet before CONNECT")) {
            try assembler.receive(text: #"51-["x",{"_placeholder":true,"num":0}]"#, connected: false)
        }
        #expect(try assembler.receive(text: #"52-["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#, connected: true) == nil)
        #expect(try assembler.receive(binary: Array(repeating: 1, count: 60)) == nil)
        #expect(throws: SocketIOProtocolError("attachments exceed 100 bytes in total")) { try assembler.receive(binary: Array(repeating: 1, count: 60)) }

        let harness = try await ServerHarness(environment: ["PLADMED_MAX_SESSIONS_PER_ADDRESS": "3"])
        try await harness.run { client in
            func handshake() async throws -> Answer { try await client.send(.get, "/socket.io/?EIO=4&transport=polling") }
            var sids: [String] = []
            for _ in 0..<3 {
                let open = try await handshake()
                #expect(open.status == 200)
                let text = String(decoding: open.body, as: UTF8.self)
                sids.append(try #require(try JSONValue(parsing: Data(text.dropFirst().utf8))["sid"]?.string))
            }
            let fourth = try await handshake()
            #expect(fourth.status == 403 && fourth.json == .object(["code": .int(4), "message": .string("Forbidden")]))
            // A binary packet before CONNECT ends that session, holding nothing.
            let binary = try await client.send(.post, "/socket.io/?EIO=4&transport=polling&sid=\(sids[0])",
                                               body: "451-[\"results\",{\"_placeholder\":true,\"num\":0}]\u{1E}bAAAA")
            #expect(binary.status == 200)
            let after = try await client.send(.get, "/socket.io/?EIO=4&transport=polling&sid=\(sids[0])")
            #expect(after.status == 400 || String(decoding: after.body, as: UTF8.self) == "1", "\(after.status) \(String(decoding: after.body, as: UTF8.self))")
            // Its place is free again.
            #expect(await Eventually.passes { try await handshake().status == 200 })
        }
    }

    @Test("item 7: /operations and /operations/me are streamed, byte for byte the whole answers; parameters are bounded")
    func streamedLists() async throws {
        let harness = try await ServerHarness(environment: ["PLADMED_MAX_PARAMS_BYTES": "2048"])
        try await harness.run { client in
            let (_, token, id) = try await Self.setUp(harness, client)
            let (probe, probeID) = try await Self.connectedProbe(client, token: token, credits: 100_000)
            _ = try await harness.store.addCredits(10_000, to: id)
            // More operations than a page holds (64), each with parameters of its own.
            for index in 0..<70 {
                let params = #"{"cron":"* * * * *","stop_time":"01/01/2020 00:00","times_per_minute":1,"ips":["127.0.0.1"],"note":"\#(index)"}"#
                #expect(try await client.send(.post, "/ping", headers: ["access_token": token], body: #"{"probes":["\#(probeID)"],"params":\#(params)}"#).status == 201)
            }
            let big = #"{"cron":"* * * * *","stop_time":"01/01/2020 00:00","times_per_minute":1,"ips":["127.0.0.1"],"x":"\#(String(repeating: "a", count: 3000))"}"#
            let refused = try await client.send(.post, "/ping", headers: ["access_token": token], body: #"{"probes":["\#(probeID)"],"params":\#(big)}"#)
            #expect(refused.status == 400 && refused.json?["Error"]?.string?.hasPrefix("The parameters take") == true)
            // More than a page of operations (64), or past a page of results (1 MiB), the caller's come streamed (a
            // few, small, come in one buffer: the path spellings' test has one).
            var stored = try await harness.store.operations(owner: nil, includeResults: true)
            #expect(stored.count == 70)
            let many = try await client.send(.get, "/operations/me", headers: ["access_token": token])
            #expect(many.headers[.contentLength] == nil)
            #expect(String(decoding: many.body, as: UTF8.self) == "[" + (try stored.map(OperationJSON.text(of:)).joined(separator: ",")) + "]")
            for (index, operation) in stored.suffix(3).enumerated() {
                let large = OperationResult(probe: ObjectID(probeID)!, content: JSONPayload(.string(String(repeating: "r", count: 500_000))), uniqueCode: "big-\(index)")
                #expect(try await harness.store.addResult(large, to: operation.id, reward: 0, limit: 10) == .stored)
            }
            stored = try await harness.store.operations(owner: nil, includeResults: true)
            let own = try await client.send(.get, "/operations/me", headers: ["access_token": token])
            #expect(own.headers[.contentLength] == nil)
            #expect(String(decoding: own.body, as: UTF8.self) == "[" + (try stored.map(OperationJSON.text(of:)).joined(separator: ",")) + "]")
            let all = try await client.send(.get, "/operations", headers: ["access_token": token])
            #expect(all.headers[.contentLength] == nil)
            #expect(String(decoding: all.body, as: UTF8.self) == "[" + (try stored.map(OperationJSON.summary(of:)).joined(separator: ",")) + "]")
            #expect(try await client.send(.get, "/operations").status == 401)
            _ = try await probe.disconnect()
        }
    }

    @Test("item 8: an account registers at most PLADMED_MAX_PROBES_PER_ACCOUNT probes, unless a superuser raises its own")
    func probesPerAccount() async throws {
        for kind in StoreKind.allCases {
            let harness = try await ServerHarness(store: kind, environment: ["PLADMED_MAX_PROBES_PER_ACCOUNT": "2"])
            try await harness.run { client in
                let (root, token, id) = try await Self.setUp(harness, client)
                func register() async throws -> Answer {
                    try await client.send(.post, "/probes", headers: ["access_token": token], body: #"{"location":{"latitude":1,"longitude":2}}"#)
                }
                #expect(try await [register().status, register().status] == [201, 201], "\(kind)")
                let third = try await register()
                #expect(third.status == 403, "\(kind)")
                #expect(third.json?["Error"]?.string == "This account has registered the 2 probe(s) it may; ask an administrator for more")
                func limit(_ body: String, as caller: String) async throws -> Answer {
                    try await client.send(.post, "/users/probe_limit", headers: ["access_token": caller], body: body)
                }
                #expect(try await limit(#"{"id":"\#(id.hex)","max_probes":3}"#, as: token).status == 401)
                for bad in [#"{"id":"\#(id.hex)"}"#, #"{"id":"\#(id.hex)","max_probes":-1}"#, #"{"id":"\#(id.hex)","max_probes":1.5}"#, #"{"max_probes":3}"#] {
                    let answer = try await limit(bad, as: root)
                    #expect(answer.status == 400 && answer.json?["Error"]?.string == "Invalid data provided", "\(bad)")
                }
                #expect(try await limit(#"{"id":"5f0000000000000000000000","max_probes":3}"#, as: root).status == 404)
                let raised = try await limit(#"{"id":"\#(id.hex)","max_probes":3}"#, as: root)
                #expect(raised.status == 200 && raised.json == .object(["_id": .string(id.hex), "max_probes": .int(3)]), "\(kind)")
                #expect(try await [register().status, register().status] == [201, 403], "\(kind)")
                #expect(try await harness.store.probes(owner: id).count == 3)
            }
        }
    }

    @Test("low: a probe's token is replaced by its owner or a superuser; the old one, the original's kind, is refused from then on")
    func probeTokenRotation() async throws {
        for kind in StoreKind.allCases {
            let harness = try await ServerHarness(store: kind)
            try await harness.run { client in
                let (root, token, id) = try await Self.setUp(harness, client)
                let old = try #require(try await client.send(.post, "/probes", headers: ["access_token": token],
                                                            body: #"{"location":{"latitude":1,"longitude":2}}"#).json?["token"]?.string)
                let probeID = try #require(try await harness.store.probes(owner: id).first?.id)
                let port = try #require(client.port)
                let headers = ["total_credits": "10", "in_use_credits": "0"]
                let first = SwiftProbe()
                #expect(try await first.connect(port: port, token: old, headers: headers)?["event"] == .string("connected"))
                _ = try await first.disconnect()
                let other = try await SecurityAuditTests.account(harness, client, email: "other@example.com")
                let refused = try await client.send(.post, "/probes/token?id=\(probeID.hex)", headers: ["access_token": other.token])
                #expect(refused.status == 403, "\(kind)")
                #expect(try await client.send(.post, "/probes/token?id=\(probeID.hex)").status == 401)
                #expect(try await client.send(.post, "/probes/token?id=5f0000000000000000000000", headers: ["access_token": token]).status == 404)
                let rotated = try await client.send(.post, "/probes/token?id=\(probeID.hex)", headers: ["access_token": token])
                let new = try #require(rotated.json?["token"]?.string, "\(kind)")
                #expect(new != old)
                let stale = SwiftProbe()
                #expect(try await stale.connect(port: port, token: old, headers: headers)
                    == .object(["event": .string("connect_error"), "data": .object(["message": .string("Invalid token")])]), "\(kind)")
                let fresh = SwiftProbe()
                #expect(try await fresh.connect(port: port, token: new, headers: headers)?["event"] == .string("connected"), "\(kind)")
                _ = try await fresh.disconnect()
                // /probes/me lists the new token; a superuser may rotate any probe's.
                let mine = try await client.send(.get, "/probes/me", headers: ["access_token": token])
                #expect(mine.json?.array?.first?["token"] == .string(new), "\(kind)")
                #expect(try await client.send(.post, "/probes/token?id=\(probeID.hex)", headers: ["access_token": root]).status == 200)
                let again = SwiftProbe()
                #expect(try await again.connect(port: port, token: new, headers: headers)?["event"] == .string("connect_error"), "\(kind)")
            }
        }
    }

    @Test("low: a unique code another probe stored for the operation gets an Error ack, not a false success")
    func preClaimedCode() async throws {
        let harness = try await ServerHarness()
        try await harness.run { client in
            let (_, token, id) = try await Self.setUp(harness, client)
            var probes: [SwiftProbe] = [], ids: [String] = []
            for _ in 0..<2 {
                let (probe, probeID) = try await Self.connectedProbe(client, token: token)
                probes.append(probe)
                ids.append(probeID)
            }
            _ = try await harness.store.addCredits(100, to: id)
            let created = try await client.send(.post, "/dns", headers: ["access_token": token], body: """
                {"probes":["\(ids[0])","\(ids[1])"],"params":{"cron":"* * * * *","stop_time":"01/01/2020 00:00","times_per_minute":1,"fqdns":["a.example"],"type":"a","ips":[],"ipv4":"","ipv6":""}}
                """)
            let operation = try #require(created.json?["_id"]?.string)
            let gzip = harness.folder.path("dns.gz")
            try Data(base64Encoded: ProbeFlowTests.recordedGzip)!.write(to: URL(fileURLWithPath: gzip))
            let first = try await probes[1].upload(operation: operation, path: gzip, code: "shared", format: "gzip")
            #expect(first?["data"] == .array([.string(operation)]))
            let second = try await probes[0].upload(operation: operation, path: gzip, code: "shared", format: "gzip")
            #expect(second?["data"]?.array?.first?["Error"]?.string?.contains("Another probe stored a result with unique_code") == true, "\(String(describing: second))")
            // The original's de-duplication stands for the probe that stored it.
            #expect(try await probes[1].upload(operation: operation, path: gzip, code: "shared", format: "gzip")?["data"] == .array([.string(operation)]))
            for probe in probes { _ = try await probe.disconnect() }
        }
    }
}

/// Raw HTTP/1.1 exchanges over blocking sockets, on a Dispatch thread (never on the cooperative pool the in-process
/// server needs): what a request the server's parser refuses is answered with, and whether the server then closes.
enum RawHTTP {
    struct Exchange {
        var text = ""
        var closed = false
        var seconds = 0.0
    }

    /// Sends each of `requests` on a connection of its own; reads until the server closes it (or 10 s pass).
    static func exchange(port: Int, _ requests: [String]) async throws -> [Exchange] {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    try requests.map { request in
                        let fd = try RawSockets.connect(port)
                        defer { close(fd) }
                        var timeout = timeval(tv_sec: 10, tv_usec: 0)
                        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                        let start = ContinuousClock.now
                        let bytes = Array(request.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })
                        _ = bytes.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count) }
                        var result = Exchange(), received: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 4096)
                        while true {
                            let count = read(fd, &buffer, buffer.count)
                            if count > 0 { received += buffer.prefix(count); continue }
                            result.closed = count == 0 || errno == ECONNRESET
                            break
                        }
                        let elapsed = ContinuousClock.now - start
                        result.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                        result.text = String(decoding: received, as: UTF8.self)
                        return result
                    }
                })
            }
        }
    }
}
