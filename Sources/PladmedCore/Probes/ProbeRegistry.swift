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
    }

    private let table = Mutex<[ObjectID: ProbeConnection]>([:])

    /// An empty registry.
    public init() {}

    /// Registers `connection` for `probe`; returns the connection it replaced, if any.
    @discardableResult
    public func connect(
        probe: ObjectID, connectionID: String, status: ProbeStatus, deliver: @escaping @Sendable (ProbeJob) async -> Void
    ) -> ProbeConnection? {
        table.withLock { table in
            let previous = table[probe]
            table[probe] = ProbeConnection(id: connectionID, status: status, deliver: deliver)
            return previous
        }
    }

    /// Removes `probe`'s connection if it is still `connectionID`; returns whether it did.
    @discardableResult
    public func disconnect(probe: ObjectID, connectionID: String) -> Bool {
        table.withLock { table in
            guard table[probe]?.id == connectionID else { return false }
            table[probe] = nil
            return true
        }
    }

    /// Adds `delta` to the in-use credits of `probe`'s connection `connectionID`; returns the new status.
    @discardableResult
    public func adjustInUseCredits(probe: ObjectID, connectionID: String, by delta: Double) -> ProbeStatus? {
        table.withLock { table in
            guard var connection = table[probe], connection.id == connectionID else { return nil }
            connection.status = connection.status.adjusted(by: delta)
            table[probe] = connection
            return connection.status
        }
    }

    public func connectedProbes() async -> [ObjectID: ProbeStatus] {
        table.withLock { $0.mapValues(\.status) }
    }

    @discardableResult
    public func dispatch(_ job: ProbeJob, to probes: [ObjectID]) async -> [ObjectID] {
        let targets = table.withLock { table in probes.compactMap { id in table[id].map { (id, $0.deliver) } } }
        for (_, deliver) in targets {
            await deliver(job)
        }
        return targets.map(\.0)
    }
}
