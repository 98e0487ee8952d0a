/// The in-process ``ProbeHub``: a table of live probe connections.
///
/// A connection registers with a sink that delivers jobs to it. The newest connection of a probe wins: it
/// replaces the older one, whose ``ProbeConnection/id`` is returned so that the caller can close it, and a
/// later disconnect of the older connection leaves the newer one in place.
public final class ProbeRegistry: ProbeHub {
    /// One live connection of a probe.
    public struct ProbeConnection: Sendable {
        /// Identifies the connection (for example a Socket.IO session id).
        public let id: String
        /// The probe's credits.
        public var status: ProbeStatus
        /// Delivers a job to the probe.
        public let deliver: @Sendable (ProbeJob) async -> Void
        /// Closes the connection.
        public let close: @Sendable () async -> Void
    }

    /// The live connections, and the ``revision()`` counting their changes.
    private struct State {
        var connections: [ObjectID: ProbeConnection] = [:]
        var revision: UInt64 = 0
    }

    private let state = Mutex(State())

    /// An empty registry.
    public init() {}

    /// Registers `connection` for `probe`; returns the connection it replaced, if any (the caller closes it).
    @discardableResult
    public func connect(
        probe: ObjectID, connectionID: String, status: ProbeStatus, deliver: @escaping @Sendable (ProbeJob) async -> Void,
        close: @escaping @Sendable () async -> Void = {}
    ) -> ProbeConnection? {
        state.withLock { state in
            let previous = state.connections[probe]
            state.connections[probe] = ProbeConnection(id: connectionID, status: status, deliver: deliver, close: close)
            state.revision &+= 1
            return previous
        }
    }

    /// Removes `probe`'s connection if it is still `connectionID`; returns whether it did.
    @discardableResult
    public func disconnect(probe: ObjectID, connectionID: String) -> Bool {
        removeConnection(probe: probe, connectionID: connectionID) != nil
    }

    /// Removes `probe`'s connection if it is still `connectionID`; returns it.
    public func removeConnection(probe: ObjectID, connectionID: String) -> ProbeConnection? {
        state.withLock { state in
            guard let connection = state.connections[probe], connection.id == connectionID else { return nil }
            state.connections[probe] = nil
            state.revision &+= 1
            return connection
        }
    }

    /// Adds `delta` to the in-use credits of `probe`'s connection `connectionID`; returns the new status.
    @discardableResult
    public func adjustInUseCredits(probe: ObjectID, connectionID: String, by delta: Double) -> ProbeStatus? {
        state.withLock { state in
            guard var connection = state.connections[probe], connection.id == connectionID else { return nil }
            let status = connection.status.adjusted(by: delta)
            if status != connection.status {
                connection.status = status
                state.connections[probe] = connection
                state.revision &+= 1
            }
            return status
        }
    }

    /// The statuses of every connected probe.
    public func connectedProbes() -> [ObjectID: ProbeStatus] {
        state.withLock { $0.connections.mapValues(\.status) }
    }

    /// Every live connection: its probe, id and status.
    public func connections() -> [(probe: ObjectID, id: String, status: ProbeStatus)] {
        state.withLock { state in state.connections.map { ($0.key, $0.value.id, $0.value.status) } }
    }

    /// How many probes are connected.
    public var count: Int {
        state.withLock { $0.connections.count }
    }

    public func attach(
        probe: ObjectID, connectionID: String, status: ProbeStatus,
        deliver: @escaping @Sendable (ProbeJob) async -> Void, close: @escaping @Sendable () async -> Void
    ) async {
        await connect(probe: probe, connectionID: connectionID, status: status, deliver: deliver, close: close)?.close()
    }

    @discardableResult
    public func detach(probe: ObjectID, connectionID: String) -> Bool {
        disconnect(probe: probe, connectionID: connectionID)
    }

    public func knownStatuses(of probes: [ObjectID]) -> [ObjectID: ProbeStatus] {
        statuses(of: probes)
    }

    /// The statuses of those of `probes` connected here.
    public func statuses(of probes: [ObjectID]) -> [ObjectID: ProbeStatus] {
        state.withLock { state in
            var found: [ObjectID: ProbeStatus] = [:]
            found.reserveCapacity(min(probes.count, state.connections.count))
            for id in probes {
                if let connection = state.connections[id] { found[id] = connection.status }
            }
            return found
        }
    }

    public func revision() -> UInt64 {
        state.withLock { $0.revision }
    }

    @discardableResult
    public func dispatch(_ job: ProbeJob, to probes: [ObjectID]) async -> [ObjectID] {
        let targets = state.withLock { state in probes.compactMap { id in state.connections[id].map { (id, $0.deliver) } } }
        for (_, deliver) in targets {
            await deliver(job)
        }
        return targets.map(\.0)
    }
}
