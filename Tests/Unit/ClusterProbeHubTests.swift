import Foundation
import Logging
import PladmedCore
@testable import PladmedServer
import PladmedTestSupport
import Redis
import Testing

/// ``ClusterProbeHub`` instances in one process sharing Debian's redis-server: what one attaches, the others see and
/// reach. (`ClusterTests` runs whole servers behind nginx.)
@Suite("The cluster probe hub on Redis", .serialized)
struct ClusterProbeHubTests {
    /// Collects what a probe connection was sent, and whether it was closed.
    final class Connection: Sendable {
        let jobs = Mutex<[String]>([])
        let closed = Mutex(false)
        var deliver: @Sendable (ProbeJob) async -> Void { { job in self.jobs.withLock { $0.append(job.payload["_id"]?.string ?? "") } } }
        var close: @Sendable () async -> Void { { self.closed.withLock { $0 = true } } }
    }

    static func hub(_ redis: RedisServer, _ name: String, ttl: Duration = .seconds(5)) throws -> ClusterProbeHub {
        ClusterProbeHub(url: try RedisURL(redis.url()), name: name, ttl: ttl, logger: Logger(label: "cluster-test"))
    }

    /// Seconds a condition may take (generous: the main test phase loads both cores).
    static let patience = 20.0

    static func job(_ id: String) -> ProbeJob {
        ProbeJob(kind: .ping, payload: .object(["_id": .string(id), "params": .object([:])]))
    }

