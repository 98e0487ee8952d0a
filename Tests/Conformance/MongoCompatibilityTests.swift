import Foundation
import HummingbirdTesting
import Logging
import PladmedServer
import PladmedCore
import PladmedTestSupport
import Testing

/// A database written by the original (pymongo documents, passlib hashes, ObjectIds, GeoJSON, embedded
/// results) is served unchanged by our MongoDB store, and what we add keeps the original's shapes.
@Suite("MongoDB: a database the original wrote")
struct MongoCompatibilityTests {
    @Test("login with the passlib hash, the probe's old token, the stored results; new writes in the original's shapes")
    func legacyDatabase() async throws {
        let uri = try SecantusServer.shared().uri()
        let seeded = try JSONValue(parsing: try await Oracle.run("oracles/mongo_original.py", ["seed", uri], venv: "secantus"))
        let userID = try #require(seeded["user"]?.string), probeID = try #require(seeded["probe"]?.string)
        let operationID = try #require(seeded["operation"]?.string)
        let harness = try await ServerHarness(store: .mongo, environment: ["MONGODB_URI": uri])
        let served = Mutex<Data?>(nil)
        try await harness.run { client in
            let login = try await client.send(.post, "/login", body: #"{"email":"LEGACY@example.com","password":"Legacy_Pass1"}"#)
            #expect(login.status == 200, "the email key prepare() filled finds the original's user in another case")
            let token = try #require(login.json?["access_token"]?.string)
            let me = try await client.send(.get, "/users/me", headers: ["access_token": token]).json
            #expect(me?["_id"] == .string(userID) && me?["credits"]?.number == 100 && me?["email"] == .string("legacy@example.com"))

            let operation = try await client.send(.get, "/operation?id=\(operationID)").json
            #expect(operation?["results"] == .array([.object([
                "probe": .string(probeID),
                "results": .array([.object(["type": .string("trace"), "dst": .string("8.8.8.8"), "hop_count": .int(3)])]),
            ])]))
            #expect(operation?["credits"]?.number == 30 && operation?["params"]?["ips"] == .array([.string("8.8.8.8")]))
            let probes = try await client.send(.get, "/probes").json?.array
            #expect(probes?.first?["location"] == .object(["latitude": .double(-34.6), "longitude": .double(-58.4)]))

            // The probe connects with the token the original issued (PyJWT HS256 of its id) and uploads a result, and
            // again with the embedded result's code: a duplicate.
            let probeToken = TokenService(secret: "dev").probeToken(
                for: Probe(id: ObjectID(probeID)!, owner: ObjectID(userID)!, location: Location(latitude: -34.6, longitude: -58.4)))
            let probe = SwiftProbe()
            #expect(try await probe.connect(port: client.port!, token: probeToken, headers: ["total_credits": "100", "in_use_credits": "0"])?["event"]
                == .string("connected"))
            let warts = Repository.file("Fixtures/warts/sample-backend-warts_example.warts").path
            #expect(try await probe.upload(operation: operationID, path: warts, code: "new-1")?["data"] == .array([.string(operationID)]))
            #expect(try await probe.upload(operation: operationID, path: warts, code: "legacy-1")?["data"] == .array([.string(operationID)]))
            _ = try await probe.disconnect()
            let after = try await client.send(.get, "/users/me", headers: ["access_token": token]).json
            #expect(after?["credits"]?.number == 110)
            let whole = try await client.send(.get, "/operation?id=\(operationID)")
            #expect(whole.json?["results"]?.array?.map { $0["results"]?.array?.count } == [1, 4])
            served.withLock { $0 = whole.body }
        }
        // The embedded result stays where the original wrote it; ours is a document of its own, in the original's
        // entry shape plus its operation.
        func show() async throws -> (embedded: [JSONValue], stored: [JSONValue]) {
            let operation = try JSONValue(parsing: try await Oracle.run("oracles/mongo_original.py", ["show", uri, operationID], venv: "secantus"))
            let stored = try JSONValue(parsing: try await Oracle.run("oracles/mongo_original.py", ["results", uri, operationID], venv: "secantus"))
            #expect(operation["probes"] == .array([.object(["$oid": .string(probeID)])]) && operation["owner"] == .object(["$oid": .string(userID)]))
            return (try #require(operation["results"]?.array), try #require(stored.array))
        }
        var (embedded, stored) = try await show()
        #expect(embedded.map { $0["unique_code"] } == [.string("legacy-1")])
        #expect(stored.count == 1)
        #expect(stored.first?["probe"] == .object(["$oid": .string(probeID)]) && stored.first?["operation"] == .object(["$oid": .string(operationID)]))
        #expect(stored.first?["unique_code"] == .string("new-1") && stored.first?["results"]?.array?.count == 4)

        // A rollback to the original: the results move into the document, in order, in the original's shapes.
        let moveIn = try await CLITests.run(CLITests.binary, ["migrate", "results-in", "--store", uri])
        #expect(moveIn.status == 0 && moveIn.output.contains("moved 1 results of 1 operations"), "\(moveIn.output)")
        (embedded, stored) = try await show()
        #expect(embedded.map { $0["unique_code"] } == [.string("legacy-1"), .string("new-1")] && stored.isEmpty)
        #expect(embedded.last?["probe"] == .object(["$oid": .string(probeID)]) && embedded.last?["results"]?.array?.count == 4)
        #expect(embedded.last?.object.map { Array($0.keys).sorted() } == ["probe", "results", "unique_code"])

        // And out again: both results are documents, the formerly embedded ones first; the API answers the same bytes.
        let moveOut = try await CLITests.run(CLITests.binary, ["migrate", "results-out", "--store", uri])
        #expect(moveOut.status == 0 && moveOut.output.contains("moved 2 results of 1 operations"), "\(moveOut.output)")
        let again = try await CLITests.run(CLITests.binary, ["migrate", "results-out", "--store", uri])
        #expect(again.output.contains("moved 0 results of 0 operations"), "\(again.output)")
        (embedded, stored) = try await show()
        #expect(embedded.isEmpty && stored.map { $0["unique_code"] } == [.string("legacy-1"), .string("new-1")])
        try await ServerHarness(store: .mongo, environment: ["MONGODB_URI": uri]).run { client in
            #expect(try await client.send(.get, "/operation?id=\(operationID)").body == served.withLock { $0 })
            // The moved result still counts as this probe's and its code as taken.
            let probe = SwiftProbe()
            let probeToken = TokenService(secret: "dev").probeToken(
                for: Probe(id: ObjectID(probeID)!, owner: ObjectID(userID)!, location: Location(latitude: -34.6, longitude: -58.4)))
            _ = try await probe.connect(port: client.port!, token: probeToken, headers: ["total_credits": "100", "in_use_credits": "0"])
            let warts = Repository.file("Fixtures/warts/sample-backend-warts_example.warts").path
            #expect(try await probe.upload(operation: operationID, path: warts, code: "legacy-1")?["data"] == .array([.string(operationID)]))
            _ = try await probe.disconnect()
            #expect(try await client.send(.get, "/operation?id=\(operationID)").json?["results"]?.array?.count == 2)
        }
    }
}

