/// Why a Redis command did not get its reply.
public enum RedisError: Error, Equatable, CustomStringConvertible {
    /// The server answered with an error (`-ERR ...`, `-NOSCRIPT ...`, `-WRONGPASS ...`).
    case server(String)
    /// The connection closed before the reply came.
    case connectionClosed
    /// The server could not be reached.
    case unavailable(String)
    /// A `redis://` URL that cannot be used.
    case badURL(String)

    public var description: String {
        switch self {
        case .server(let message): "Redis: \(message)"
        case .connectionClosed: "Redis: the connection closed"
        case .unavailable(let reason): "Redis unavailable: \(reason)"
        case .badURL(let reason): "bad Redis URL: \(reason)"
        }
    }
}
