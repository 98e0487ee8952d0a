import Foundation
import HTTPTypes
import JSONValues
import PladmedConformance
import PladmedCore
import PladmedStorage
import PladmedTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The probe software volunteers run (`CoNexDat/pladmed-client`, unmodified: ``RealProbe``) end to end, against three
/// backends side by side, each with a client of its own in its own namespaces: ours terminating TLS itself on SQLite;
/// ours in cluster mode (three instances on SecantusDB and Redis) behind nginx with TLS, `deploy/nginx/pladmed.conf`;
/// and the live original behind the same nginx TLS front. Each gets a ping (`json`), a traceroute (`dump`) and a dns
/// job to loopback addresses, cron `* * * * *`, twice a minute, stopping two minutes ahead; ours are killed with
/// SIGKILL while the client works and started again. Its own phase of `make test` (cron fires once a minute).
@Suite("The real probe software end to end", .serialized)
struct RealProbeTests {
    /// A backend the client runs against: where it serves TLS, and what only the test may do to it.
    struct Backend: Sendable {
        let name: String
        /// A short name, for file names and PLADMED_REAL_PROBE_ONLY.
        let slug: String
        /// HTTPS and `wss://` on 127.0.0.1.
        let port: Int
        /// Ours (held to every check) or the original (its differences are reported).
        let ours: Bool
        /// Creates a superuser.
        let makeSuperuser: @Sendable (_ email: String, _ password: String) async throws -> Void
        /// Kills the server holding the client's session with SIGKILL, and starts it again; the argument is the
        /// client's log, which names its session.
        let crash: (@Sendable (_ clientLog: String) async throws -> Void)?
        /// Results one probe may store for the operation as `GET /operation` shows it (ours: ``ResultAllowance``).
        let allowed: @Sendable (_ kind: MeasurementKind, _ operation: JSONValue) -> Int
        /// What a stored result earns its probe's owner, and how many of a probe's results earn it, from the operation
        /// as `GET /operation` shows it.
        let reward: @Sendable (_ kind: MeasurementKind, _ operation: JSONValue) -> (each: Double, upTo: Int)
    }

    /// What happened to one operation.
    struct OperationOutcome: Sendable {
        let kind: MeasurementKind
        let format: String
        let finished: Int
        /// Distinct unique codes uploaded.
        let uploaded: Int
        let acknowledged: Int
        let refused: Int
        let stored: Int
        /// Results not in the shape the format promises.
        let misconverted: Int
        let rewardEach: Double
    }

    /// What one backend did with the client.
    struct Outcome: Sendable {
        let backend: String
        var operations: [OperationOutcome] = []
        var inUseRose = false
        var inUseBackToZero = false
        var inUseAtEnd = 0.0
        /// `new_operation` minus `finish_operation` credits, as the client sent them.
        var claimedAtEnd = 0.0
        /// A process of the client died of its own race (a traceback in its log).
        var clientCrashed = false
        /// Acks of stored results that the client's callback dropped (its own bug; see ``watch``).
        var acksTheClientDropped = 0
        /// The client was restarted to send the results it held, and sent this many.
        var restartedClient = false
        var resentAfterRestart = 0
        var rewardsMatch = false
        var volunteerCredits = 0.0
        var expectedCredits = 0.0
        var reconnectedAfterCrash: Bool?
        var pendingAtEnd = 0
        /// Each check that failed, with what was seen.
        var problems: [String] = []
    }

    static let password = "Secure_Pass1"
    /// The client's credits at `OPERATIONS_RATE=62Kbps`.
    static let probeCredits = 121.0

