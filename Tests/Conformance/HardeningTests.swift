import Foundation
import HummingbirdTesting
import PladmedCore
import PladmedTestSupport
import Testing

/// The hardened contract (docs/endpoints/DEVIATIONS.md) over real HTTP.
@Suite("Hardened contract")
struct HardeningTests {
    /// A user with a token and credits, and a connected probe of theirs.
    struct World {
        let token: String
        let probe: ObjectID
    }

    func world(_ harness: ServerHarness, _ client: any TestClientProtocol, credits: Double) async throws -> World {
        #expect(try await client.send(.post, "/register", body: #"{"email":"u@example.com","password":"Secure_Pass1"}"#).status == 201)
        let login = try await client.send(.post, "/login", body: #"{"email":"u@example.com","password":"Secure_Pass1"}"#)
        let token = try #require(login.json?["access_token"]?.string)
        let user = try #require(try await harness.store.user(email: "u@example.com"))
        if credits > 0 { _ = try await harness.store.addCredits(credits, to: user.id) }
        let registered = try await client.send(.post, "/probes", headers: ["access_token": token],
                                               body: #"{"location":{"latitude":1,"longitude":2}}"#)
        #expect(registered.status == 201)
        let probe = try #require(try await harness.store.probes(owner: user.id).first)
        harness.registry.connect(probe: probe.id, connectionID: "c", status: .init(totalCredits: 1_000_000, inUseCredits: 0)) { _ in }
        return World(token: token, probe: probe.id)
    }

    func ping(_ world: World) -> String {
        #"{"probes":["\#(world.probe.hex)"],"params":{"cron":"* * * * *","stop_time":"01/01/2020 00:00","times_per_minute":1,"ips":["8.8.8.8"]}}"#
    }

    @Test("a client that pools connections as Node's agent does meets no closed connection: Connection: close is said when done")
    func connectionClose() async throws {
        let harness = try await ServerHarness()
        try await harness.run { client in
            let port = try #require(client.port)
            let output = try await Oracle.run("clients/http_pooling_client.py", [
                String(port), "GET:/probes", "GET:/nope", "POST:/login", "GET:/users/me", "DELETE:/login", "GET:/socket.io/?transport=polling",
            ])
            let result = try JSONValue(parsing: Data(output.utf8))
            #expect(result["failures"] == .array([]), "\(result["failures"] ?? .null)")
            let answers = try #require(result["answers"]?.array)
            #expect(answers.count == 54)
            for answer in answers {
                #expect((answer.array?[4] == .string("close")) == (answer.array?[2] == .bool(true)), "\(answer)")
            }
        }
    }

    @Test("100 concurrent operations by one user never overdraw", arguments: StoreKind.allCases)
    func concurrentSpending(_ store: StoreKind) async throws {
        let harness = try await ServerHarness(store: store)
        try await harness.run { client in
            let world = try await world(harness, client, credits: 37)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<100 {
                    group.addTask { try await client.send(.post, "/ping", headers: ["access_token": world.token], body: ping(world)).status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 201 }.count == 37)
            #expect(statuses.filter { $0 == 400 }.count == 63)
            let me = try await client.send(.get, "/users/me", headers: ["access_token": world.token])
            #expect(me.json?["credits"]?.number == 0)
            let mine = try await client.send(.get, "/operations/me", headers: ["access_token": world.token])
            #expect(mine.json?.array?.count == 37)
        }
    }

    @Test("bodies that are not JSON objects get a 400 JSON error on every POST, never 401 or 500", arguments: StoreKind.allCases)
    func nonObjectBodies(_ store: StoreKind) async throws {
        let harness = try await ServerHarness(store: store)
        try await harness.run { client in
            let world = try await world(harness, client, credits: 0)
            for path in ["/register", "/login", "/credits", "/probes", "/traceroute", "/ping", "/dns"] {
                for body in ["5", "nope", "", "[1,2]", "null", "\"text\"", "{\"a\":"] {
                    let answer = try await client.send(.post, path, headers: ["access_token": world.token], body: body)
                    let label = "POST \(path) with body \(body.debugDescription)"
                    // /credits is for superusers: a plain user is refused before the body is read.
                    #expect(answer.status == (path == "/credits" ? 401 : 400), "\(label)")
                    #expect(answer.json?["Error"]?.string?.isEmpty == false, "\(label): \(String(decoding: answer.body, as: UTF8.self))")
                }
            }
        }
    }

    @Test("request errors that are not about credentials never answer 401", arguments: StoreKind.allCases)
    func no401ForBadData(_ store: StoreKind) async throws {
        let harness = try await ServerHarness(store: store)
        try await harness.run { client in
            let world = try await world(harness, client, credits: 100)
            let auth = ["access_token": world.token]
            let cases: [(String, String, Int, String)] = [
                ("/probes", #"{}"#, 400, "Missing location field"),
                ("/probes", #"{"location":null}"#, 400, "Missing location field"),
                ("/probes", #"{"location":{"latitude":95,"longitude":2}}"#, 400, "location.latitude must be between -90 and 90"),
                ("/probes", #"{"location":"here"}"#, 400, "location is not a JSON object"),
                ("/traceroute", #"{"probes":["\#(world.probe.hex)"],"params":{"cron":"* * * * *","stop_time":"01/01/2020 00:00","times_per_minute":1,"ips":["8.8.8.8"]}}"#,
                 400, "Missing result_format field"),
                ("/traceroute", #"{"probes":"\#(world.probe.hex)","params":{}}"#, 400, "Invalid data provided"),
                ("/ping", #"{"probes":["\#(world.probe.hex)"],"params":{"cron":"* * * * *","stop_time":"01/01/2020 00:00","times_per_minute":-1,"ips":["8.8.8.8"]}}"#,
                 400, "Invalid data provided"),
                ("/dns", #"{"probes":["\#(world.probe.hex)"],"params":{"cron":"* * * * *","stop_time":"01/01/2020 00:00","times_per_minute":1,"fqdns":["a.example"],"ipv4":"1.2.3.4"}}"#,
                 400, "Invalid data provided"),
            ]
            for (path, body, status, message) in cases {
                let answer = try await client.send(.post, path, headers: auth, body: body)
                #expect(answer.status == status, "POST \(path) \(body)")
                #expect(answer.json?["Error"]?.string == message, "POST \(path) \(body)")
            }
        }
    }

    @Test("operations go to the available probes only, and each gets the job", arguments: StoreKind.allCases)
    func dispatch(_ store: StoreKind) async throws {
        let harness = try await ServerHarness(store: store)
        try await harness.run { client in
            let world = try await world(harness, client, credits: 100)
            let auth = ["access_token": world.token]
            let second = try await harness.store.createProbe(owner: ObjectID(), location: Location(latitude: 0, longitude: 0))
            let received = Mutex<[ObjectID]>([])
            harness.registry.connect(probe: second.id, connectionID: "small", status: .init(totalCredits: 10, inUseCredits: 0)) { _ in
                received.withLock { $0.append(second.id) }
            }
            let body = #"{"probes":["\#(world.probe.hex)","\#(second.id.hex)"],"params":{"cron":"* * * * *","stop_time":"01/01/2020 00:00","times_per_minute":1,"ips":["8.8.8.8"]},"result_format":"dump"}"#
            let created = try await client.send(.post, "/traceroute", headers: auth, body: body)
            #expect(created.status == 201)
            #expect(created.json?["probes"]?.array?.map { $0["identifier"]?.string } == [world.probe.hex])
            #expect(created.json?["result_format"] == .string("dump"))
            #expect(received.withLock { $0 }.isEmpty, "the probe without capacity got the job")
            let ping = try await client.send(.post, "/ping", headers: auth, body: #"{"probes":["\#(second.id.hex)"],"params":{"cron":"* * * * *","stop_time":"01/01/2020 00:00","times_per_minute":1,"ips":["8.8.8.8"]}}"#)
            #expect(ping.status == 201)
            #expect(received.withLock { $0 } == [second.id])
        }
    }
}
