import Foundation
import HTTPTypes
import HummingbirdTesting
import PladmedCore
import PladmedTestSupport
import SocketIO
import Testing

/// Credits are conserved: no sequence of calls by any users and probes raises the total credits of all users,
/// except a superuser's grant. A seeded property test drives the real server (HTTP, and our Socket.IO client as
/// the probes) through random registrations, grants, operations (cheap, huge, denormal `times_per_minute`, others'
/// probes, unknown ones), connections, credit messages and uploads (duplicates, excess, wrong probe, unknown
/// operation), and checks the invariant after every step.
@Suite("Credit conservation", .serialized)
struct CreditConservationTests {
    /// SplitMix64: the same seed gives the same sequence.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    struct Account {
        let id: ObjectID
        let token: String
    }

    struct ProbeEntry {
        let id: String
        let token: String
        var client: SocketIOClient?
    }

    final class World {
        var accounts: [Account] = []
        var probes: [ProbeEntry] = []
        var operations: [String] = []
        var codes: [String] = []
        var random: Generator
        init(seed: UInt64) { random = Generator(state: seed) }
        func pick<T>(_ items: [T]) -> T? { items.isEmpty ? nil : items[Int.random(in: 0..<items.count, using: &random)] }
        func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &random) < probability }
    }

    static let warts = Array(try! Data(contentsOf: Repository.file("Fixtures/warts/sample-backend-warts_example.warts")))
    static let gzip = Array(Data(base64Encoded: "H4sIAAAAAAACA7O2VnD0Cw53DVIIdnUO8fT3s+JKrUjMLchJ1ctLLdFTMDYwUPD0U/CNUDA0UMhNzMzRQ5bmAgCY9uYHPwAAAA==")!)

    static func total(_ harness: ServerHarness) async throws -> Double {
        try await harness.store.users().reduce(0) { $0 + $1.credits }
    }

    @Test("no sequence of calls raises the total credits but a superuser's grant", arguments: [UInt64(1), 2, 3])
    func conservation(seed: UInt64) async throws {
        let harness = try await ServerHarness()
        let superuser = try await harness.store.createUser(email: "root@example.com", passwordHash: PasswordHasher().hash("R00t!pass"), isSuperuser: true)
        try await harness.run { client in
            let port = try #require(client.port)
            let login = try await client.send(.post, "/login", body: #"{"email":"root@example.com","password":"R00t!pass"}"#)
            let superToken = try #require(login.json?["access_token"]?.string)
            let world = World(seed: seed)
            // Charges take credits out of circulation and rewards give some back, never more: the total never
            // exceeds what was ever granted, and each operation has paid out at most what it charged.
            var granted = try await Self.total(harness)
            var counts: [String: Int] = [:]
            for step in 0..<140 {
                let (kind, grant) = try await Self.step(world, client: client, port: port, superToken: superToken, superuser: superuser.id)
                counts[kind, default: 0] += 1
                granted += grant
                let users = try await harness.store.users()
                let total = users.reduce(0) { $0 + $1.credits }
                #expect(total <= granted + 1e-6 * max(1, granted), "seed \(seed) step \(step) \(kind): \(total) > granted \(granted)")
                for user in users { #expect(user.credits.isFinite && user.credits >= 0, "seed \(seed) step \(step) \(kind): \(user.credits)") }
                for operation in try await harness.store.operations(owner: nil, includeResults: true) {
                    let allowance = ResultAllowance(operation)
                    let perProbe = Dictionary(grouping: operation.results, by: \.probe).mapValues(\.count)
                    #expect(perProbe.values.allSatisfy { $0 <= allowance.resultsPerProbe }, "seed \(seed) step \(step): \(perProbe)")
                    // Past the rewarded results, one more per probe is stored unpaid.
                    let paid = perProbe.values.reduce(0) { $0 + min($1, allowance.rewardedResultsPerProbe) }
                    #expect(Double(paid) * allowance.rewardPerResult <= operation.credits + 1e-9,
                            "seed \(seed) step \(step): \(paid) x \(allowance.rewardPerResult) > \(operation.credits)")
                }
                #expect(try await client.send(.get, "/probes").status == 200, "seed \(seed) step \(step) \(kind)")
            }
            for probe in world.probes { await probe.client?.disconnect() }
            // Every kind of step ran.
            #expect(Set(counts.keys).isSuperset(of: ["register", "grant", "operation", "connect", "credits", "upload"]), "\(counts)")
        }
    }

    /// One random step; returns its kind and what a superuser granted in it.
    static func step(
        _ world: World, client: any TestClientProtocol, port: Int, superToken: String, superuser: ObjectID
    ) async throws -> (String, Double) {
        let roll = Int.random(in: 0..<100, using: &world.random)
        switch roll {
        case _ where roll < 8 || world.accounts.count < 2:
            let email = "user\(world.accounts.count)-\(UInt32.random(in: 0...UInt32.max, using: &world.random))@example.com"
            _ = try await client.send(.post, "/register", body: #"{"email":"\#(email)","password":"Secure_Pass1"}"#)
            let login = try await client.send(.post, "/login", body: #"{"email":"\#(email)","password":"Secure_Pass1"}"#)
            if let token = login.json?["access_token"]?.string {
                let user = try await client.send(.get, "/users/me", headers: ["access_token": token])
                if let text = user.json?["_id"]?.string, let userID = ObjectID(text) { world.accounts.append(Account(id: userID, token: token)) }
            }
            return ("register", 0)
        case 8..<16:
            guard let account = world.pick(world.accounts) else { return ("grant", 0) }
            let amount = world.pick(["1", "100", "2.5", "1e6", "1e308", "1e12", "1e-320"])!
            let answer = try await client.send(.post, "/credits", headers: ["access_token": superToken],
                                               body: #"{"id":"\#(account.id.hex)","credits":\#(amount)}"#)
            return ("grant", answer.status == 200 ? Double(amount)! : 0)
        case _ where (16..<24).contains(roll) || world.probes.count < 2:
            guard let owner = world.pick(world.accounts) else { return ("probe", 0) }
            let answer = try await client.send(.post, "/probes", headers: ["access_token": owner.token], body: #"{"location":{"latitude":1,"longitude":2}}"#)
            if let token = answer.json?["token"]?.string {
                let mine = try await client.send(.get, "/probes/me", headers: ["access_token": owner.token])
                if let id = mine.json?.array?.last?["identifier"]?.string { world.probes.append(ProbeEntry(id: id, token: token)) }
            }
            return ("probe", 0)
        case 24..<44:
            guard let owner = world.pick(world.accounts) else { return ("operation", 0) }
            let kind = world.pick(["traceroute", "ping", "dns"])!
            var probes = (0..<Int.random(in: 1...3, using: &world.random)).compactMap { _ in world.pick(world.probes)?.id }
            if world.chance(0.1) { probes.append("5f0000000000000000000000") }
            let tpm = world.pick(["1", "2", "0.5", "1e-12", "1e-320", "1e6", "1e300", "12.75"])!
            let schedule = world.pick([#""cron":"* * * * *","stop_time":"01/01/2020 00:00""#, #""cron":"0 0 * * *","stop_time":"01/01/2030 00:00""#])!
            let destinations = kind == "dns" ? #""fqdns":["a.example","b.example"]"# : #""ips":["192.0.2.1"]"#
            let format = kind == "traceroute" ? #","result_format":"json""# : ""
            let list = probes.map { "\"\($0)\"" }.joined(separator: ",")
            let answer = try await client.send(.post, "/\(kind)", headers: ["access_token": owner.token], body: """
                {"probes":[\(list)],"params":{\(schedule),"times_per_minute":\(tpm),\(destinations)}\(format)}
                """)
            if answer.status == 201, let id = answer.json?["_id"]?.string { world.operations.append(id) }
            return ("operation", 0)
        case 44..<56:
            guard let index = world.probes.indices.randomElement(using: &world.random) else { return ("connect", 0) }
            if let old = world.probes[index].client {
                await old.disconnect()
                world.probes[index].client = nil
                return ("disconnect", 0)
            }
            let total = world.pick(["0", "10", "1000", "1000000", "9223372036854775807"])!
            var headers = HTTPFields()
            headers[HTTPField.Name("total_credits")!] = total
            headers[HTTPField.Name("in_use_credits")!] = world.pick(["0", "5", total])!
            let probe = SocketIOClient(options: .init(url: "http://127.0.0.1:\(port)", query: ["token": world.probes[index].token], headers: headers))
            if (try? await probe.connect()) != nil { world.probes[index].client = probe }
            return ("connect", 0)
        case 56..<68:
            guard let probe = world.pick(world.probes.compactMap(\.client)) else { return ("credits", 0) }
            let event = world.pick(["new_operation", "finish_operation"])!
            let credits = world.pick(["1e308", "10", "-5", "0", "1e300", "\"x\""])!
            try? await probe.emit(event, [SocketIOValue(try JSONValue(parsing: #"{"credits":\#(credits)}"#))])
            return ("credits", 0)
        default:
            guard let probe = world.pick(world.probes.compactMap(\.client)) else { return ("upload", 0) }
            let operation = world.chance(0.1) ? "5f0000000000000000000000" : (world.pick(world.operations) ?? "5f0000000000000000000000")
            let code = world.chance(0.3) ? (world.pick(world.codes) ?? UUID().uuidString) : String(UInt64.random(in: 0...UInt64.max, using: &world.random))
            world.codes.append(code)
            let (format, content) = world.chance(0.5) ? ("warts", Self.warts) : ("gzip", Self.gzip)
            _ = try? await probe.emitWithAck("results", [.object([
                "operation_id": .string(operation), "content": .binary(content), "unique_code": .string(code), "format": .string(format),
            ])], timeout: .seconds(5))
            return ("upload", 0)
        }
    }
}
