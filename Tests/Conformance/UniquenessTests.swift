import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PladmedCore
import PladmedServer
import PladmedStorage
import PladmedTestSupport
import Testing

/// Uniqueness is the database's, not a check before a write: registrations of one email racing on two instances of
/// one MongoDB (or on one SQLite server) make one account, and probe registrations racing past an account's limit
/// stop at the limit.
@Suite("Uniqueness under races")
struct UniquenessTests {
    static let unlimited = ["PLADMED_LOGIN_RATE_PER_ADDRESS": "0", "PLADMED_LOGIN_RATE_PER_ACCOUNT": "0"]

    /// Runs `body` with a client of each of `count` servers sharing one store (one database for MongoDB; one server
    /// for SQLite, whose file one process owns).
    static func servers(_ kind: StoreKind, _ body: @escaping @Sendable ([any TestClientProtocol], any Store) async throws -> Void) async throws {
        switch kind {
        case .sqlite:
            let harness = try await ServerHarness(store: .sqlite, environment: unlimited)
            try await harness.run { client in try await body([client], harness.store) }
        case .mongo:
            let uri = try SecantusServer.shared().uri()
            let first = try await ServerHarness(store: .mongo, environment: unlimited.merging(["MONGODB_URI": uri]) { $1 })
            let second = try await ServerHarness(store: .mongo, environment: unlimited.merging(["MONGODB_URI": uri]) { $1 })
            try await first.run { one in try await second.run { two in try await body([one, two], first.store) } }
        }
    }

    /// `POST path` on its own connection, waiting up to 2 minutes: 40 registrations queue for the password hashing
    /// threads, behind the rest of the suite.
    static func post(_ port: Int, _ path: String, _ body: String, token: String? = nil) async throws -> (status: Int, error: String?) {
        let client = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(120)))
        client.connect()
        defer { Task { try? await client.shutdown() } }
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[HTTPField.Name("access_token")!] = token }
        let response = try await client.execute(.init(path, method: .post, authority: "127.0.0.1:\(port)", headers: headers, body: ByteBuffer(string: body)))
        return (response.status.code, response.body.flatMap { (try? JSONValue(parsing: Data(buffer: $0)))?["Error"]?.string })
    }

    /// `address` with each ASCII letter's case chosen by `seed`'s bits.
    static func spelling(_ address: String, _ seed: Int) -> String {
        String(address.enumerated().map { index, character in
            (seed >> (index % 20)) & 1 == 1 ? Character(character.uppercased()) : Character(character.lowercased())
        })
    }

    @Test("40 concurrent registrations of one address in mixed case give exactly one 201", arguments: StoreKind.allCases)
    func registrations(_ kind: StoreKind) async throws {
        try await Self.servers(kind) { clients, store in
            let statuses = try await withThrowingTaskGroup(of: (status: Int, error: String?).self) { group in
                for attempt in 0..<40 {
                    group.addTask {
                        let email = Self.spelling("racer.one@example.com", attempt * 7919)
                        return try await Self.post(clients[attempt % clients.count].port!, "/register", #"{"email":"\#(email)","password":"Secure_Pass1"}"#)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0.status == 201 }.count == 1, "\(statuses.map(\.status))")
            #expect(statuses.filter { $0.status != 201 }.allSatisfy { $0 == (400, "That email is already registered") }, "\(statuses)")
            #expect(try await store.users().filter { AccountRules.emailKey($0.email) == "racer.one@example.com" }.count == 1)
        }
    }

    @Test("20 concurrent probe registrations of an account limited to 3 register exactly 3", arguments: StoreKind.allCases)
    func probeLimit(_ kind: StoreKind) async throws {
        try await Self.servers(kind) { clients, store in
            #expect(try await clients[0].send(.post, "/register", body: #"{"email":"prober@example.com","password":"Secure_Pass1"}"#).status == 201)
            let token = try #require(try await clients[0].send(.post, "/login", body: #"{"email":"prober@example.com","password":"Secure_Pass1"}"#)
                .json?["access_token"]?.string)
            let user = try #require(try await store.user(email: "prober@example.com"))
            _ = try await store.setProbeLimit(3, of: user.id)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for attempt in 0..<20 {
                    group.addTask {
                        try await Self.post(clients[attempt % clients.count].port!, "/probes", #"{"location":{"latitude":1,"longitude":2}}"#, token: token).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 3, "\(statuses)")
            #expect(try await store.probes(owner: user.id).count == 3)
        }
    }
}