/// The database going away while the server runs: 503 with a JSON error and /health degraded, then recovery
/// when it is back, with nothing acknowledged before lost.
@Suite("MongoDB: outages")
struct MongoOutageTests {
    @Test("a paused database gives 503 {\"Error\"} and a degraded /health; when it is back everything works and nothing is lost")
    func outage() async throws {
        let database = try SecantusServer.start()
        defer { database.stop() }
        let uri = database.uri() + "?serverSelectionTimeoutMS=1000&socketTimeoutMS=1500&connectTimeoutMS=1000"
        let harness = try await ServerHarness(store: .mongo, environment: ["MONGODB_URI": uri])
        try await harness.run { client in
            #expect(try await client.send(.post, "/register", body: #"{"email":"before@example.com","password":"Secure_Pass1"}"#).status == 201)
            #expect(try await client.send(.get, "/health").status == 200)

            database.pause()
            let during = try await client.send(.post, "/register", body: #"{"email":"during@example.com","password":"Secure_Pass1"}"#)
            #expect(during.status == 503)
            #expect(during.json?["Error"]?.string?.contains("database is unavailable") == true)
            let health = try await client.send(.get, "/health")
            #expect(health.status == 503 && health.json?["status"] == .string("degraded"))

            database.resume()
            var recovered = false
            for _ in 0..<50 where !recovered {
                recovered = try await client.send(.get, "/health").status == 200
                if !recovered { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(recovered)
            #expect(try await client.send(.post, "/login", body: #"{"email":"before@example.com","password":"Secure_Pass1"}"#).status == 200)
            #expect(try await client.send(.post, "/register", body: #"{"email":"after@example.com","password":"Secure_Pass1"}"#).status == 201)
        }
    }

    @Test("a database unreachable at start: the server serves, says so on /health and in 503s, and keeps retrying with a log line")
    func unreachableAtStart() async throws {
        // Port 1 on the loopback: nothing listens there.
        let uri = "mongodb://127.0.0.1:1/pladmed?serverSelectionTimeoutMS=300&connectTimeoutMS=300"
        let harness = try await ServerHarness(store: .mongo, environment: ["MONGODB_URI": uri], prepare: false)
        let lines = Mutex<[String]>([])
        let logger = Logger(label: "retry") { _ in CapturingLogHandler(lines: lines) }
        let retrying = Task { try await PladmedApplication.prepare(harness.store, logger: logger, retrying: true) }
        defer { retrying.cancel() }
        try await harness.run { client in
            let health = try await client.send(.get, "/health")
            // The store's state, not its error text (the database's address and driver messages are the log's).
            #expect(health.status == 503 && health.json?["store"] == .string("mongo: unavailable"), "\(String(decoding: health.body, as: UTF8.self))")
            let register = try await client.send(.post, "/register", body: #"{"email":"x@example.com","password":"Secure_Pass1"}"#)
            #expect(register.status == 503 && register.json?["Error"] != nil)
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while lines.withLock({ $0.count }) < 2 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        #expect(lines.withLock { $0.filter { $0.contains("store unreachable") && $0.contains("mongo") }.count } >= 2)
    }
}

/// Collects log messages for assertions.
struct CapturingLogHandler: LogHandler {
    let lines: Mutex<[String]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        lines.withLock { $0.append("\(message) \(metadata ?? [:])") }
    }
}
