import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOSSL
import PladmedTestSupport

/// Requests over HTTPS to 127.0.0.1:`port`, trusting only `certificate` (checked for the name `localhost`, which the
/// test certificates carry); one connection per request, closed by the server after its answer.
struct HTTPSClient: Sendable {
    let port: Int
    let certificate: TestCertificate

    /// An answer as received.
    struct Answer: Sendable {
        let status: Int
        let headers: HTTPFields
        let body: String
    }

    func send(
        _ method: HTTPRequest.Method, _ path: String, body: String? = nil, token: String? = nil, headers extra: [(String, String)] = []
    ) async throws -> Answer {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(certificate.certificate)
        let client = TestClient(
            host: "127.0.0.1", port: port, configuration: .init(tlsConfiguration: tls, timeout: .seconds(30), serverName: "localhost"))
        client.connect()
        var headers = HTTPFields()
        // The server closes the connection after its answer: no TLS connection lingers kept-alive (nginx would hold
        // it for its keep-alive timeout while the client waited for its close).
        headers[.connection] = "close"
        if let token { headers[HTTPField.Name("access_token")!] = token }
        if body != nil { headers[.contentType] = "application/json" }
        for (name, value) in extra { headers.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        do {
            let response = try await client.execute(.init(
                path, method: method, authority: "localhost:\(port)", headers: headers, body: body.map { ByteBuffer(string: $0) }))
            try await client.shutdown()
            return Answer(status: Int(response.status.code), headers: response.headers, body: response.body.map { String(buffer: $0) } ?? "")
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
