import Foundation
import HTTPTypes
import HummingbirdTesting
import JSONValues
import NIOCore
import PladmedConformance
import PladmedCore
import PladmedServer
import PladmedStorage
import PladmedTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Cluster mode on real parts, all on loopback: Debian's redis-server, a SecantusDB, three `pladmed serve`
/// instances (`server1` to `server3`) and Debian's nginx in front of them with `deploy/nginx/pladmed.conf`; probes are
/// python-socketio 5.0.4 (what probes pin). Each test has a cluster of its own, one at a time.
@Suite("Several instances behind nginx, joined by Redis", .serialized)
struct ClusterTests {
    /// The parts of one cluster.
    final class Cluster: @unchecked Sendable {
        static let names = ["server1", "server2", "server3"]
        static let ttl = 2.0

        var redis: RedisServer
        /// Holds each instance's log (`server1.log`, ...).
        let folder = TemporaryDirectory()
        let secantus: SecantusServer
        let environment: [String: String]
        /// The instances, in the order of ``names``; ``restart(_:)`` replaces one.
        private(set) var servers: [CrashTests.ServerProcess]
        let nginx: NginxServer
        let openStore: @Sendable () async throws -> any Store

        /// With `certificate`, nginx serves HTTPS with it, as deployed.
        init(certificate: TestCertificate? = nil) throws {
            redis = try RedisServer()
            secantus = try SecantusServer.start()
            let environment = [
                "DATABASE": "mongo", "MONGODB_URI": secantus.uri(), "REDIS_URL": redis.url(),
                "PLADMED_CLUSTER_TTL": String(Self.ttl), "PLADMED_TRUSTED_PROXIES": "127.0.0.1",
            ]
            self.environment = environment
            openStore = try CrashTests.storeOpener(environment)
            servers = try Self.names.map { [folder] name in
                try CrashTests.ServerProcess(
                    environment: environment.merging(["PLADMED_INSTANCE": name, "LOG_FILE": folder.path("\(name).log")]) { $1 })
            }
            // TLS is the TLS tests' and the real probe's concern (NginxDeploymentTests, RealProbeTests): here nginx
            // serves plain HTTP where the deployment serves HTTPS, and the routing is the same.
            try FileManager.default.createDirectory(atPath: folder.path("frontend"), withIntermediateDirectories: true)
            let site = try NginxSite(upstreams: servers.map(\.port), certificate: certificate, frontend: folder.path("frontend"))
            nginx = try NginxServer(site: site.text, port: site.port)
        }

        deinit {
            for server in servers { server.kill() }
            nginx.stop()
            redis.stop()
            secantus.stop()
        }

        /// The last `lines` lines of each instance's log, to show with a failure.
        func logs(lines: Int = 30) -> String {
            Self.names.map { name in
                let text = (try? String(contentsOfFile: folder.path("\(name).log"), encoding: .utf8)) ?? ""
                return "--- \(name)\n" + text.split(separator: "\n").suffix(lines).joined(separator: "\n")
            }.joined(separator: "\n") + "\n--- nginx\n" + nginx.errorLog
        }

        /// Kills instance `index` with SIGKILL and starts it again, with its name, log and port.
        func restart(_ index: Int) throws {
            servers[index].kill()
            servers[index] = try CrashTests.ServerProcess(
                environment: environment.merging(["PLADMED_INSTANCE": Self.names[index], "LOG_FILE": folder.path("\(Self.names[index]).log")]) { $1 },
                port: servers[index].port)
        }

        /// Kills Redis outright and starts another on its port.
        func restartRedis() throws {
            redis.stop()
            redis = try RedisServer(port: redis.port)
        }
    }

