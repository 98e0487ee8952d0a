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

    /// Sends one request on a connection of its own; `path` starts with `/` and may carry a query.
    public func send(_ method: String, _ path: String, headers: [(String, String)] = [], body: Data? = nil) async throws -> Answer {
        try await withSession { session in try await session.send(method, path, headers: headers, body: body) }
    }

    /// Requests sent one after another over a kept-alive connection, as a browser sends them; a new connection is
    /// opened when the target closes one (`Connection: close`).
    public final class Session: @unchecked Sendable {
        let target: HTTPTarget
        /// Used by one caller at a time, as a session's requests are sequential.
        private var client: TestClient?

        init(target: HTTPTarget) {
            self.target = target
        }

        /// Sends one request; `path` starts with `/` and may carry a query. A kept connection the target has closed
        /// in the meantime (an HTTP/1.0 server says nothing before closing) is replaced once.
        public func send(_ method: String, _ path: String, headers: [(String, String)] = [], body: Data? = nil) async throws -> Answer {
            let request = try target.request(method, path, headers: headers, body: body)
            let reused = client != nil
            do {
                return try await execute(request)
            } catch where reused {
                return try await execute(request)
            }
        }

        private func execute(_ request: TestClient.Request) async throws -> Answer {
            let client = self.client ?? {
                let client = TestClient(host: target.host, port: target.port, configuration: .init(timeout: target.timeout))
                client.connect()
                return client
            }()
            self.client = client
            do {
                let response = try await client.execute(request)
                if response.head.headerFields[.connection]?.lowercased().contains("close") ?? false { try await close() }
                return HTTPTarget.answer(response)
            } catch {
                try? await close()
                throw error
            }
        }

        /// Closes the connection, if one is open.
        public func close() async throws {
            let client = self.client
            self.client = nil
            try await client?.shutdown()
        }
    }

    /// A ``Session`` on this target, closed after `body`.
    public func withSession<Value: Sendable>(_ body: (Session) async throws -> Value) async throws -> Value {
        let session = Session(target: self)
        do {
            let value = try await body(session)
            try await session.close()
            return value
        } catch {
            try? await session.close()
            throw error
        }
    }

    func request(_ method: String, _ path: String, headers: [(String, String)], body: Data?) throws -> TestClient.Request {
        var fields = HTTPFields()
        for (name, value) in headers {
            guard let field = HTTPField.Name(name) else { throw CollectionError("'\(name)' is not a valid header name") }
            fields.append(HTTPField(name: field, value: value))
        }
        return TestClient.Request(
            prefix + path, method: HTTPRequest.Method(method.uppercased()) ?? .get, authority: authority, headers: fields,
            body: body.map { ByteBuffer(bytes: $0) })
    }

    static func answer(_ response: TestClient.Response) -> Answer {
        var headers: [String: String] = [:]
        for field in response.head.headerFields {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { $0 + ", " + field.value } ?? field.value
        }
        return Answer(status: response.head.status.code, headers: headers, body: response.body.map { Data(buffer: $0) } ?? Data())
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