    /// A redis-server (the first of the list), or the first of a Redis Cluster of two whose first node holds only the
    /// slot of the hub's keys (`{pladmed}`) and the second every other: a script on the first that touches a key it
    /// did not declare, in another slot, fails there ("non local key"), so the hub's scripts are held to declaring
    /// theirs, and to keeping them under one hash tag.
    static func redis(clustered: Bool, folder: TemporaryDirectory) async throws -> [RedisServer] {
        guard clustered else { return [try RedisServer()] }
        // The cluster bus takes a free port of its own (by default the client port + 10000, which may be taken).
        let busPorts = try (0..<2).map { _ in try LoopbackPort.free() }
        let nodes = try (0..<2).map {
            try RedisServer(arguments: [
                "--cluster-enabled", "yes", "--cluster-config-file", folder.path("nodes-\($0).conf"), "--cluster-port", String(busPorts[$0]),
            ])
        }
        let clients = try nodes.map { RedisClient(url: try RedisURL($0.url()), logger: Logger(label: "cluster-test")) }
        let slot = try #require(try await clients[0].send("CLUSTER", "KEYSLOT", "pladmed").integer)
        _ = try await clients[0].send("CLUSTER", "MEET", "127.0.0.1", String(nodes[1].port), String(busPorts[1]))
        _ = try await clients[0].send("CLUSTER", "ADDSLOTS", String(slot))
        for (low, high) in [(0, slot - 1), (slot + 1, 16383)] where low <= high {
            _ = try await clients[1].send("CLUSTER", "ADDSLOTSRANGE", String(low), String(high))
        }
        #expect(try await Eventually.holds(within: Self.patience, every: .milliseconds(50)) {
            try await clients[0].send("CLUSTER", "INFO").string?.contains("cluster_state:ok") == true
        })
        for client in clients { await client.close() }
        return nodes
    }

    @Test("statuses, credits, jobs and replacement cross instances; a dead instance's probes go with its liveness",
          arguments: [false, true])
    func acrossInstances(clustered: Bool) async throws {
        let folder = TemporaryDirectory()
        let nodes = try await Self.redis(clustered: clustered, folder: folder)
        let redis = nodes[0]
        // a and b must stay alive throughout: a TTL the main phase's load cannot outlast (it once held a's renewal
        // back past 5 s, and a's probe vanished from b's lookup until a wrote its table again).
        let a = try Self.hub(redis, "a", ttl: .seconds(60)), b = try Self.hub(redis, "b", ttl: .seconds(60))
        // Both run their service, as the application does: liveness, their channels.
        let services = [Task { try await a.run() }, Task { try await b.run() }]
        defer { for service in services { service.cancel() } }
        #expect(try await Eventually.holds(within: Self.patience, every: .milliseconds(20)) { a.state.withLock { $0.joined } && b.state.withLock { $0.joined } })
        let probe = ObjectID(), other = ObjectID()
        let first = Connection()
        let revision = await b.revision()
        await a.attach(probe: probe, connectionID: "c1", status: .init(totalCredits: 100, inUseCredits: 0), deliver: first.deliver, close: first.close)
        #expect(await b.revision() != revision)
        #expect(try await b.statuses(of: [probe, other]) == [probe: .init(totalCredits: 100, inUseCredits: 0)])

        // Credits: only the connection's own instance changes them; concurrent changes all count.
        #expect(await b.adjustInUseCredits(probe: probe, connectionID: "c1", by: 5) == nil)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<40 { group.addTask { await a.adjustInUseCredits(probe: probe, connectionID: "c1", by: 1) } }
        }
        #expect(try await b.statuses(of: [probe])[probe]?.inUseCredits == 40)
        await a.adjustInUseCredits(probe: probe, connectionID: "c1", by: 1000)
        #expect(try await b.statuses(of: [probe])[probe] == .init(totalCredits: 100, inUseCredits: 100))
        await a.adjustInUseCredits(probe: probe, connectionID: "c1", by: -100)

        // A job posted on b reaches the probe on a.
        var handed: [ObjectID] = []
        for _ in 0..<100 where handed.isEmpty {
            // a's subscription comes up in the background: until then, nothing is handed.
            handed = await b.dispatch(Self.job("op1"), to: [probe, other])
            if handed.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(handed == [probe])
        #expect(try await Eventually.holds(within: Self.patience, every: .milliseconds(20)) { first.jobs.withLock { $0 } == ["op1"] })

        // The probe connects again on b: a closes its older connection, whose late detach changes nothing.
        let second = Connection()
        await b.attach(probe: probe, connectionID: "c2", status: .init(totalCredits: 7, inUseCredits: 0), deliver: second.deliver, close: second.close)
        #expect(try await Eventually.holds(within: Self.patience, every: .milliseconds(20)) { first.closed.withLock { $0 } })
        #expect(await a.detach(probe: probe, connectionID: "c1") == false)
        #expect(try await a.statuses(of: [probe]) == [probe: .init(totalCredits: 7, inUseCredits: 0)])
        #expect(await a.dispatch(Self.job("op2"), to: [probe]) == [probe])
        #expect(try await Eventually.holds(within: Self.patience, every: .milliseconds(20)) { second.jobs.withLock { $0 } == ["op2"] })
        #expect(first.jobs.withLock { $0 } == ["op1"])

        // An instance that stops renewing its liveness: its probes are gone once it expires, and swept away one TTL
        // (the sweeper's) later; an instance renewing late within that grace finds its entries still there.
        let c = try Self.hub(redis, "c", ttl: .seconds(3))
        await c.attach(probe: other, connectionID: "c3", status: .init(totalCredits: 1, inUseCredits: 0), deliver: { _ in }, close: {})
        _ = await c.heartbeat(sweeping: "0")
        #expect(try await a.statuses(of: [other]).count == 1)
        #expect(try await Eventually.holds(within: Self.patience, every: .milliseconds(20)) { try await a.statuses(of: [other]).isEmpty })
        let inspector = RedisClient(url: try RedisURL(redis.url()), logger: Logger(label: "cluster-test"))
        _ = await a.heartbeat(sweeping: "0")
        #expect(try await inspector.send("HLEN", "{pladmed}:probes").integer == 2, "a's grace is 60 s: c's entry stays")
        _ = await c.heartbeat(sweeping: "0")
        #expect(try await a.statuses(of: [other]).count == 1, "c renewed late, within the grace: its probe counts again")
        let sweeper = try Self.hub(redis, "sweeper", ttl: .seconds(1))
        #expect(try await Eventually.holds(within: Self.patience, every: .milliseconds(50)) {
            _ = await sweeper.heartbeat(sweeping: "0")
            return try await inspector.send("HLEN", "{pladmed}:probes").integer == 1
        })
        #expect(try await a.statuses(of: [other]).isEmpty)
        await inspector.close()
    }

    @Test("Redis restarted empty: every instance writes its probes again; while it is away, lookups fail and dispatch hands nothing")
    func redisRestart() async throws {
        var redis = try RedisServer()
        let a = try Self.hub(redis, "a", ttl: .seconds(1))
        let service = Task { try await a.run() }
        defer { service.cancel() }
        let probe = ObjectID()
        await a.attach(probe: probe, connectionID: "c1", status: .init(totalCredits: 10, inUseCredits: 2), deliver: { _ in }, close: {})
        #expect(try await Eventually.holds(within: Self.patience, every: .milliseconds(20)) { try await a.statuses(of: [probe]).count == 1 })
        redis.stop()
        await #expect(throws: PladmedError.self) { try await a.statuses(of: [probe]) }
        #expect(await a.knownStatuses(of: [probe]) == [probe: .init(totalCredits: 10, inUseCredits: 2)])
        #expect(await a.dispatch(Self.job("x"), to: [probe]).isEmpty)
        let unknown = await a.revision()
        #expect(await a.revision() != unknown)
        redis = try RedisServer(port: redis.port)
        #expect(try await Eventually.holds(within: Self.patience, every: .milliseconds(20)) { (try? await a.statuses(of: [probe])) == [probe: .init(totalCredits: 10, inUseCredits: 2)] })
    }
}