    /// One HTTP request to 127.0.0.1:`port`; its status and body.
    static func request(
        _ port: Int, _ method: HTTPRequest.Method, _ path: String, body: String? = nil, token: String? = nil
    ) async throws -> (status: HTTPResponse.Status, body: String) {
        let client = TestClient(host: "127.0.0.1", port: port)
        client.connect()
        var headers = HTTPFields()
        if let token { headers[HTTPField.Name("access_token")!] = token }
        if body != nil { headers[.contentType] = "application/json" }
        let response: TestClient.Response
        do {
            response = try await client.execute(.init(
                path, method: method, authority: "127.0.0.1:\(port)", headers: headers, body: body.map { ByteBuffer(string: $0) }))
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return (response.status, response.body.map { String(buffer: $0) } ?? "")
    }

    /// `GET /probes` through `port`: connected flag by probe id.
    static func listed(_ port: Int) async throws -> [String: Bool] {
        let answer = try await request(port, .get, "/probes")
        guard answer.status == .ok, let probes = try JSONValue(parsing: answer.body).array else { return [:] }
        return Dictionary(uniqueKeysWithValues: probes.compactMap { probe in
            probe["identifier"]?.string.map { ($0, probe["connected"] == .bool(true)) }
        })
    }

    /// The instance a session id belongs to (`server2.Xy...` → `server2`).
    static func home(_ session: String) -> String { String(session.prefix { $0 != "." }) }

    /// Ten runs a minute for two hours: far more results paid for than the loops upload.
    static var traceroute: String {
        let format = DateFormatter()
        format.dateFormat = "dd/MM/yyyy HH:mm"
        format.timeZone = TimeZone(identifier: "UTC")
        let stop = format.string(from: Date().addingTimeInterval(7200))
        return #"{"cron":"* * * * *","stop_time":"\#(stop)","times_per_minute":10,"ips":["8.8.8.8"]}"#
    }

    @Test("probes spread over the instances through nginx; jobs cross instances; results are stored and rewarded once; kill -9 of an instance loses nothing acknowledged")
    func spreadDispatchAndKill() async throws {
        let cluster = try Cluster()
        let tokens = TokenService(secret: "dev")
        let (owner, probes) = try await CrashTests.seed(cluster.openStore, probes: 7)
        let roaming = Array(probes.prefix(6))
        // Six probes through nginx, long-polling first and then upgrading (sticky by session id), reconnecting.
        let uploaders = try roaming.enumerated().map { index, probe in
            try CrashTests.Uploader(
                port: cluster.nginx.port, token: tokens.probeToken(for: probe), prefix: "p\(index)", reconnect: true, polling: true)
        }
        // A seventh straight on server2, not reconnecting: it shows what a dead instance's probes look like.
        let pinned = try CrashTests.Uploader(port: cluster.servers[1].port, token: tokens.probeToken(for: probes[6]), prefix: "pinned")
        #expect(try await Eventually.holds(within: 30, every: .milliseconds(20)) {
            (uploaders + [pinned]).allSatisfy { $0.connected.withLock { $0 } }
        })
        let homes = uploaders.map { Self.home($0.sessions.withLock { $0.last ?? "" }) }
        #expect(Set(homes) == Set(Cluster.names), "the probes' instances: \(homes)")

