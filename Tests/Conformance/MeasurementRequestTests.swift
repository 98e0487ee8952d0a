import Foundation
import HummingbirdTesting
import PladmedAPI
import PladmedCore
import PladmedTestSupport
import Testing

/// `POST /traceroute|/ping|/dns` and `GET /users/me` are answered without the generated types' decoder and encoder
/// (issue [perf]); the oracles are that encoder, the generated request types' rules, and the probe's job.
@Suite("Measurement requests and the caller's account, answered directly")
struct MeasurementRequestTests {
    static let params = #"{"cron":"* * * * *","stop_time":"01/01/2020 00:00","times_per_minute":1,"ips":["192.0.2.1"]}"#

    /// An account with credits and one connected probe: the account's token, the probe's id, and the probe.
    static func connectedProbe(_ harness: ServerHarness, _ client: any TestClientProtocol) async throws -> (token: String, probe: String, swift: SwiftProbe) {
        let owner = try await SecurityAuditTests.account(harness, client)
        _ = try await harness.store.addCredits(1_000_000, to: owner.id)
        let probeToken = try #require(try await client.send(.post, "/probes", headers: ["access_token": owner.token],
                                                            body: #"{"location":{"latitude":1,"longitude":2}}"#).json?["token"]?.string)
        let probe = SwiftProbe()
        _ = try await probe.connect(port: try #require(client.port), token: probeToken, headers: ["total_credits": "1000000", "in_use_credits": "0"])
        let id = try #require(try await harness.store.probes(owner: owner.id).first?.id.hex)
        #expect(try await Eventually.holds(within: 10) { try await client.send(.get, "/probes").json?.array?.first?["connected"] == .bool(true) })
        return (owner.token, id, probe)
    }

    @Test("the three measurements answer 201 with the generated encoder's bytes, and the probe gets the job with integers as integers")
    func created() async throws {
        let harness = try await ServerHarness()
        try await harness.run { client in
            let (token, probe, swift) = try await Self.connectedProbe(harness, client)
            let dnsParams = #"{"cron":"*/5 * * * *","stop_time":"01/01/2020 00:00","times_per_minute":1.0,"fqdns":["example.com"],"x":[1e3,-0.0,2.5,"\u00e9\/"]}"#
            for (path, body) in [
                ("/ping", #"{"probes":["\#(probe)"],"params":\#(Self.params),"result_format":"dump"}"#),
                ("/traceroute", #"{"probes":["\#(probe)","\#(probe)"],"params":\#(Self.params),"result_format":"dump","other":{"a":1}}"#),
                ("/dns/", #"{"probes":["\#(probe)"],"params":\#(dnsParams)}"#),
            ] {
                let answer = try await client.send(.post, path, headers: ["access_token": token], body: body)
                #expect(answer.status == 201 && answer.headers[.contentType] == "application/json; charset=utf-8")
                let decoded = try JSONDecoder().decode(Components.Schemas.Operation.self, from: answer.body)
                #expect(String(decoding: answer.body, as: UTF8.self) == String(decoding: try OperationJSONTests.generated(decoded), as: UTF8.self))
                let job = try #require(await swift.next())
                #expect(job["data"]?["_id"]?.string == decoded._id)
                #expect(job["data"]?["params"] == answer.json?["params"])
            }
            // A number with an integer's value reaches the probe as an integer, as the generated decoding read it.
            let owner = try #require(try await harness.store.user(email: "u@example.com"))
            let stored = try #require(try await harness.store.operations(owner: owner.id, includeResults: false).last)
            #expect(stored.resultFormat == "text")
            guard case .int(1) = stored.params["times_per_minute"], case .array(let x) = stored.params["x"], case .int(1000) = x[0], case .int(0) = x[1],
                  case .double(2.5) = x[2]
            else {
                Issue.record("integral numbers not read as integers: \(stored.params)")
                return
            }
            _ = try await swift.disconnect()
        }
    }

    @Test("bodies the generated types refuse answer the contract's 400; the token is checked first; a repeated member counts with its last value")
    func refused() async throws {
        let harness = try await ServerHarness()
        try await harness.run { client in
            let (token, probe, swift) = try await Self.connectedProbe(harness, client)
            let invalid = [
                "", "{", "[]", "null", #""x""#, "1", #"{"probes":"x"}"#, #"{"probes":[1]}"#, #"{"probes":[null]}"#, #"{"probes":null}"#,
                #"{"probes":[]}"#, #"{"probes":["\#(probe)"],"params":null}"#, #"{"probes":["\#(probe)"],"params":[1]}"#,
                #"{"probes":["\#(probe)"],"params":\#(Self.params),"result_format":5}"#,
                #"{"probes":["\#(probe)"],"params":\#(Self.params),}"#, #"{"probes":["\#(probe)"],"params":\#(Self.params)} x"#,
                #"{"probes":["\#(probe)"],"probes":"x","params":\#(Self.params)}"#,
                #"{"probes":["\#(probe)"],"params":{"cron":"* * * * *","stop_time":"01/01/2020 00:00","times_per_minute":1,"ips":["192.0.2.1"],"x":1e400}}"#,
            ]
            for body in invalid {
                let answer = try await client.send(.post, "/ping", headers: ["access_token": token], body: body)
                #expect(answer.status == 400 && answer.json?["Error"] == .string("Invalid data provided"), "\(body)")
            }
            for headers in [[:], ["access_token": "x.y.z"]] {
                let answer = try await client.send(.post, "/ping", headers: headers, body: "{")
                #expect(answer.status == 401)
            }
            let unknown = try await client.send(.post, "/ping", headers: ["access_token": token], body: #"{"probes":["0123456789abcdef01234567"],"params":\#(Self.params)}"#)
            #expect(unknown.status == 404)
            let traceroute = try await client.send(.post, "/traceroute", headers: ["access_token": token], body: #"{"probes":["\#(probe)"],"params":\#(Self.params)}"#)
            #expect(traceroute.status == 400 && traceroute.json?["Error"] == .string("Missing result_format field"))
            let repeated = try await client.send(.post, "/ping", headers: ["access_token": token], body: #"{"probes":"x","probes":["\#(probe)"],"params":\#(Self.params)}"#)
            #expect(repeated.status == 201)
            #expect(await swift.next()?["name"] == .string("ping"))
            _ = try await swift.disconnect()
        }
    }

    @Test("GET /users/me answers the generated encoder's bytes, and refuses what the generated route refused")
    func currentUser() async throws {
        let harness = try await ServerHarness()
        try await harness.run { client in
            let owner = try await SecurityAuditTests.account(harness, client, email: "o'b+x/y{z}|~@example.com")
            for credits in [0.1, 123.456, 1e21, 7] {
                _ = try await harness.store.addCredits(credits, to: owner.id)
                let answer = try await client.send(.get, "/users/me", headers: ["access_token": owner.token])
                #expect(answer.status == 200 && answer.headers[.contentType] == "application/json; charset=utf-8")
                let decoded = try JSONDecoder().decode(Components.Schemas.UserPublic.self, from: answer.body)
                #expect(String(decoding: answer.body, as: UTF8.self) == String(decoding: try OperationJSONTests.generated(decoded), as: UTF8.self))
            }
            for headers in [[:], ["access_token": "x.y.z"]] {
                #expect(try await client.send(.get, "/users/me", headers: headers).status == 401)
            }
            #expect(try await client.send(.post, "/logout", headers: ["access_token": owner.token]).status == 204)
            #expect(try await client.send(.get, "/users/me", headers: ["access_token": owner.token]).status == 401)
        }
    }
}
