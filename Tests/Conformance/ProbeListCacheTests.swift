import Foundation
import HTTPTypes
import HummingbirdTesting
import PladmedCore
import PladmedTestSupport
import Testing

/// `GET /probes` is answered from a kept encoding (issue [perf]); these check that it never shows stale probes.
@Suite("GET /probes from its kept answer")
struct ProbeListCacheTests {
    /// Identifiers, `connected` and `availability` of every listed probe, by identifier.
    static func listed(_ client: any TestClientProtocol) async throws -> [String: (connected: Bool, availability: Double?)] {
        let answer = try await client.send(.get, "/probes")
        #expect(answer.status == 200)
        let probes = try #require(answer.json?.array)
        var listed: [String: (connected: Bool, availability: Double?)] = [:]
        for probe in probes {
            let identifier = try #require(probe["identifier"]?.string)
            listed[identifier] = (probe["connected"] == .bool(true), probe["availability"]?.number)
        }
        return listed
    }

    static func register(_ client: any TestClientProtocol, _ token: String) async throws {
        #expect(try await client.send(.post, "/probes", headers: ["access_token": token], body: #"{"location":{"latitude":1,"longitude":2}}"#).status == 201)
    }

    @Test("registrations, connects, credit changes and disconnects show at once; a probe written past this instance shows once the answer is too old")
    func freshness() async throws {
        let harness = try await ServerHarness(environment: ["PLADMED_PROBE_LIST_MAX_AGE": "3600"])
        try await harness.run { client in
            let owner = try await SecurityAuditTests.account(harness, client)
            try await Self.register(client, owner.token)
            let probe = try #require(try await harness.store.probes(owner: owner.id).first)
            #expect(try await Self.listed(client).mapValues(\.connected) == [probe.id.hex: false])

            harness.registry.connect(probe: probe.id, connectionID: "a", status: .init(totalCredits: 10, inUseCredits: 0)) { _ in }
            #expect(try await Self.listed(client)[probe.id.hex]?.availability == 1)
            harness.registry.adjustInUseCredits(probe: probe.id, connectionID: "a", by: 5)
            #expect(try await Self.listed(client)[probe.id.hex]?.availability == 0.5)
            harness.registry.disconnect(probe: probe.id, connectionID: "a")
            #expect(try await Self.listed(client)[probe.id.hex]?.connected == false)

            // Written straight into the store, as another instance sharing the database would: the kept answer
            // (an hour's maximum age here) does not know, until this instance writes a probe itself.
            let elsewhere = try await harness.store.createProbe(owner: owner.id, location: Location(latitude: 3, longitude: 4))
            #expect(try await Self.listed(client).count == 1)
            try await Self.register(client, owner.token)
            let all = try await Self.listed(client)
            #expect(all.count == 3 && all[elsewhere.id.hex] != nil)
        }

        // With a maximum age of 0.3 s, such a probe appears on its own, within a few tenths of a second.
        let young = try await ServerHarness(environment: ["PLADMED_PROBE_LIST_MAX_AGE": "0.3"])
        try await young.run { client in
            let owner = try await SecurityAuditTests.account(young, client)
            try await Self.register(client, owner.token)
            #expect(try await Self.listed(client).count == 1)
            let written = ContinuousClock.now
            _ = try await young.store.createProbe(owner: owner.id, location: Location(latitude: 3, longitude: 4))
            while try await Self.listed(client).count == 1 {
                #expect(ContinuousClock.now - written < .seconds(5), "the probe never appeared")
                if ContinuousClock.now - written >= .seconds(5) { break }
            }
        }
    }

    @Test("the kept answer is the one the route builds, byte for byte and header for header")
    func identical() async throws {
        let kept = Mutex<[Answer]>([])
        for maxAge in ["0", "3600"] {
            let harness = try await ServerHarness(environment: ["PLADMED_PROBE_LIST_MAX_AGE": maxAge])
            try await harness.run { client in
                let owner = try await SecurityAuditTests.account(harness, client)
                let user = try #require(try await harness.store.user(id: owner.id))
                for index in 0..<20 {
                    _ = try await harness.store.createProbe(owner: user.id, location: Location(latitude: Double(index), longitude: -Double(index) / 3))
                }
                let connected = try await harness.store.probes(owner: user.id).prefix(5)
                for (index, probe) in connected.enumerated() {
                    harness.registry.connect(probe: probe.id, connectionID: "c", status: .init(totalCredits: 7, inUseCredits: Double(index))) { _ in }
                }
                let first = try await client.send(.get, "/probes"), second = try await client.send(.get, "/probes")
                // The server stamps `Date` on every answer after the router: two answers may straddle a second.
                // Date and the request id differ between any two answers.
                func withoutDate(_ answer: Answer) -> [HTTPField] {
                    answer.headers.filter { $0.name != .date && $0.name.canonicalName != "x-request-id" }
                }
                #expect(first.body == second.body && withoutDate(first) == withoutDate(second))
                #expect(first.json?.array?.count == 20)
                kept.withLock { $0.append(second) }
            }
        }
        let answers = kept.withLock { $0 }
        // Different ids on each server; the same shape, keys and headers.
        #expect(answers[0].headers.filter { $0.name != .date }.map(\.name) == answers[1].headers.filter { $0.name != .date }.map(\.name))
        #expect(answers[0].headers[.contentType] == answers[1].headers[.contentType])
        #expect(answers[0].body.count == answers[1].body.count)
    }
}
