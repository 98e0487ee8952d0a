import Foundation
import HummingbirdTesting
import PladmedCore
import PladmedTestSupport
import Testing

/// The probe protocol with the real python-socketio 5.0.4 client and with our Swift client as the probe: the flow of the original's
/// recorded sessions (connect, job, new_operation, warts results with ack, duplicate, gzip, finish, disconnect)
/// and the hardened answers, each checked from the REST side too.
@Suite("Probes over Socket.IO", .serialized)
struct ProbeFlowTests {
    static let warts = Repository.file("Fixtures/warts/sample-backend-warts_example.warts").path
    /// The gzip DNS result of the original's recorded session (`ws_operation_flow.jsonl`).
    static let recordedGzip = "H4sIAAAAAAACA7O2VnD0Cw53DVIIdnUO8fT3s+JKrUjMLchJ1UvOz9XjNDYw4PT043TktDTWM7Qw0TMyNNMzNuECAFy8bGw3AAAA"

    struct Account {
        let token: String
        let probeToken: String
        let probe: String
        let user: ObjectID
    }

    static func account(_ harness: ServerHarness, _ client: any TestClientProtocol, email: String = "owner@example.com") async throws -> Account {
        _ = try await client.send(.post, "/register", body: #"{"email":"\#(email)","password":"Secure_Pass1"}"#)
        let token = try #require(try await client.send(.post, "/login", body: #"{"email":"\#(email)","password":"Secure_Pass1"}"#).json?["access_token"]?.string)
        let user = try #require(try await harness.store.user(email: email))
        _ = try await harness.store.addCredits(1000, to: user.id)
        let registered = try await client.send(.post, "/probes", headers: ["access_token": token], body: #"{"location":{"latitude":-34.6,"longitude":-58.4}}"#)
        let probeToken = try #require(registered.json?["token"]?.string)
        let probe = try #require(try await harness.store.probes(owner: user.id).last?.id.hex)
        return Account(token: token, probeToken: probeToken, probe: probe, user: user.id)
    }

    static func probeStatus(_ client: any TestClientProtocol, _ probe: String) async throws -> JSONValue? {
        try await client.send(.get, "/probes").json?.array?.first { $0["identifier"]?.string == probe }
    }

    static func operation(_ client: any TestClientProtocol, _ account: Account, _ kind: String, _ params: String, format: String? = nil) async throws -> JSONValue {
        let body = #"{"probes":["\#(account.probe)"],"params":\#(params)\#(format.map { #","result_format":"\#($0)""# } ?? "")}"#
        let created = try await client.send(.post, "/\(kind)", headers: ["access_token": account.token], body: body)
        #expect(created.status == 201, "\(String(decoding: created.body, as: UTF8.self))")
        return try #require(created.json)
    }

    static let once = #"{"cron":"* * * * *","stop_time":"01/01/2020 00:00","times_per_minute":1,"ips":["8.8.8.8"]}"#

    @Test("the recorded flow: connect, job, credits, warts and gzip results, duplicate, disconnect", arguments: ProbeImplementation.allCases, StoreKind.allCases)
    func flow(_ implementation: ProbeImplementation, _ store: StoreKind) async throws {
        let harness = try await ServerHarness(store: store)
        try await harness.run { client in
            let port = try #require(client.port)
            let account = try await Self.account(harness, client)
            let probe = try implementation.make()
            let connected = try await probe.connect(port: port, token: account.probeToken, headers: ["total_credits": "1000", "in_use_credits": "0"])
            #expect(connected?["event"] == .string("connected"))
            // The CONNECT answer goes out before the server's connection handler runs (as the reference server sends
            // it), so the probe may hear "connected" a moment before the hub lists it.
            #expect(try await Eventually.holds(within: 10) { try await Self.probeStatus(client, account.probe)?["connected"] == .bool(true) })
            #expect(try await Self.probeStatus(client, account.probe)?["availability"]?.number == 1)

            // A traceroute reaches the probe as the original shapes it.
            let trace = try await Self.operation(client, account, "traceroute", Self.once, format: "json")
            let job = try #require(await probe.next())
            #expect(job["event"] == .string("job") && job["name"] == .string("traceroute"))
            let traceID = try #require(trace["_id"]?.string)
            #expect(job["data"] == .object(["_id": .string(traceID), "params": trace["params"]!, "results": .array([]),
                                            "credits": .int(15), "result_format": .string("json")]))

            try await probe.emit("new_operation", .object(["credits": .int(300)]))
            #expect(await Eventually.passes { try await Self.probeStatus(client, account.probe)?["availability"]?.number == 0.7 })

            // Warts results are stored as sc_warts2json's values; the owner earns 10 credits.
            let before = try #require(try await harness.store.user(id: account.user)?.credits)
            let ack = try await probe.upload(operation: traceID, path: Self.warts, code: "code-1")
            #expect(ack == .object(["event": .string("ack"), "data": .array([.string(traceID)])]))
            let expected = try String(contentsOfFile: Self.warts.replacingOccurrences(of: ".warts", with: ".json"), encoding: .utf8)
                .split(separator: "\n").map { try JSONValue(parsing: Data($0.utf8)) }
            let stored = try await client.send(.get, "/operation?id=\(traceID)").json
            #expect(stored?["results"] == .array([.object(["probe": .string(account.probe), "results": .array(expected)])]))
            #expect(try await harness.store.user(id: account.user)?.credits == before + 10)

            // The same unique code again: acknowledged, not stored twice, no second reward.
            #expect(try await probe.upload(operation: traceID, path: Self.warts, code: "code-1")?["data"] == .array([.string(traceID)]))
            #expect(try await client.send(.get, "/operation?id=\(traceID)").json?["results"]?.array?.count == 1)
            #expect(try await harness.store.user(id: account.user)?.credits == before + 10)

            // A dump-format traceroute stores sc_analysis_dump's text.
            let dumpOperation = try await Self.operation(client, account, "traceroute", Self.once, format: "dump")
            _ = await probe.next()
            let dumpID = try #require(dumpOperation["_id"]?.string)
            #expect(try await probe.upload(operation: dumpID, path: Self.warts, code: "code-2")?["data"] == .array([.string(dumpID)]))
            let dump = try String(contentsOfFile: Self.warts.replacingOccurrences(of: ".warts", with: ".dump"), encoding: .utf8)
            #expect(try await client.send(.get, "/operation?id=\(dumpID)").json?["results"]?.array?.first?["results"] == .string(dump))

            // DNS results arrive gzip-compressed and are stored as text.
            let dns = try await Self.operation(client, account, "dns", #"{"cron":"* * * * *","stop_time":"01/01/2020 00:00","times_per_minute":1,"fqdns":["example.com"],"type":"a"}"#)
            let dnsJob = try #require(await probe.next())
            #expect(dnsJob["name"] == .string("dns") && dnsJob["data"]?["result_format"] == .string("text"))
            let dnsID = try #require(dns["_id"]?.string)
            let gzip = harness.folder.path("dns.gz")
            try Data(base64Encoded: Self.recordedGzip)!.write(to: URL(fileURLWithPath: gzip))
            #expect(try await probe.upload(operation: dnsID, path: gzip, code: "code-3", format: "gzip")?["data"] == .array([.string(dnsID)]))
            #expect(try await client.send(.get, "/operation?id=\(dnsID)").json?["results"]?.array?.first?["results"]
                == .string(";; ANSWER SECTION:\nexample.com.\t300\tIN\tA\t93.184.216.34\n"))

            // Bad uploads get an error ack and store nothing; the probe stays connected.
            let unknown = try await probe.upload(operation: "5f0000000000000000000000", path: Self.warts, code: "code-x")
            #expect(unknown?["data"] == .array([.object(["Error": .string("Operation doesn't exist")])]))
            let garbage = harness.folder.path("garbage.warts")
            try Data("not warts at all".utf8).write(to: URL(fileURLWithPath: garbage))
            let refused = try await probe.upload(operation: traceID, path: garbage, code: "code-g")
            #expect(refused?["data"]?.array?.first?["Error"]?.string?.hasPrefix("Undecodable warts content") == true)
            #expect(try await client.send(.get, "/operation?id=\(traceID)").json?["results"]?.array?.count == 1)
            #expect(try await Self.probeStatus(client, account.probe)?["connected"] == .bool(true))

            try await probe.emit("finish_operation", .object(["credits": .int(300)]))
            #expect(await Eventually.passes { try await Self.probeStatus(client, account.probe)?["availability"]?.number == 1 })

            _ = try await probe.disconnect()
            #expect(await Eventually.passes {
                let after = try await Self.probeStatus(client, account.probe)
                return after?["connected"] == .bool(false) && after?["availability"] == nil
            })
        }
    }

    @Test("refused connects: bad or unknown token, missing or non-integer credit headers", arguments: ProbeImplementation.allCases, StoreKind.allCases)
    func refusals(_ implementation: ProbeImplementation, _ store: StoreKind) async throws {
        let harness = try await ServerHarness(store: store)
        try await harness.run { client in
            let port = try #require(client.port)
            let account = try await Self.account(harness, client)
            let credits = ["total_credits": "10", "in_use_credits": "0"]
            let unknownProbe = TokenService(secret: "dev").probeToken(for: Probe(id: ObjectID(), owner: account.user, location: Location(latitude: 0, longitude: 0)))
            let cases: [(String?, [String: String], String)] = [
                ("not-a-token", credits, "Invalid token"),
                (nil, credits, "Invalid token"),
                (unknownProbe, credits, "Invalid token"),
                (TokenService(secret: "other").probeToken(for: Probe(id: ObjectID(account.probe)!, owner: account.user, location: Location(latitude: 0, longitude: 0))), credits, "Invalid token"),
                (account.probeToken, ["in_use_credits": "0"], "total_credits"),
                (account.probeToken, ["total_credits": "lots", "in_use_credits": "0"], "total_credits"),
                (account.probeToken, ["total_credits": "10"], "in_use_credits"),
            ]
            for (token, headers, message) in cases {
                let probe = try implementation.make()
                let answer = try await probe.connect(port: port, token: token, headers: headers)
                #expect(answer?["event"] == .string("connect_error"), "\(headers) \(String(describing: answer))")
                #expect(answer?["data"]?["message"]?.string?.contains(message) == true, "\(String(describing: answer))")
            }
            #expect(try await Self.probeStatus(client, account.probe)?["connected"] == .bool(false))
        }
    }

    @Test("the newest connection of a probe wins; results for operations not given to the probe and gzip bombs are refused",
          arguments: ProbeImplementation.allCases, StoreKind.allCases)
    func newestWinsAndLimits(_ implementation: ProbeImplementation, _ store: StoreKind) async throws {
        let harness = try await ServerHarness(store: store, environment: ["PLADMED_MAX_RESULT_BYTES": "100000"])
        try await harness.run { client in
            let port = try #require(client.port)
            let account = try await Self.account(harness, client)
            let headers = ["total_credits": "1000", "in_use_credits": "0"]
            let first = try implementation.make()
            #expect(try await first.connect(port: port, token: account.probeToken, headers: headers)?["event"] == .string("connected"))
            let second = try implementation.make()
            #expect(try await second.connect(port: port, token: account.probeToken, headers: ["total_credits": "500", "in_use_credits": "100"])?["event"] == .string("connected"))
            try await Task.sleep(for: .milliseconds(300))
            // The newer connection's credits count; the older connection was closed and its end changed nothing.
            #expect(try await Self.probeStatus(client, account.probe)?["availability"]?.number == 0.8)
            #expect(try await Self.probeStatus(client, account.probe)?["connected"] == .bool(true))

            let trace = try await Self.operation(client, account, "traceroute", Self.once, format: "json")
            #expect(await second.next()?["name"] == .string("traceroute"))
            let traceID = try #require(trace["_id"]?.string)

            // Another user's probe may not upload for this operation.
            let other = try await Self.account(harness, client, email: "other@example.com")
            let intruder = try implementation.make()
            #expect(try await intruder.connect(port: port, token: other.probeToken, headers: headers)?["event"] == .string("connected"))
            let refused = try await intruder.upload(operation: traceID, path: Self.warts, code: "x")
            #expect(refused?["data"]?.array?.first?["Error"]?.string?.contains("was not given to this probe") == true)

            // 10 MB of zeros in a few kilobytes of gzip, beyond the configured 100 kB.
            let bomb = harness.folder.path("bomb.gz")
            #expect(try await ChildProcess.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "head -c 10000000 /dev/zero | gzip -c > \(bomb)"]).status == 0)
            let answer = try await second.upload(operation: traceID, path: bomb, code: "bomb", format: "gzip")
            #expect(answer?["data"]?.array?.first?["Error"]?.string?.contains("expands beyond 100000 bytes") == true)
            #expect(try await client.send(.get, "/operation?id=\(traceID)").json?["results"] == .array([]))

            _ = try await second.disconnect()
            #expect(await Eventually.passes { try await Self.probeStatus(client, account.probe)?["connected"] == .bool(false) })
        }
    }
}
