import Foundation
import Logging
import PladmedCore
import Redis
import ServiceLifecycle

extension ClusterProbeHub: Service {
    /// Until the application stops: renews this instance's liveness every third of ``ttl``, writes its table again
    /// when Redis lost it, sweeps dead instances' entries, and handles what other instances send on its channel
    /// (jobs for its probes; closing a connection a newer one replaced). At a graceful stop, it takes its entries
    /// and its liveness out of Redis.
    public func run() async throws {
        let subscriber = RedisSubscriber(
            url: url, channels: [channel(of: instance)], maxBackoff: .seconds(2), logger: logger)
        logger.info("cluster mode", metadata: ["redis": "\(url.redacted)", "ttl": "\(ttl)"])
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await message in subscriber.messages { await self.handle(message.payload) }
                }
                group.addTask {
                    // Messages sent while the subscription was down are lost: write the table again to be sure.
                    for await round in subscriber.subscribed where round > 1 { self.state.withLock { $0.needsSync = true } }
                }
                group.addTask {
                    var cursor = "0"
                    while !Task.isCancelled {
                        cursor = await self.heartbeat(sweeping: cursor)
                        try? await Task.sleep(for: self.ttl / 3)
                    }
                }
            }
        }
        subscriber.close()
        await leave()
    }

    func channel(of instance: String) -> String { prefix + "instance:" + instance }

    /// Renews the liveness; writes the whole table when Redis lost this instance's liveness (a restart, or a long
    /// cut) or a write failed; takes one step of the sweep from `cursor`. Returns the sweep's next cursor.
    func heartbeat(sweeping cursor: String) async -> String {
        do {
            let milliseconds = String(Int64(ttl.components.seconds) * 1000 + ttl.components.attoseconds / 1_000_000_000_000_000)
            let alive = try await client.run(ClusterScripts.renew, keys: tableKeys, arguments: [prefix, instance, milliseconds])
            let lost = alive.integer != 1
            let renewed = ContinuousClock.now
            let (needsSync, joined, previous) = state.withLock { state in
                defer {
                    state.needsSync = false
                    state.joined = true
                    state.renewed = renewed
                }
                return (state.needsSync || lost, state.joined, state.renewed)
            }
            if lost, joined {
                // Other instances took this one for dead meanwhile: its probes did not count till now.
                logger.warning("cluster liveness lapsed; renewed late", metadata: [
                    "since_last_renewal": "\(previous.map { renewed - $0 } ?? .zero)", "ttl": "\(ttl)",
                ])
            }
            if needsSync { try await sync(reason: !joined ? "joining" : lost ? "liveness lost" : "a write failed") }
            let next = try await client.run(
                ClusterScripts.sweep, keys: tableKeys, arguments: [prefix, cursor, "1000", milliseconds])
            return next.string ?? "0"
        } catch {
            state.withLock { $0.needsSync = true }
            return cursor
        }
    }

    /// Writes this instance's whole table to Redis.
    func sync(reason: String) async throws {
        let revision = local.revision()
        let connections = local.connections()
        var arguments = [prefix, instance]
        arguments.reserveCapacity(2 + 2 * connections.count)
        for connection in connections {
            arguments += [connection.probe.hex, Self.entry(instance: instance, connection: connection.id, status: connection.status)]
        }
        _ = try await client.run(ClusterScripts.sync, keys: tableKeys, arguments: arguments)
        // A probe that came or went while the table was being written may have been written over: once more.
        if local.revision() != revision { state.withLock { $0.needsSync = true } }
        logger.info("cluster table written", metadata: ["probes": "\(connections.count)", "reason": "\(reason)"])
    }

    /// A message from another instance: `J\nprobe probe ...\nkind\npayload` (a job) or `C\nprobe connection` (close
    /// that connection: the probe connected again elsewhere).
    func handle(_ message: [UInt8]) async {
        let parts = message.split(separator: UInt8(ascii: "\n"), maxSplits: 3, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        switch parts.first {
        case "J" where parts.count == 4:
            guard let kind = MeasurementKind(rawValue: parts[2]), let payload = try? JSONValue(parsing: parts[3]) else { break }
            let probes = parts[1].split(separator: " ").compactMap { ObjectID(String($0)) }
            await local.dispatch(ProbeJob(kind: kind, payload: payload), to: probes)
            return
        case "C" where parts.count == 2:
            let fields = parts[1].split(separator: " ")
            guard fields.count == 2, let probe = ObjectID(String(fields[0])) else { break }
            if let older = local.removeConnection(probe: probe, connectionID: String(fields[1])) {
                await older.close()
            }
            return
        default:
            break
        }
        logger.warning("cluster message not understood", metadata: ["bytes": "\(message.count)"])
    }

    /// Takes this instance's entries and liveness out of Redis (a graceful stop).
    func leave() async {
        do {
            _ = try await client.run(ClusterScripts.sync, keys: tableKeys, arguments: [prefix, instance])
            _ = try await client.run(ClusterScripts.leave, keys: tableKeys, arguments: [prefix, instance])
            logger.info("left the cluster")
        } catch {
            logger.warning("could not leave the cluster cleanly; its entries expire with its liveness", metadata: ["error": "\(error)"])
        }
        await client.close()
    }
}
