import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore

/// The backend under test, over plain HTTP/1.1: one connection per request, so that a server closing
/// connections cannot disturb the next request.
public struct HTTPTarget: Sendable {
    /// An answer as received.
    public struct Answer: Sendable {
        public let status: Int
        /// Header name (lowercased) -> value; repeated headers joined with `, `.
        public let headers: [String: String]
        public let body: Data

        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public let baseURL: String
    let host: String
    let port: Int
    /// A path prefix of `baseURL` (empty for none).
    let prefix: String
    let timeout: Duration

    /// `baseURL` is `http://host[:port][/prefix]`.
    public init(baseURL: String, timeout: Duration) throws {
        guard let components = URLComponents(string: baseURL), components.scheme == "http", let host = components.host, !host.isEmpty
        else { throw CollectionError("--base-url must look like http://host:port, not '\(baseURL)'") }
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.host = host
        self.port = components.port ?? 80
        self.prefix = components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path
        self.timeout = timeout
    }

    /// `host:port`, for WebSocket URLs and the `Host` header.
    var authority: String { "\(host):\(port)" }

    /// Sends one request; `path` starts with `/` and may carry a query.
    public func send(_ method: String, _ path: String, headers: [(String, String)] = [], body: Data? = nil) async throws -> Answer {
        var fields = HTTPFields()
        for (name, value) in headers {
            guard let field = HTTPField.Name(name) else { throw CollectionError("'\(name)' is not a valid header name") }
            fields.append(HTTPField(name: field, value: value))
        }
        let request = TestClient.Request(
            prefix + path, method: HTTPRequest.Method(method.uppercased()) ?? .get, authority: authority, headers: fields,
            body: body.map { ByteBuffer(bytes: $0) })
        return try await TestClient.withClient(host: host, port: port, configuration: .init(timeout: timeout)) { client in
            let response = try await client.execute(request)
            var headers: [String: String] = [:]
            for field in response.head.headerFields {
                let name = field.name.canonicalName
                headers[name] = headers[name].map { $0 + ", " + field.value } ?? field.value
            }
            return Answer(status: response.head.status.code, headers: headers, body: response.body.map { Data(buffer: $0) } ?? Data())
        }
    }

    /// Returns once the target answers any HTTP request (any status), or throws after `deadline`.
    public func waitUntilAnswering(deadline: Duration) async throws {
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: deadline)
        var lastError: (any Error)?
        while clock.now < end {
            do {
                _ = try await send("GET", "/probes")
                return
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(250))
            }
        }
        throw CollectionError("\(baseURL) did not answer within \(deadline): \(lastError.map { "\($0)" } ?? "no answer")")
    }
}
