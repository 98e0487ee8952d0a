import Foundation
import PladmedAPI
import PladmedCore
import PladmedStorage
import PladmedTestSupport
import Testing

/// `GET /operation` and `GET /operations/me` are written without the generated types' encoder (issue [perf]); the
/// oracle is that encoder itself, configured as the runtime's converter configured it.
@Suite("Operations written directly, as the generated encoder writes them")
struct OperationJSONTests {
    /// What the runtime's converter writes for `value`: `JSONEncoder` with the server's options.
    static func generated(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    @Test("operations with awkward parameters and every result form read back byte for byte", arguments: StoreKind.allCases)
    func byteForByte(_ store: StoreKind) async throws {
        let harness = try await ServerHarness(store: store)
        try await harness.run { client in
            let owner = try await SecurityAuditTests.account(harness, client)
            let user = try #require(try await harness.store.user(id: owner.id))
            _ = try await harness.store.addCredits(1000, to: user.id)
            let here = try await harness.store.createProbe(owner: user.id, location: Location(latitude: -34.6037, longitude: -58.3816))
            let there = try await harness.store.createProbe(owner: user.id, location: Location(latitude: 0.1, longitude: 1e-7))
            let params: JSONValue = .object([
                "cron": .string("*/5 * * * *"), "stop_time": .string("01/01/2030 00:00"), "times_per_minute": .double(0.5),
                "ips": .array([.string("2001:db8::1"), .string("a/b"), .string("ünï \"q\" \\ \u{1}")]),
                "unknown": .object(["z": .int(-1), "a": .array([.null, .bool(true), .double(1e21), .double(123.456), .int(9_007_199_254_740_993)])]),
            ])
            for (kind, format) in [(MeasurementKind.ping, "json"), (.traceroute, "dump"), (.dns, "text")] {
                let operation = try await harness.store.createOperation(NewOperation(
                    kind: kind, owner: user.id, params: params, probes: [here, there], credits: 2.25, resultFormat: format))
                let content: JSONPayload = format == "json"
                    // Keys out of order, as scamper's converter writes them and the store keeps them.
                    ? JSONPayload(trusted: #"[{"type":"trace","hops":[{"rtt":0.123,"addr":"192.0.2.1"}],"start":{"usec":5,"sec":1}}]"#)
                    : JSONPayload(.string("# header\tline\nT\t192.0.2.1\t\"x\"/y\n"))
                _ = try await harness.store.addResult(OperationResult(probe: here.id, content: content, uniqueCode: "a"), to: operation.id, reward: 0, limit: 10)
                _ = try await harness.store.addResult(OperationResult(probe: there.id, content: content, uniqueCode: "b"), to: operation.id, reward: 0, limit: 10)

                let one = try await client.send(.get, "/operation?id=\(operation.id.hex)")
                #expect(one.status == 200 && one.headers[.contentType] == "application/json; charset=utf-8")
                let decoded = try JSONDecoder().decode(Components.Schemas.Operation.self, from: one.body)
                #expect(decoded.results.count == 2)
                #expect(String(decoding: one.body, as: UTF8.self) == String(decoding: try Self.generated(decoded), as: UTF8.self))
            }
            let mine = try await client.send(.get, "/operations/me", headers: ["access_token": owner.token])
            #expect(mine.status == 200 && mine.headers[.contentType] == "application/json; charset=utf-8")
            let decoded = try JSONDecoder().decode([Components.Schemas.Operation].self, from: mine.body)
            #expect(decoded.count == 3)
            #expect(String(decoding: mine.body, as: UTF8.self) == String(decoding: try Self.generated(decoded), as: UTF8.self))

            // The token check is the generated route's: no token, a bad one, and one from before a logout are refused.
            for headers in [[:], ["access_token": "x.y.z"]] {
                let refused = try await client.send(.get, "/operations/me", headers: headers)
                #expect(refused.status == 401 && refused.json?["Error"] != nil)
            }
            #expect(try await client.send(.post, "/logout", headers: ["access_token": owner.token]).status == 204)
            #expect(try await client.send(.get, "/operations/me", headers: ["access_token": owner.token]).status == 401)
        }
    }
}
