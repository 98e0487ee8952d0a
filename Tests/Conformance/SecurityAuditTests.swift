import Foundation
import HummingbirdTesting
import PladmedCore
import PladmedTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Regression tests for the findings of the security audit (issue [security]), each against the real server over
/// HTTP: non-finite numbers, unbounded inputs, balances, tokens, logins and connections.
@Suite("Security audit findings", .serialized)
struct SecurityAuditTests {
    static func account(_ harness: ServerHarness, _ client: any TestClientProtocol, email: String = "u@example.com") async throws -> (token: String, id: ObjectID) {
        #expect(try await client.send(.post, "/register", body: #"{"email":"\#(email)","password":"Secure_Pass1"}"#).status == 201)
        let login = try await client.send(.post, "/login", body: #"{"email":"\#(email)","password":"Secure_Pass1"}"#)
        let token = try #require(login.json?["access_token"]?.string)
        return (token, try #require(try await harness.store.user(email: email)).id)
    }

    @Test("probes' credit reports cannot make in-use credits non-finite: /probes keeps answering, availability stays in 0...1")
    func nonFiniteInUse() async throws {
        let harness = try await ServerHarness()
        try await harness.run { client in
            let owner = try await Self.account(harness, client)
            let probeToken = try #require(try await client.send(.post, "/probes", headers: ["access_token": owner.token],
                                                                body: #"{"location":{"latitude":1,"longitude":2}}"#).json?["token"]?.string)
            let probe = SwiftProbe()
            _ = try await probe.connect(port: try #require(client.port), token: probeToken, headers: ["total_credits": "1000", "in_use_credits": "0"])
            func availability() async throws -> JSONValue? {
                let answer = try await client.send(.get, "/probes")
                #expect(answer.status == 200)
                return answer.json?.array?.first?["availability"]
            }
            try await probe.emit("new_operation", .object(["credits": .double(1e308)]))
            try await probe.emit("new_operation", .object(["credits": .double(1e308)]))
            #expect(await Eventually.passes { try await availability() == .int(0) })
            try await probe.emit("finish_operation", .object(["credits": .double(1e308)]))
            #expect(await Eventually.passes { try await availability() == .int(1) })
            let mine = try await client.send(.get, "/probes/me", headers: ["access_token": owner.token])
            #expect(mine.status == 200)
            _ = try await probe.disconnect()
        }
    }

    @Test("bodies, nesting and probe lists are bounded before any work: 413 and 400 with a JSON error")
    func bounds() async throws {
        let harness = try await ServerHarness()
        try await harness.run { client in
            let owner = try await Self.account(harness, client)
            let large = try await client.send(.post, "/register", body: String(repeating: "a", count: 2 << 20))
            #expect(large.status == 413 && large.json?["Error"]?.string == "The request body is larger than 1048576 bytes")
            let deep = #"{"probes":["5f0000000000000000000000"],"params":"# + String(repeating: "[", count: 500) + String(repeating: "]", count: 500) + "}"
            let nested = try await client.send(.post, "/ping", headers: ["access_token": owner.token], body: deep)
            #expect(nested.status == 400 && nested.json?["Error"]?.string == "The request body nests deeper than 32 levels")
            func ping(_ ids: [String]) async throws -> Answer {
                let list = ids.map { "\"\($0)\"" }.joined(separator: ",")
                return try await client.send(.post, "/ping", headers: ["access_token": owner.token], body: """
                    {"probes":[\(list)],"params":{"cron":"* * * * *","stop_time":"01/01/2020 00:00","times_per_minute":1,"ips":["8.8.8.8"]}}
                    """)
            }
            let tooMany = try await ping((0..<1001).map { _ in ObjectID().hex })
            #expect(tooMany.status == 400 && tooMany.json?["Error"]?.string == "An operation names at most 1000 probes")
            // A thousand copies of one id are one probe (and a thousand distinct unknown ids are looked up at once).
            #expect(try await ping(Array(repeating: "5f0000000000000000000000", count: 1000)).status == 404)
            #expect(try await ping((0..<1000).map { _ in ObjectID().hex }).status == 404)
            let null = try await client.send(.post, "/register", body: "null")
            #expect(null.status == 400 && null.json?["Error"]?.string == "Request body must be a JSON object")
        }
    }

    @Test("a grant past the balance bound is refused with nothing written, 1e308 included")
    func balanceBound() async throws {
        let harness = try await ServerHarness(environment: ["PLADMED_MAX_CREDITS": "1000"])
        let root = try await harness.store.createUser(email: "root@example.com", passwordHash: PasswordHasher().hash("R00t!pass"), isSuperuser: true)
        _ = root
        try await harness.run { client in
            let owner = try await Self.account(harness, client)
            let superToken = try #require(try await client.send(.post, "/login", body: #"{"email":"root@example.com","password":"R00t!pass"}"#).json?["access_token"]?.string)
            func grant(_ amount: String) async throws -> Answer {
                try await client.send(.post, "/credits", headers: ["access_token": superToken], body: #"{"id":"\#(owner.id.hex)","credits":\#(amount)}"#)
            }
            for amount in ["1e308", "1001"] {
                let refused = try await grant(amount)
                #expect(refused.status == 400 && refused.json?["Error"]?.string?.contains("the most an account may hold") == true, "\(amount)")
                #expect(try await harness.store.user(id: owner.id)?.credits == 0)
            }
            #expect(try await grant("1000").json?["credits"] == .int(1000))
            #expect(try await grant("0.5").status == 400)
            #expect(try await harness.store.user(id: owner.id)?.credits == 1000)
            #expect(try await client.send(.get, "/users/me", headers: ["access_token": owner.token]).status == 200)
        }
    }

    @Test("tokens name their account by id, expire, and are revoked by logout; emails match in any letter case")
    func tokens() async throws {
        let harness = try await ServerHarness()
        try await harness.run { client in
            let alice = try await Self.account(harness, client, email: "Alice@Example.com")
            // The same address in another case is the same account.
            #expect(try await client.send(.post, "/register", body: #"{"email":"alice@example.com","password":"Secure_Pass1"}"#).json?["Error"]
                == .string("That email is already registered"))
            let lower = try await client.send(.post, "/login", body: #"{"email":"alice@EXAMPLE.com","password":"Secure_Pass1"}"#)
            #expect(lower.status == 200)
            // After a wipe, whoever registers the address again is not logged in by Alice's old token.
            #expect(try await client.send(.delete, "/delete_all").status == 204)
            _ = try await Self.account(harness, client, email: "Alice@Example.com")
            #expect(try await client.send(.get, "/users/me", headers: ["access_token": alice.token]).status == 401)
            // Logout revokes every token of the account, the original's kind included; a new login works.
            let bob = try await Self.account(harness, client, email: "bob@example.com")
            let user = try #require(try await harness.store.user(id: bob.id))
            let original = TokenService(secret: "dev").userToken(for: user)
            #expect(try await client.send(.get, "/users/me", headers: ["access_token": original]).status == 200)
            #expect(try await client.send(.post, "/logout", headers: ["access_token": bob.token]).status == 204)
            for token in [bob.token, original] {
                #expect(try await client.send(.get, "/users/me", headers: ["access_token": token]).status == 401)
            }
            let again = try #require(try await client.send(.post, "/login", body: #"{"email":"bob@example.com","password":"Secure_Pass1"}"#)
                .json?["access_token"]?.string)
            #expect(try await client.send(.get, "/users/me", headers: ["access_token": again]).status == 200)
            // An expired token is refused; the server's own carry an expiry (30 days by default).
            let fresh = try #require(try await harness.store.user(id: bob.id))
            let expired = TokenService(secret: "dev", userTokenLifetime: 60).userToken(for: fresh, now: Date().addingTimeInterval(-120))
            #expect(try await client.send(.get, "/users/me", headers: ["access_token": expired]).status == 401)
            let payload = try #require(again.split(separator: ".").dropFirst().first)
            let claims = try JSONValue(parsing: Data(base64Encoded: String(payload).padding(toLength: (payload.count + 3) / 4 * 4, withPad: "=", startingAt: 0)
                .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/"))!)
            let exp = try #require(claims["exp"]?.number)
            #expect(abs(exp - Date().timeIntervalSince1970 - 30 * 86400) < 60)
        }
    }

    @Test("logins are rate-limited by account and by address with 429 and Retry-After; an unknown account costs what a known one does")
    func logins() async throws {
        let harness = try await ServerHarness(environment: ["PLADMED_LOGIN_RATE_PER_ACCOUNT": "3", "PLADMED_LOGIN_RATE_PER_ADDRESS": "8"])
        try await harness.run { client in
            _ = try await client.send(.post, "/register", body: #"{"email":"carol@example.com","password":"Secure_Pass1"}"#)
            func login(_ email: String, _ password: String = "Wrong_Pass1") async throws -> Answer {
                try await client.send(.post, "/login", body: #"{"email":"\#(email)","password":"\#(password)"}"#)
            }
            var statuses: [Int] = []
            for _ in 0..<4 { statuses.append(try await login("carol@example.com").status) }
            #expect(statuses == [404, 404, 404, 429])
            let limited = try await login("CAROL@example.com", "Secure_Pass1")
            #expect(limited.status == 429 && limited.json?["Error"]?.string == "Too many logins tried, try again later")
            #expect((limited.headers[.retryAfter].flatMap { Int($0) } ?? 0) >= 1)
            // Other accounts from the same address: up to the address's limit (8 tries in all).
            statuses = []
            for index in 0..<4 { statuses.append(try await login("nobody\(index)@example.com").status) }
            #expect(statuses == [404, 404, 404, 429])

            // Timing: the unknown account's wrong password takes as long as the known one's (both hash), not 75x less.
            let other = try await ServerHarness(environment: ["PLADMED_LOGIN_RATE_PER_ACCOUNT": "0", "PLADMED_LOGIN_RATE_PER_ADDRESS": "0"])
            try await other.run { client in
                _ = try await client.send(.post, "/register", body: #"{"email":"dan@example.com","password":"Secure_Pass1"}"#)
                func attempt(_ email: String) async throws -> Duration {
                    let start = ContinuousClock.now
                    #expect(try await client.send(.post, "/login", body: #"{"email":"\#(email)","password":"Wrong_Pass1"}"#).status == 404)
                    return ContinuousClock.now - start
                }
                // Alternated, so that both see the same load from the tests running beside this one; medians of 11.
                var known: [Duration] = [], unknown: [Duration] = []
                for _ in 0..<11 {
                    known.append(try await attempt("dan@example.com"))
                    unknown.append(try await attempt("nobody@example.com"))
                }
                let knownMedian = known.sorted()[5], unknownMedian = unknown.sorted()[5]
                #expect(unknownMedian > knownMedian / 2 && unknownMedian < knownMedian * 2, "known \(known), unknown \(unknown)")
            }
        }
    }

    @Test("behind a trusted proxy, the client address is the last of X-Forwarded-For; from anyone else the header is ignored")
    func forwardedAddresses() async throws {
        for trusted in [true, false] {
            let harness = try await ServerHarness(environment: [
                "PLADMED_LOGIN_RATE_PER_ACCOUNT": "0", "PLADMED_LOGIN_RATE_PER_ADDRESS": "2",
                "PLADMED_TRUSTED_PROXIES": trusted ? "127.0.0.1" : "10.9.9.9",
            ])
            try await harness.run { client in
                func login(from address: String) async throws -> Int {
                    try await client.send(
                        .post, "/login", headers: ["X-Forwarded-For": "203.0.113.7, \(address)"],
                        body: #"{"email":"nobody@example.com","password":"Wrong_Pass1"}"#
                    ).status
                }
                let first = [try await login(from: "198.51.100.1"), try await login(from: "198.51.100.1"), try await login(from: "198.51.100.1")]
                let other = try await login(from: "198.51.100.2")
                // Trusted: each forwarded client has its own limit. Not trusted: all are the peer, 127.0.0.1.
                #expect(first == [404, 404, 429], "trusted: \(trusted)")
                #expect(other == (trusted ? 404 : 429), "trusted: \(trusted)")
            }
        }
    }

    @Test("connections: a cap per client address, a deadline for the first request head, and idle keep-alive closed")
    func connections() async throws {
        let harness = try await ServerHarness(environment: [
            "PLADMED_MAX_CONNECTIONS_PER_ADDRESS": "4", "PLADMED_REQUEST_HEAD_TIMEOUT": "0.3", "PLADMED_IDLE_TIMEOUT": "0.5",
        ])
        try await harness.run { client in
            let port = try #require(client.port)
            let result = try await RawSockets.run(port: port)
            #expect(result.fifthClosedAtOnce, "a fifth connection from one address is closed at once")
            #expect(result.slowHeadClosed, "a connection that trickles its head is closed")
            #expect(result.idleClosed, "an idle keep-alive connection is closed")
            #expect(result.freedSlotServed, "once connections close, the address is served again")
        }
    }
}

/// Blocking socket checks, run on a Dispatch thread (never on the cooperative pool the in-process server needs).
enum RawSockets {
    struct Outcome {
        var fifthClosedAtOnce = false
        var slowHeadClosed = false
        var idleClosed = false
        var freedSlotServed = false
    }

    static func run(port: Int) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try check(port: port) }) }
        }
    }

    static func connect(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Oracle.Failure(description: "connect failed") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    /// Whether the peer closed the connection (a read returns end of file) within the 5 s receive timeout.
    static func closedByPeer(_ fd: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count == 0 { return true }
            if count < 0 { return errno == ECONNRESET }
        }
    }

    static func send(_ fd: Int32, _ text: String) {
        _ = text.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
    }

    static func check(port: Int) throws -> Outcome {
        var result = Outcome()
        // Four idle connections are the address's allowance; they must send a head in time, so they send one.
        var held: [Int32] = []
        for _ in 0..<4 {
            let fd = try connect(port)
            send(fd, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            held.append(fd)
        }
        let fifth = try connect(port)
        result.fifthClosedAtOnce = closedByPeer(fifth)
        close(fifth)
        for fd in held { close(fd) }
        // The slots free once the server has seen the closes: a whole request is then answered (polled, within 5 s).
        let deadline = ContinuousClock.now + .seconds(5)
        while !result.freedSlotServed && ContinuousClock.now < deadline {
            let again = try connect(port)
            send(again, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            var buffer = [UInt8](repeating: 0, count: 4096)
            result.freedSlotServed = read(again, &buffer, buffer.count) > 0 && String(decoding: buffer.prefix(12), as: UTF8.self).hasPrefix("HTTP/1.1 200")
            close(again)
        }
        // A slow head is cut at its deadline (0.3 s), not refused at once.
        let slow = try connect(port)
        let sent = ContinuousClock.now
        send(slow, "GET /health HTTP/1.1\r\nHost: x\r\n")
        result.slowHeadClosed = closedByPeer(slow) && ContinuousClock.now - sent >= .milliseconds(250)
        close(slow)
        // A whole request is answered; the connection is then closed once idle.
        let idle = try connect(port)
        send(idle, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        var buffer = [UInt8](repeating: 0, count: 4096)
        let answered = read(idle, &buffer, buffer.count) > 0
        result.idleClosed = answered && closedByPeer(idle)
        close(idle)
        return result
    }
}