        // Every instance lists every probe as connected, the same way.
        var lists: [[String: Bool]] = []
        #expect(try await Eventually.holds(within: 10) {
            lists = []
            for server in cluster.servers { lists.append(try await Self.listed(server.port)) }
            return lists.allSatisfy { $0 == lists[0] } && lists[0].count == 7 && lists[0].values.allSatisfy { $0 }
        }, "\(lists)")

        // A traceroute through each instance reaches all seven probes, wherever they are.
        for (round, server) in cluster.servers.enumerated() {
            let status = try await CrashTests.traceroute(
                port: server.port, owner: owner, probes: probes, params: Self.traceroute, openStore: cluster.openStore)
            #expect(status == .created, "\(cluster.logs())")
            #expect(try await Eventually.holds(within: 10, every: .milliseconds(20)) {
                (uploaders + [pinned]).allSatisfy { $0.jobs.withLock { $0.count } == round + 1 }
            }, "jobs: \((uploaders + [pinned]).map { $0.jobs.withLock { $0.count } })")
        }

        // The loops upload to the last operation; then server2 dies mid-flight. (SecantusDB rewrites the whole operation
        // document on each result, a few tens per second at first and slower as it grows: a few tens make the point.)
        func acknowledged() -> Int { uploaders.reduce(0) { $0 + $1.acknowledged.withLock { $0.count } } }
        #expect(try await Eventually.holds(within: 60, every: .milliseconds(20)) { acknowledged() >= 30 })
        #expect(pinned.connected.withLock { $0 })
        // (A heartbeat the load held back past the TTL hides server2's probes till it renews: it logs a warning.)
        var listedBeforeKill: [String: Bool] = [:]
        #expect(try await Eventually.holds(within: 10) {
            listedBeforeKill = try await Self.listed(cluster.servers[0].port)
            return listedBeforeKill[probes[6].id.hex] == true
        }, "\(listedBeforeKill)\n\(cluster.logs(lines: 60))")
        let killedAt = ContinuousClock.now
        cluster.servers[1].kill()
        let before = acknowledged()

        // The pinned probe (on server2, not reconnecting) shows as disconnected within two TTLs.
        var seen: [String: Bool] = [:]
        #expect(try await Eventually.holds(within: 2 * Cluster.ttl + 1) {
            seen = try await Self.listed(cluster.servers[0].port)
            return seen[probes[6].id.hex] == false
        }, "\(seen)")
        let gone = ContinuousClock.now - killedAt
        #expect(gone < .seconds(2 * Cluster.ttl))

        // The roaming probes server2 held reconnect through nginx to the others and upload on. A kill that lands inside
        // a MongoDB transaction leaves it open, holding the operation's document, until the database aborts it
        // (transactionLifetimeLimitSeconds: 60 s in mongod and in SecantusDB): uploads to that operation wait till then.
        let moved = uploaders.enumerated().filter { homes[$0.offset] == "server2" }.map(\.element)
        #expect(!moved.isEmpty)
        #expect(try await Eventually.holds(within: 90, every: .milliseconds(20)) {
            moved.allSatisfy { uploader in
                uploader.connected.withLock { $0 } && Self.home(uploader.sessions.withLock { $0.last ?? "" }) != "server2"
            } && acknowledged() >= before + 20
        }, "sessions: \(moved.map { $0.sessions.withLock { $0 } })\n\(cluster.logs(lines: 40))")
        print("cluster: uploads resumed \(ContinuousClock.now - killedAt) after the kill")
        #expect(try await Eventually.holds(within: 5) {
            seen = try await Self.listed(cluster.servers[0].port)
            return seen[probes[6].id.hex] == false && roaming.allSatisfy { seen[$0.id.hex] == true }
        }, "\(seen)")
        // server3 may serve an answer it kept for up to PLADMED_PROBE_LIST_MAX_AGE (1 s).
        #expect(try await Eventually.holds(within: 3) { try await Self.listed(cluster.servers[2].port) == seen })

        // Everything acknowledged is stored, once, and rewarded once.
        for uploader in uploaders + [pinned] { kill(uploader.process.processIdentifier, SIGKILL) }
        let codes = uploaders.flatMap { $0.acknowledged.withLock { $0 } }
        let store = try await cluster.openStore()
        // Uploads still in flight may land meanwhile: read the results between two equal balances (a result and its
        // reward are one transaction).
        var operations: [OperationRecord] = [], balance: Double?
        #expect(try await Eventually.holds(within: 90) {
            let before = try await store.user(id: owner.id)?.credits
            operations = try await store.operations(owner: owner.id, includeResults: true)
            balance = try await store.user(id: owner.id)?.credits
            return before == balance
        })
        #expect(operations.count == 3)
        // A code retried after a lost ack may go to a newer operation: codes are unique per operation.
        for operation in operations {
            let codes = operation.results.map(\.uniqueCode)
            #expect(Set(codes).count == codes.count, "a unique code was stored twice in \(operation.id)")
        }
        let stored = operations.flatMap { $0.results.map(\.uniqueCode) }
        let missing = Set(codes).subtracting(stored)
        #expect(missing.isEmpty, "\(missing.count) acknowledged results were lost: \(missing.prefix(5))")
        let charged = operations.reduce(0) { $0 + $1.credits }
        #expect(balance == 1_000_000 - charged + Double(stored.count) * 10)
        print("cluster: \(codes.count) results acknowledged, \(stored.count) stored; a dead instance's probe gone in \(gone)")
    }

    @Test("a newer connection on another instance replaces the older; Redis down: operations 503, the rest serves; Redis back: the cluster recovers")
    func replacementAndRedisRestart() async throws {
        let cluster = try Cluster()
        let tokens = TokenService(secret: "dev")
        let (owner, probes) = try await CrashTests.seed(cluster.openStore, probes: 3)
        let ports = cluster.servers.map(\.port)
        // Probe 0 on server1, then again on server2: server1 closes its older connection.
        let older = try CrashTests.Uploader(port: ports[0], token: tokens.probeToken(for: probes[0]), prefix: "older")
        #expect(try await Eventually.holds(within: 20, every: .milliseconds(20)) { older.connected.withLock { $0 } })
        var uploaders = [try CrashTests.Uploader(port: ports[1], token: tokens.probeToken(for: probes[0]), prefix: "p0", reconnect: true)]
        #expect(try await Eventually.holds(within: 20, every: .milliseconds(20)) {
            uploaders[0].connected.withLock { $0 } && !older.connected.withLock { $0 }
        })
        uploaders.append(try CrashTests.Uploader(port: ports[1], token: tokens.probeToken(for: probes[1]), prefix: "p1", reconnect: true))
        uploaders.append(try CrashTests.Uploader(port: ports[2], token: tokens.probeToken(for: probes[2]), prefix: "p2", reconnect: true))
        #expect(try await Eventually.holds(within: 20, every: .milliseconds(20)) { uploaders.allSatisfy { $0.connected.withLock { $0 } } })
        #expect(try await Eventually.holds(within: 10) {
            try await Self.listed(ports[0]).values.filter { $0 }.count == 3
        })
        #expect(try await CrashTests.traceroute(
            port: ports[0], owner: owner, probes: probes, params: Self.traceroute, openStore: cluster.openStore) == .created)
        #expect(try await Eventually.holds(within: 10, every: .milliseconds(20)) { uploaders.allSatisfy { $0.jobs.withLock { $0.count } == 1 } })
        #expect(older.jobs.withLock { $0.isEmpty })

        // Redis killed: operation creation answers 503 with an error; listing, login and the rest serve on.
        cluster.redis.stop()
        let login = try await Self.request(ports[0], .post, "/login", body: #"{"email":"owner@example.com","password":"Secure_Pass1"}"#)
        #expect(login.status == .ok)
        let token = try #require(try JSONValue(parsing: login.body)["access_token"]?.string)
        let body = #"{"probes":[\#(probes.map { "\"\($0.id.hex)\"" }.joined(separator: ","))],"params":\#(Self.traceroute),"result_format":"json"}"#
        let refused = try await Self.request(ports[0], .post, "/traceroute", body: body, token: token)
        #expect(refused.status == .serviceUnavailable)
        #expect(try JSONValue(parsing: refused.body)["Error"]?.string?.contains("Redis") == true, "\(refused.body)")
        for port in ports {
            #expect(try await Self.request(port, .get, "/probes").status == .ok)
            #expect(try await Self.request(port, .get, "/users/me", token: token).status == .ok)
        }

        // Redis back, empty: every instance writes its probes again, and jobs cross instances again.
        let restarted = ContinuousClock.now
        try cluster.restartRedis()
        var lists: [[String: Bool]] = []
        #expect(try await Eventually.holds(within: 15) {
            lists = []
            for port in ports { lists.append(try await Self.listed(port)) }
            return lists.allSatisfy { $0.count == 3 && $0.values.allSatisfy { $0 } }
        }, "\(lists)")
        let recovered = ContinuousClock.now - restarted
        let again = try await Self.request(ports[2], .post, "/traceroute", body: body, token: token)
        #expect(again.status == .created, "\(again.body)")
        #expect(try await Eventually.holds(within: 10, every: .milliseconds(20)) { uploaders.allSatisfy { $0.jobs.withLock { $0.count } == 2 } })
        print("cluster: recovered \(recovered) after Redis restarted")
    }

    @Test("the conformance suite's strict profile passes against the nginx address; the login limits count across instances")
    func strictConformanceThroughNginx() async throws {
        let cluster = try Cluster()
        var options = ConformanceOptions(baseURL: "http://127.0.0.1:\(cluster.nginx.port)", root: Repository.root.path)
        options.profile = .strict
        let openStore = cluster.openStore
        options.createSuperuser = { email, password in
            _ = try await openStore().createUser(email: email, passwordHash: PasswordHasher().hash(password), isSuperuser: true)
        }
        let report = try await ConformanceRunner(options: options).run()
        #expect(report.passed, "\(ConformanceSuiteTests.failures(report).map { "\($0.name): \($0.message)" })\n\(cluster.logs())")
        #expect(ConformanceSuiteTests.skipped(report).isEmpty, "skipped: \(ConformanceSuiteTests.skipped(report))")
        #expect(report.suites.map(\.name) == ["rest", "probe sessions"])
        #expect(report.suites[1].cases.count == 10)

        // The metrics are not proxied to the public; each instance serves them to its scraper.
        #expect(try await Self.request(cluster.nginx.port, .get, "/metrics").status == .notFound)
        #expect(try await Self.request(cluster.servers[0].port, .get, "/metrics").status == .ok)

        // One account's 20 logins a minute are its own whichever instances they reach (Redis holds the bucket).
        let ports = cluster.servers.map(\.port)
        let register = try await Self.request(ports[0], .post, "/register", body: #"{"email":"limits@example.com","password":"Secure_Pass1"}"#)
        #expect(register.status == .created, "\(register.body)")
        var statuses: [Int] = []
        for index in 0..<21 {
            let email = index % 2 == 0 ? "limits@example.com" : "LIMITS@example.com"
            statuses.append(Int(try await Self.request(ports[index % 3], .post, "/login", body: #"{"email":"\#(email)","password":"Wrong_Pass1"}"#).status.code))
        }
        #expect(statuses == Array(repeating: 404, count: 20) + [429], "\(statuses)\n\(cluster.logs())")
    }
}
