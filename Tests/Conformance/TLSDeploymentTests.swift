import Foundation
import HTTPTypes
import JSONValues
import PladmedConformance
import PladmedServer
import PladmedTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// TLS where a probe connects: `pladmed serve` terminating it itself (`PLADMED_TLS_CERT`, `PLADMED_TLS_KEY`), and
/// `deploy/nginx/pladmed.conf` as deployed (HTTPS only, port 80 redirecting, the API under `/api/` and at the root,
/// the probes' `/socket.io/`, a frontend's files at `/`), run by Debian's nginx with a test certificate. The real probe
/// software goes through both in `RealProbeTests`.
struct TLSDeploymentTests {
    @Test("pladmed serve with PLADMED_TLS_CERT and PLADMED_TLS_KEY answers HTTPS and Engine.IO over TLS, and plain HTTP not at all")
    func serverTerminatesTLS() async throws {
        let certificate = try TestCertificate()
        let harness = try await ServerHarness(environment: ["PLADMED_TLS_CERT": certificate.certificate, "PLADMED_TLS_KEY": certificate.key])
        try await harness.run { client in
            let port = try #require(client.port)
            let https = HTTPSClient(port: port, certificate: certificate)
            let probes = try await https.send(.get, "/probes")
            #expect(probes.status == 200 && probes.body == "[]")
            let registered = try await https.send(.post, "/register", body: #"{"email":"tls@example.com","password":"Secure_Pass1"}"#)
            #expect(registered.status == 201, "\(registered.body)")
            let handshake = try await https.send(.get, "/socket.io/?EIO=4&transport=polling")
            #expect(handshake.status == 200 && handshake.body.hasPrefix("0{") && handshake.body.contains("\"sid\":"), "\(handshake.body)")
            // Plain HTTP on the TLS port gets no HTTP answer: the handshake fails and the connection closes.
            let plain = try HTTPTarget(baseURL: "http://127.0.0.1:\(port)", timeout: .seconds(5))
            await #expect(throws: (any Error).self) { try await plain.send("GET", "/probes") }
            // A client that trusts another certificate refuses this one: the server really presents the configured pair.
            let stranger = HTTPSClient(port: port, certificate: try TestCertificate())
            await #expect(throws: (any Error).self) { try await stranger.send(.get, "/health") }
            #expect(try await https.send(.get, "/health").status == 200)
        }
    }

    @Test("a TLS setting alone, or files that are not a certificate and its key, stop the server with a message")
    func badTLSConfiguration() async throws {
        let certificate = try TestCertificate()
        #expect(throws: ConfigurationError.self) { try ServerConfiguration(environment: ["PLADMED_TLS_CERT": certificate.certificate]) }
        let folder = TemporaryDirectory()
        try "not a key".write(toFile: folder.path("bad.key"), atomically: true, encoding: .utf8)
        for (cert, key, says) in [
            (certificate.certificate, folder.path("bad.key"), "PLADMED_TLS_KEY"), (folder.path("missing.crt"), certificate.key, "PLADMED_TLS_CERT"),
        ] {
            let run = try await CLITests.run(
                CLITests.binary, ["serve", "--host", "127.0.0.1", "--port", "0", "--tls-cert", cert, "--tls-key", key],
                environment: ["PLADMED_SQLITE_PATH": folder.path("db.sqlite"), "SECRET_KEY": "dev"])
            #expect(run.status != 0)
            #expect(run.output.contains(says), "\(run.output)")
        }
        let listed = try await CLITests.run(
            CLITests.binary, ["config", "--tls-cert", certificate.certificate, "--tls-key", certificate.key], environment: [:])
        #expect(listed.output.contains("PLADMED_TLS_CERT=\(certificate.certificate)"), "\(listed.output)")
    }

    @Test("nginx as deployed: HTTPS only, the API under /api/ and at the root, CORS preflights, a frontend's files, no /metrics")
    func nginxAsDeployed() async throws {
        let certificate = try TestCertificate()
        let frontend = TemporaryDirectory()
        let harness = try await ServerHarness()
        try await harness.run { client in
            let port = try #require(client.port)
            let site = try NginxSite(upstreams: [port], certificate: certificate, frontend: frontend.path(""))
            let nginx = try NginxServer(site: site.text, port: site.port)
            defer { nginx.stop() }
            let https = HTTPSClient(port: site.port, certificate: certificate)

            // Port 80 only redirects, keeping the path and query.
            let plain = try HTTPTarget(baseURL: "http://127.0.0.1:\(site.redirectPort)", timeout: .seconds(10))
            let redirect = try await plain.send("GET", "/api/operation?id=1")
            #expect(redirect.status == 301)
            #expect(redirect.headers["location"] == "https://127.0.0.1/api/operation?id=1", "\(redirect.headers)")

            // The API at the root and under /api/, the same answers.
            let registered = try await https.send(.post, "/api/register", body: #"{"email":"nginx@example.com","password":"Secure_Pass1"}"#)
            #expect(registered.status == 201, "\(registered.body)")
            let login = try await https.send(.post, "/login", body: #"{"email":"nginx@example.com","password":"Secure_Pass1"}"#)
            let token = try #require(try JSONValue(parsing: login.body)["access_token"]?.string)
            let atRoot = try await https.send(.get, "/users/me", token: token)
            let underAPI = try await https.send(.get, "/api/users/me", token: token)
            #expect(atRoot.status == 200 && underAPI.status == 200 && atRoot.body == underAPI.body, "\(atRoot.body) \(underAPI.body)")
            let missing = try await https.send(.get, "/api/operation?id=6b0bb2407e0df0e690a036bc", token: token)
            #expect(missing.status == 404 && missing.body.contains("Operation doesn't exist"), "\(missing.body)")

            // CORS preflights, as a browser on the frontend's host sends them, both ways.
            for path in ["/api/login", "/login", "/api/traceroute"] {
                let preflight = try await https.send(.options, path, headers: [
                    ("Origin", "https://frontend.example"), ("Access-Control-Request-Method", "POST"),
                    ("Access-Control-Request-Headers", "content-type,access_token"),
                ])
                #expect([200, 204].contains(preflight.status), "\(path): \(preflight.status)")
                #expect(preflight.headers[HTTPField.Name("Access-Control-Allow-Origin")!] != nil, "\(path): \(preflight.headers)")
                #expect(preflight.headers[HTTPField.Name("Access-Control-Allow-Methods")!]?.contains("POST") == true, "\(path): \(preflight.headers)")
            }

            // The probes' Socket.IO.
            let handshake = try await https.send(.get, "/socket.io/?EIO=4&transport=polling")
            #expect(handshake.status == 200 && handshake.body.hasPrefix("0{") && handshake.body.contains("\"sid\":"), "\(handshake.body)")

            // No metrics for the public.
            for path in ["/metrics", "/api/metrics"] { #expect(try await https.send(.get, path).status == 404, "\(path)") }

            // A frontend's files at /, where there is one; the API where there is none.
            try "<html>pladmed frontend</html>".write(toFile: frontend.path("index.html"), atomically: true, encoding: .utf8)
            try "console.log(1)".write(toFile: frontend.path("app.js"), atomically: true, encoding: .utf8)
            #expect(try await https.send(.get, "/").body == "<html>pladmed frontend</html>")
            #expect(try await https.send(.get, "/app.js").body == "console.log(1)")
            let probes = try await https.send(.get, "/probes")
            #expect(probes.status == 200 && probes.body == "[]", "\(probes.body)")
            #expect(nginx.errorLog.isEmpty || !nginx.errorLog.contains("[emerg]"), "\(nginx.errorLog)")
        }
    }
}