    @Test("ours (TLS, SQLite), ours (cluster behind nginx TLS) and the original (behind nginx TLS) with the real probe")
    func realProbe() async throws {
        let certificate = try TestCertificate()
        let started = ContinuousClock.now

        // Ours, terminating TLS itself, on SQLite.
        let single = TemporaryDirectory()
        let singleEnvironment = [
            "PLADMED_SQLITE_PATH": single.path("pladmed.sqlite"), "PLADMED_TLS_CERT": certificate.certificate,
            "PLADMED_TLS_KEY": certificate.key, "LOG_FILE": single.path("server.log"),
        ]
        let singleServer = Mutex(try CrashTests.ServerProcess(environment: singleEnvironment))
        let singlePort = singleServer.withLock { $0.port }
        let ourReward: @Sendable (MeasurementKind, JSONValue) -> (each: Double, upTo: Int) = { kind, operation in
            let allowance = Self.ourAllowance(kind: kind, operation: operation)
            return (allowance.rewardPerResult, allowance.rewardedResultsPerProbe)
        }
        let oursSingle = Backend(
            name: "ours (pladmed serve with TLS, SQLite)", slug: "single", port: singlePort, ours: true,
            makeSuperuser: { email, password in try await Self.superuser(email, password, environment: singleEnvironment) },
            crash: { _ in
                try await ChildProcess.offCooperativePool {
                    singleServer.withLock { $0.kill() }
                    let restarted = try CrashTests.ServerProcess(environment: singleEnvironment, port: singlePort)
                    singleServer.withLock { $0 = restarted }
                }
            },
            allowed: { Self.ourAllowance(kind: $0, operation: $1).resultsPerProbe }, reward: ourReward)

        // Ours in cluster mode behind nginx with TLS.
        let cluster = try ClusterTests.Cluster(certificate: certificate)
        let oursCluster = Backend(
            name: "ours (3 instances, SecantusDB, Redis, nginx TLS)", slug: "cluster", port: cluster.nginx.port, ours: true,
            makeSuperuser: { email, password in try await Self.superuser(email, password, environment: cluster.environment) },
            crash: { log in
                // The instance holding the session: its name begins the last session id the client was given.
                let sessions = log.components(separatedBy: "'sid': '").dropFirst().map { $0.prefix { $0 != "." } }
                let index = ClusterTests.Cluster.names.firstIndex(of: String(sessions.last ?? "")) ?? 0
                Self.note("ours (cluster)", "killing \(ClusterTests.Cluster.names[index]), which holds the client's session")
                try await ChildProcess.offCooperativePool { try cluster.restart(index) }
            },
            allowed: { Self.ourAllowance(kind: $0, operation: $1).resultsPerProbe }, reward: ourReward)

        // The original, behind the same nginx TLS front.
        let original = try OriginalBackend()
        let originalPort = try #require(URLComponents(string: original.baseURL)?.port)
        // (nginx would take the original, starting, for down: wait for it first.)
        let originalHTTP = try HTTPTarget(baseURL: original.baseURL, timeout: .seconds(5))
        #expect(try await Eventually.holds(within: 60, every: .milliseconds(200)) {
            (try? await originalHTTP.send("GET", "/probes").status) == 200
        }, "the original did not start: \(original.errorLog.suffix(2000))")
        let front = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: front.path("frontend"), withIntermediateDirectories: true)
        let originalSite = try NginxSite(upstreams: [originalPort], certificate: certificate, frontend: front.path("frontend"))
        let originalNginx = try NginxServer(site: originalSite.text, port: originalSite.port)
        let theOriginal = Backend(
            name: "the original (behind nginx TLS)", slug: "original", port: originalSite.port, ours: false,
            makeSuperuser: { email, password in try await original.createSuperuser(email: email, password: password) },
            crash: nil, allowed: { _, _ in Int.max }, reward: { _, _ in (ResultAllowance.originalReward, Int.max) })
        #expect(try await Eventually.holds(within: 30) {
            (try? await HTTPSClient(port: originalSite.port, certificate: certificate).send(.get, "/probes").status) == 200
        }, "the original did not answer through nginx: \(original.errorLog.suffix(2000))\n\(originalNginx.errorLog)")

        // Side by side: one client each, each with its own local ports. (PLADMED_REAL_PROBE_ONLY=single, cluster or
        // original runs that one alone, to look into it; the client's and cron's logs stay in .build/real-probe/.)
        let only = ProcessInfo.processInfo.environment["PLADMED_REAL_PROBE_ONLY"] ?? ""
        let backends = [oursSingle, oursCluster, theOriginal].filter { only.isEmpty || $0.slug == only }
        let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
            for (index, backend) in backends.enumerated() {
                group.addTask {
                    do {
                        return try await Self.exercise(backend, certificate: certificate, portBase: 16_000 + 10 * index)
                    } catch {
                        var outcome = Outcome(backend: backend.name)
                        outcome.problems.append("the run stopped: \(error)")
                        return outcome
                    }
                }
            }
            var outcomes: [Outcome] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes.sorted { a, b in
                backends.firstIndex { $0.name == a.backend } ?? 0 < backends.firstIndex { $0.name == b.backend } ?? 0
            }
        }

        print(Self.report(outcomes, took: ContinuousClock.now - started))
        for outcome in outcomes where backends.first(where: { $0.name == outcome.backend })?.ours == true {
            #expect(outcome.problems.isEmpty, "\(outcome.backend):\n\(outcome.problems.joined(separator: "\n"))")
        }
        // The run against the original is a comparison, but the client must have worked with it at all.
        if let originalOutcome = outcomes.first(where: { $0.backend == theOriginal.name }) {
            #expect(originalOutcome.operations.contains { $0.stored > 0 }, "\(originalOutcome.problems)")
        }
        try await ChildProcess.offCooperativePool { singleServer.withLock { $0.kill() } }
        withExtendedLifetime((single, cluster, original, originalNginx, front)) {}
    }

    /// Accounts, a probe, the client, three operations; then every check, with what it saw.
    static func exercise(_ backend: Backend, certificate: TestCertificate, portBase: Int) async throws -> Outcome {
        let https = HTTPSClient(port: backend.port, certificate: certificate)
        var outcome = Outcome(backend: backend.name)
        func json(_ answer: HTTPSClient.Answer, _ what: String, status: Int = 200) throws -> JSONValue {
            guard answer.status == status else {
                throw Oracle.Failure(description: "\(backend.name): \(what) answered \(answer.status): \(answer.body.prefix(500))")
            }
            return try JSONValue(parsing: answer.body)
        }
        func login(_ email: String) async throws -> String {
            let body = #"{"email":"\#(email)","password":"\#(password)"}"#
            return try #require(try json(await https.send(.post, "/login", body: body), "login")["access_token"]?.string)
        }

        // Accounts: a requester with credits, a volunteer who owns the probe, a superuser who grants.
        try await backend.makeSuperuser("admin@example.com", password)
        var ids: [String: String] = [:]
        for email in ["owner@example.com", "volunteer@example.com"] {
            let created = try json(
                await https.send(.post, "/register", body: #"{"email":"\#(email)","password":"\#(password)"}"#), "register", status: 201)
            ids[email] = created["_id"]?.string
        }
        let admin = try await login("admin@example.com"), owner = try await login("owner@example.com")
        let volunteer = try await login("volunteer@example.com")
        _ = try json(await https.send(.post, "/credits", body: #"{"id":"\#(ids["owner@example.com"] ?? "")","credits":100000}"#, token: admin), "credits")
        let registered = try json(
            await https.send(.post, "/probes", body: #"{"location":{"latitude":-34.6,"longitude":-58.4}}"#, token: volunteer), "probe", status: 201)
        let probeToken = try #require(registered["token"]?.string)
        let mine = try json(await https.send(.get, "/probes/me", token: volunteer), "probes/me")
        let probeID = try #require(mine.array?.first?["identifier"]?.string)

        // The client, and its probe connected with all its credits free.
        let client = try RealProbe(port: backend.port, token: probeToken, certificate: certificate, portBase: portBase)
        let name = backend.slug
        do {
            let outcome = try await watch(client, backend: backend, https: https, outcome: outcome, probeID: probeID, owner: owner, volunteer: volunteer)
            await client.stop()
            client.keepLogs(as: name)
            return outcome
        } catch {
            await client.stop()
            client.keepLogs(as: name)
            throw error
        }
    }

    /// The client at work for `backend`: its jobs, the crash, the stop, and every check.
    static func watch(
        _ client: RealProbe, backend: Backend, https: HTTPSClient, outcome: Outcome, probeID: String, owner: String, volunteer: String
    ) async throws -> Outcome {
        var outcome = outcome
        func json(_ answer: HTTPSClient.Answer, _ what: String, status: Int = 200) throws -> JSONValue {
            guard answer.status == status else {
                throw Oracle.Failure(description: "\(backend.name): \(what) answered \(answer.status): \(answer.body.prefix(500))")
            }
            return try JSONValue(parsing: answer.body)
        }
        note(backend.name, "client started")
        func availability() async -> Double? {
            guard let answer = try? await https.send(.get, "/probes"), answer.status == 200,
                  let probe = (try? JSONValue(parsing: answer.body))?.array?.first(where: { $0["identifier"]?.string == probeID }),
                  probe["connected"] == .bool(true)
            else { return nil }
            return probe["availability"]?.number
        }
        guard try await Eventually.holds(within: 60, every: .milliseconds(200), { await availability() == 1 }) else {
            let probes = try? await https.send(.get, "/probes")
            outcome.problems.append(
                "the client never showed as connected with all credits free (GET /probes: \(probes?.body.prefix(500) ?? "no answer")): "
                    + "\(client.launcherLog)\n\(client.log.suffix(3000))")
            return outcome
        }
        note(backend.name, "probe connected")

        // Three operations stopping two minutes ahead (in the minute; the charge counts the runs until then).
        let format = DateFormatter()
        format.dateFormat = "dd/MM/yyyy HH:mm"
        format.timeZone = TimeZone(identifier: "UTC")
        let stopText = format.string(from: Date().addingTimeInterval(120))
        let stop = try #require(format.date(from: stopText))
        let schedule = #""cron":"* * * * *","times_per_minute":2,"stop_time":"\#(stopText)""#
        let requests: [(MeasurementKind, String, String)] = [
            (.ping, #"{\#(schedule),"ips":["127.0.0.1"]}"#, "json"),
            (.traceroute, #"{\#(schedule),"ips":["127.0.0.1"]}"#, "dump"),
            // (The client turns `type` into dig's `-P`, which dig refuses: no type.)
            (.dns, #"{\#(schedule),"fqdns":["example.test"],"name":["example.test"]}"#, "text"),
        ]
        var operations: [(kind: MeasurementKind, id: String, format: String)] = []
        for (kind, params, resultFormat) in requests {
            let body = #"{"probes":["\#(probeID)"],"params":\#(params),"result_format":"\#(resultFormat)"}"#
            let created = try json(await https.send(.post, "/\(kind.rawValue)", body: body, token: owner), "POST /\(kind.rawValue)", status: 201)
            operations.append((kind, try #require(created["_id"]?.string), resultFormat))
        }
        note(backend.name, "operations created, stopping at \(stopText)")

        // The client takes its jobs: its in-use credits rise.
        outcome.inUseRose = try await Eventually.holds(within: 30, every: .milliseconds(200)) { (await availability() ?? 1) < 1 }
        if !outcome.inUseRose { outcome.problems.append("in-use credits never rose after the jobs went out") }

        func stored(_ id: String) async -> [JSONValue] {
            guard let answer = try? await https.send(.get, "/operation?id=\(id)", token: owner), answer.status == 200 else { return [] }
            return (try? JSONValue(parsing: answer.body))?["results"]?.array ?? []
        }

        // Ours dies while the client works (results are in, more are coming), and comes back; the client reconnects by
        // itself. The kill falls between uploads: every result the client finished was uploaded and answered, and the
        // next ones finish at the minute's start and half (twice a minute), more than the restart and the client's 5 s
        // retry away.
        // (An upload in flight at the kill stays on the probe: the client sends unacknowledged results again only when
        // it restarts, against any backend.)
        if let crash = backend.crash {
            let working = try await Eventually.holds(within: 150, every: .milliseconds(500)) {
                let second = Calendar(identifier: .gregorian).component(.second, from: Date()) % 30
                let uploads = client.uploads
                let finished = client.finished.values.reduce(into: Set<String>()) { $0.formUnion($1) }
                guard (10...20).contains(second), !finished.isEmpty, finished.isSubset(of: Set(uploads.map(\.code))),
                      uploads.allSatisfy({ $0.ack != nil })
                else { return false }
                var count = 0
                for operation in operations { count += await stored(operation.id).count }
                return count > 0
            }
            if !working {
                outcome.problems.append("no quiet moment with a result stored within 150 s (finished \(client.finished), "
                    + "uploads \(client.uploads.map { "\($0.code): \($0.ack ?? "no ack")" })): \(client.log.suffix(2000))")
            }
            let connections = client.connections
            note(backend.name, "a result is stored; kill -9")
            try await crash(client.log)
            note(backend.name, "started again")
            outcome.reconnectedAfterCrash = try await Eventually.holds(within: 60, every: .milliseconds(200)) {
                guard client.connections > connections else { return false }
                return (await availability()).map { $0 < 1 } == true
            }
            if outcome.reconnectedAfterCrash != true {
                outcome.problems.append("the client did not reconnect after the kill: \(client.log.suffix(3000))")
            }
        }

        // Past the stop: the client's cron has run its last measurement and its stopper (a task it finishes after the
        // end is dropped, by the client), every upload has its answer, the in-use credits are what the client's
        // `new_operation` and `finish_operation` events say, and each operation holds the uploads it acknowledged.
        func inUse() async -> Double? { (await availability()).map { (1 - $0) * probeCredits } }
        func accepted(_ operation: String, in uploads: [RealProbe.Upload]) -> Set<String> {
            Set(uploads.filter { $0.operation == operation && $0.ack == "\"\(operation)\"" }.map(\.code))
        }
        let settled = try await Eventually.holds(within: max(60, stop.timeIntervalSinceNow + 150), every: .seconds(1)) {
            guard Date() > stop.addingTimeInterval(40) else { return false }
            let uploads = client.uploads, claimed = client.creditsClaimed
            guard uploads.allSatisfy({ $0.ack != nil }), let inUse = await inUse(), abs(inUse - (claimed.new - claimed.finished)) < 1e-6
            else { return false }
            for operation in operations where await stored(operation.id).count != accepted(operation.id, in: uploads).count { return false }
            return true
        }
        note(backend.name, settled ? "settled" : "did not settle")
        // The client's own ack callback reads loop variables it closed over: an ack that arrives after its next upload
        // began is matched against that upload's operation and dropped (the result stays on the probe, unsent to its
        // mind, and its operation never sends `finish_operation`). Counted, as the client's, against every backend.
        let heard = client.acknowledged.values.reduce(0) { $0 + $1.count }
        outcome.acksTheClientDropped = Set(client.uploads.filter { $0.ack.map { !$0.contains("Error") } == true }.map(\.code)).count - heard
        let uploads = client.uploads, claimed = client.creditsClaimed
        outcome.inUseAtEnd = await inUse() ?? -1
        outcome.claimedAtEnd = claimed.new - claimed.finished
        outcome.inUseBackToZero = outcome.inUseAtEnd == 0 && outcome.claimedAtEnd == 0
        if abs(outcome.inUseAtEnd - outcome.claimedAtEnd) > 1e-6 {
            outcome.problems.append("in-use credits \(outcome.inUseAtEnd) at the end; the client's events claim \(outcome.claimedAtEnd)")
        }
        // The results whose acks the client dropped stay on it, and their operations unfinished: restarted, as a
        // volunteer would, it sends them again at once (its start replays them). Each is stored already: acknowledged
        // again, not stored twice. (Sent in a burst, their acks meet the same fault, so the operations may stay open.)
        if settled, !client.pending.isEmpty {
            let before = client.uploads.count
            var counts: [Int] = []
            for operation in operations { counts.append(await stored(operation.id).count) }
            note(backend.name, "restarting the client: \(client.pending.count) results it holds unacknowledged")
            try await client.restart()
            outcome.restartedClient = true
            let resent = try await Eventually.holds(within: 60, every: .milliseconds(500)) {
                client.uploads.count > before && client.uploads.allSatisfy { $0.ack != nil }
            }
            if !resent { outcome.problems.append("restarted, the client did not send its held results again: \(client.log.suffix(3000))") }
            var after: [Int] = []
            for operation in operations { after.append(await stored(operation.id).count) }
            if after != counts { outcome.problems.append("results sent again were stored again: \(counts) before, \(after) after") }
            outcome.resentAfterRestart = client.uploads.count - before
        }
        outcome.clientCrashed = client.crashed
        outcome.pendingAtEnd = client.pending.count
        if !settled { outcome.problems.append("the results did not settle; client log:\n\(client.log.suffix(4000))") }

        // Each operation: stored once what was acknowledged, nothing refused, converted as its format says, rewarded.
        let finished = client.finished
        var expected = 0.0
        for operation in operations {
            let results = await stored(operation.id)
            let document = try json(await https.send(.get, "/operation?id=\(operation.id)", token: owner), "GET /operation")
            let (reward, rewarded) = backend.reward(operation.kind, document)
            expected += reward * Double(min(results.count, rewarded))
            let misconverted = results.filter { !Self.converted($0["results"], format: operation.format) }.count
            let acked = accepted(operation.id, in: uploads).count
            let refused = uploads.filter { $0.operation == operation.id && $0.ack?.contains("Error") == true }
            outcome.operations.append(OperationOutcome(
                kind: operation.kind, format: operation.format, finished: finished[operation.id]?.count ?? 0,
                uploaded: Set(uploads.filter { $0.operation == operation.id }.map(\.code)).count, acknowledged: acked,
                refused: refused.count, stored: results.count, misconverted: misconverted, rewardEach: reward))
            if results.count != acked {
                outcome.problems.append("\(operation.kind): \(acked) results acknowledged, \(results.count) stored")
            }
            if acked == 0 { outcome.problems.append("\(operation.kind): no result was acknowledged") }
            // A refusal is ours to make only when the probe's results for the operation are all in (DEVIATIONS 21: the
            // client runs the stop minute, and may run on past it); the original stores and pays them all.
            if let first = refused.first, !(backend.ours && first.ack?.contains("takes from it") == true && results.count == backend.allowed(operation.kind, document)) {
                outcome.problems.append("\(operation.kind): \(refused.count) uploads refused: \(first.ack ?? "")")
            }
            if misconverted > 0 {
                outcome.problems.append("\(operation.kind): \(misconverted) results not converted as \(operation.format): \(results.first.map { "\($0)".prefix(300) } ?? "")")
            }
            if results.contains(where: { $0["probe"]?.string != probeID }) { outcome.problems.append("\(operation.kind): a result of another probe") }
        }
        let me = try json(await https.send(.get, "/users/me", token: volunteer), "users/me")
        outcome.volunteerCredits = me["credits"]?.number ?? -1
        outcome.expectedCredits = expected
        outcome.rewardsMatch = abs(outcome.volunteerCredits - expected) < 1e-6
        if !outcome.rewardsMatch {
            outcome.problems.append("the volunteer holds \(outcome.volunteerCredits) credits; the stored results earn \(expected)")
        }
        return outcome
    }

    /// A progress line on standard error (a phase of minutes should say where it is).
    static func note(_ backend: String, _ text: String) {
        let line = "real probe: \(Date().formatted(.iso8601)) \(backend): \(text)\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Whether a stored `results` value has the shape of `format`: the JSON of `sc_warts2json` (objects, one a
    /// `ping` or `trace`), the text of `sc_analysis_dump` (its header comment, then `T` lines), or dig's text.
    static func converted(_ value: JSONValue?, format: String) -> Bool {
        switch format {
        case "json":
            return value?.array?.contains { ["ping", "trace"].contains($0["type"]?.string ?? "") } == true
        case "dump":
            guard let text = value?.string else { return false }
            return text.hasPrefix("#") && text.split(separator: "\n").contains { $0.hasPrefix("T\t") }
        default:
            return value?.string?.contains("DiG") == true
        }
    }

    /// Our ``ResultAllowance`` of `operation` as `GET /operation` shows it (from the stored charge and params).
    static func ourAllowance(kind: MeasurementKind, operation: JSONValue) -> ResultAllowance {
        let params = operation["params"]?.object ?? [:]
        let record = OperationRecord(
            id: ObjectID(), kind: kind, owner: ObjectID(), params: .object(params),
            probes: (operation["probes"]?.array ?? []).map { _ in OperationProbe(id: ObjectID(), owner: ObjectID(), location: nil) },
            credits: operation["credits"]?.number ?? 0, resultFormat: operation["result_format"]?.string ?? "json")
        return ResultAllowance(record)
    }

    /// `pladmed superuser create` on the store of `environment`.
    static func superuser(_ email: String, _ password: String, environment: [String: String]) async throws {
        let run = try await ChildProcess.run(
            CLITests.binary, ["superuser", "create", email, password],
            environment: ["PATH": "/usr/bin:/bin", "SECRET_KEY": "dev"].merging(environment) { $1 }, mergeErrors: true)
        guard run.status == 0 else { throw Oracle.Failure(description: "superuser create: \(run.text)") }
    }

    /// The table the closing note quotes: each backend's operations, credits and recovery.
    static func report(_ outcomes: [Outcome], took: Duration) -> String {
        var lines = ["real probe: the phase took \(took)"]
        for outcome in outcomes {
            lines.append("real probe: \(outcome.backend): in-use rose \(outcome.inUseRose), back to 0 \(outcome.inUseBackToZero) "
                + "(\(outcome.inUseAtEnd) held, \(outcome.claimedAtEnd) claimed by the client), client crashed \(outcome.clientCrashed), "
                + "acks the client dropped \(outcome.acksTheClientDropped), "
                + "restarted to send what it held: \(outcome.restartedClient ? "\(outcome.resentAfterRestart) sent again" : "no"), "
                + "volunteer credits \(outcome.volunteerCredits) (results earn \(outcome.expectedCredits)), "
                + "reconnected after kill -9: \(outcome.reconnectedAfterCrash.map { "\($0)" } ?? "n/a"), pending at the end \(outcome.pendingAtEnd)")
            for operation in outcome.operations {
                lines.append("real probe:   \(operation.kind.rawValue) (\(operation.format)): finished \(operation.finished), "
                    + "uploaded \(operation.uploaded), acknowledged \(operation.acknowledged), refused \(operation.refused), "
                    + "stored \(operation.stored), misconverted \(operation.misconverted), "
                    + "reward each \(operation.rewardEach)")
            }
            for problem in outcome.problems { lines.append("real probe:   difference: \(problem.prefix(400))") }
        }
        return lines.joined(separator: "\n")
    }
}
