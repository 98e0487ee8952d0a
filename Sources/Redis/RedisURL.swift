import Foundation

/// Where and how to reach Redis: `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS.
public struct RedisURL: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?
    public var database: Int
    public var tls: Bool

    public init(_ text: String) throws {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "redis" || scheme == "rediss"
        else { throw RedisError.badURL("expected redis:// or rediss://, got '\(text)'") }
        guard let host = components.host, !host.isEmpty else { throw RedisError.badURL("no host in '\(text)'") }
        self.host = host
        self.port = components.port ?? 6379
        guard (1...65535).contains(port) else { throw RedisError.badURL("port \(port)") }
        self.tls = scheme == "rediss"
        let user = components.percentEncodedUser.flatMap { $0.removingPercentEncoding }
        self.username = user.flatMap { $0.isEmpty ? nil : $0 }
        self.password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if path.isEmpty {
            database = 0
        } else {
            guard let number = Int(path), (0...65535).contains(number) else { throw RedisError.badURL("database '\(path)'") }
            database = number
        }
    }

    /// The URL with its password replaced by `***`, for logs.
    public var redacted: String {
        let credentials = password == nil ? (username.map { "\($0)@" } ?? "") : "\(username ?? ""):***@"
        return "\(tls ? "rediss" : "redis")://\(credentials)\(host):\(port)/\(database)"
    }
}
