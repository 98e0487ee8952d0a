/// A list record: names the list later records belong to.
public struct WartsList: Sendable, Equatable {
    /// The list id given by the user.
    public var id: UInt32
    /// The list's name.
    public var name: String
    /// Optional description.
    public var description: String?
    /// Optional monitor name.
    public var monitor: String?

    /// A list.
    public init(id: UInt32, name: String, description: String? = nil, monitor: String? = nil) {
        self.id = id
        self.name = name
        self.description = description
        self.monitor = monitor
    }
}

/// A cycle record (start, definition or stop): one pass over a list.
public struct WartsCycle: Sendable, Equatable {
    /// The cycle id given by the user.
    public var id: UInt32
    /// The list the cycle runs.
    public var list: WartsList?
    /// When the cycle started, seconds since the epoch.
    public var startTime: UInt32
    /// When it stopped, if known.
    public var stopTime: UInt32?
    /// The measuring host's name.
    public var hostname: String?
}

/// One decoded record of a warts file, in file order.
public enum WartsRecord: Sendable, Equatable {
    case list(WartsList)
    case cycleStart(WartsCycle)
    case cycleDefinition(WartsCycle)
    case cycleStop(WartsCycle)
    case address(WartsAddress)
    case trace(Trace)
    case ping(Ping)
    /// A record type this decoder does not interpret (tracelb, dealias, ...), kept by type.
    case other(type: UInt16)
}
