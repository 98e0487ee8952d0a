import Foundation
import Logging
import PladmedCore
import Redis

/// The ``ProbeHub`` of several instances joined by Redis (cluster mode).
///
/// Each instance keeps its own connections in a ``ProbeRegistry`` and mirrors them into one table in Redis: probe →
/// instance, connection, total and in-use credits (``ClusterScripts``). Any instance looks statuses up there, and
/// sends a job for a probe another instance holds through that instance's pub/sub channel. Each instance renews a
/// liveness key with a time-to-live (``ttl``), so that the probes of an instance that died stop counting once it
/// expires, and sweeps their entries away one ``ttl`` later. When Redis lost this instance's entries (it restarted, or the instance
/// was cut off past its liveness), or a write to it failed, the instance writes its whole table again.
///
/// ``run()`` (a service of the application) renews the liveness, syncs, sweeps and handles what other instances
/// send.
public final class ClusterProbeHub: ProbeHub {
    /// The connections of this instance.
    public let local: ProbeRegistry
    /// This instance's id in the cluster: its name when it has one, and a random part that differs at each start,
    /// so that a restarted instance is never taken for its previous life.
    public let instance: String
    /// How long this instance's liveness lasts without renewal.
    public let ttl: Duration
    let client: RedisClient
    let url: RedisURL
    let prefix: String
    let logger: Logger

    struct State {
        /// A write to Redis failed, so its table may differ from ours: write it whole at the next heartbeat.
        var needsSync = true
        /// The first heartbeat succeeded.
        var joined = false
        /// When the liveness was last renewed.
        var renewed: ContinuousClock.Instant?
        /// Counts the revisions answered while Redis could not say, so that none of them repeats.
        var unknownRevisions: UInt64 = 0
    }

    let state = Mutex(State())

    /// A hub joining the instances on `url`, with keys and channels under `prefix` (one hash tag, so that every key
    /// is in one Redis Cluster slot).
    public init(url: RedisURL, name: String?, ttl: Duration = .seconds(5), prefix: String = "{pladmed}:", logger: Logger) {
        self.local = ProbeRegistry()
        self.url = url
        self.instance = (name.map { $0 + "-" } ?? "") + String((0..<12).map { _ in "0123456789abcdef".randomElement()! })
        self.ttl = ttl
        self.prefix = prefix
        self.client = RedisClient(url: url, maxBackoff: .seconds(2), logger: logger)
        var logger = logger
        logger[metadataKey: "instance"] = "\(instance)"
        self.logger = logger
    }

    /// The keys every script declares: the probe table, its revision, the liveness table.
    var tableKeys: [String] { [prefix + "probes", prefix + "revision", prefix + "alive"] }

    /// `instance connection total in_use`.
    static func entry(instance: String, connection: String, status: ProbeStatus) -> String {
        "\(instance) \(connection) \(status.totalCredits) \(status.inUseCredits)"
    }

    /// The status an entry holds.
    static func status(entry: String) -> ProbeStatus? {
        let fields = entry.split(separator: " ")
        guard fields.count == 4, let total = Double(fields[2]), let inUse = Double(fields[3]) else { return nil }
        return ProbeStatus(totalCredits: total, inUseCredits: inUse)
    }

    /// Runs `script`; a failure is logged and marks the table for a sync.
    func run(_ script: RedisScript, _ arguments: [String], what: String) async -> RESPValue? {
        do {
            return try await client.run(script, keys: tableKeys, arguments: [prefix] + arguments)
        } catch {
            state.withLock { $0.needsSync = true }
            logger.warning("cluster table not updated; it will be written again", metadata: ["what": "\(what)", "error": "\(error)"])
            return nil
        }
    }

    public func attach(
        probe: ObjectID, connectionID: String, status: ProbeStatus,
        deliver: @escaping @Sendable (ProbeJob) async -> Void, close: @escaping @Sendable () async -> Void
    ) async {
        let replaced = local.connect(probe: probe, connectionID: connectionID, status: status, deliver: deliver, close: close)
        _ = await run(
            ClusterScripts.attach, [probe.hex, Self.entry(instance: instance, connection: connectionID, status: status), instance],
            what: "attach")
        await replaced?.close()
    }

    @discardableResult
    public func detach(probe: ObjectID, connectionID: String) async -> Bool {
        guard local.disconnect(probe: probe, connectionID: connectionID) else { return false }
        _ = await run(ClusterScripts.detach, [probe.hex, instance, connectionID], what: "detach")
        return true
    }

    @discardableResult
    public func adjustInUseCredits(probe: ObjectID, connectionID: String, by delta: Double) async -> ProbeStatus? {
        guard let status = local.adjustInUseCredits(probe: probe, connectionID: connectionID, by: delta) else { return nil }
        _ = await run(
            ClusterScripts.adjust, [probe.hex, instance, connectionID, String(delta.isFinite ? delta : 0)], what: "credits")
        return status
    }

    public func statuses(of probes: [ObjectID]) async throws -> [ObjectID: ProbeStatus] {
        guard !probes.isEmpty else { return [:] }
        let reply: RESPValue
        do {
            reply = try await client.run(ClusterScripts.lookup, keys: tableKeys, arguments: [prefix] + probes.map(\.hex))
        } catch {
            logger.warning("cluster table unreachable", metadata: ["error": "\(error)"])
            throw PladmedError.unavailable("The probes' directory (Redis) cannot be reached; try again shortly")
        }
        let entries = reply.elements ?? []
        var found: [ObjectID: ProbeStatus] = [:]
        for (id, entry) in zip(probes, entries) {
            if let text = entry.string, let status = Self.status(entry: text) { found[id] = status }
        }
        return found
    }

    public func knownStatuses(of probes: [ObjectID]) async -> [ObjectID: ProbeStatus] {
        (try? await statuses(of: probes)) ?? local.statuses(of: probes)
    }

    public func revision() async -> UInt64 {
        if let reply = try? await client.send("GET", prefix + "revision") {
            return reply.string.flatMap(UInt64.init) ?? 0
        }
        // Never the same twice, and apart from Redis's counter: nothing is served from a kept answer meanwhile.
        return state.withLock { state in
            state.unknownRevisions &+= 1
            return 1 << 63 | state.unknownRevisions
        }
    }

    @discardableResult
    public func dispatch(_ job: ProbeJob, to probes: [ObjectID]) async -> [ObjectID] {
        guard !probes.isEmpty else { return [] }
        let payload: String
        do { payload = try job.payload.serializedText() } catch { return [] }
        guard let reply = await run(
            ClusterScripts.dispatch, [instance, job.kind.rawValue, payload] + probes.map(\.hex), what: "dispatch"),
              let lists = reply.elements, lists.count == 2
        else { return [] }
        let here = (lists[0].elements ?? []).compactMap { $0.string.flatMap(ObjectID.init) }
        let handed = (lists[1].elements ?? []).compactMap { $0.string.flatMap(ObjectID.init) }
        return await local.dispatch(job, to: here) + handed
    }
}
