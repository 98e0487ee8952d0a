/// The three measurements a probe runs; the raw value is the endpoint, the Socket.IO event name and the
/// stored `operation` field.
public enum MeasurementKind: String, Sendable, CaseIterable, Codable {
    case traceroute, ping, dns

    /// Credits one execution costs per destination.
    public var costPerDestination: Double {
        switch self {
        case .traceroute: 15
        case .ping, .dns: 1
        }
    }
}
