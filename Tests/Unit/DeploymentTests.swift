import Foundation
import PladmedTestSupport
import Testing
import Yams

/// The compose file and the nginx configuration describe the same cluster (the cluster tests run the nginx file).
struct DeploymentTests {
    @Test("every compose server instance runs in cluster mode on MongoDB, and nginx routes to it by name")
    func composeAndNginxAgree() throws {
        let compose = try #require(try Yams.load(yaml: String(contentsOf: Repository.file("docker-compose.yml"), encoding: .utf8)) as? [String: Any])
        let services = try #require(compose["services"] as? [String: Any])
        let servers = services.filter { $0.key.hasPrefix("server") }.sorted { $0.key < $1.key }
        #expect(servers.count >= 2)
        let nginx = try String(contentsOf: Repository.file("deploy/nginx/pladmed.conf"), encoding: .utf8)
        func upstream(_ name: String) -> String? {
            guard let start = nginx.range(of: "upstream \(name) {") else { return nil }
            return nginx[start.upperBound...].prefix { $0 != "}" }.description
        }
        for (name, service) in servers {
            let environment = try #require((service as? [String: Any])?["environment"] as? [String: Any], "\(name)")
            #expect(environment["PLADMED_INSTANCE"] as? String == name)
            #expect(environment["DATABASE"] as? String == "mongo")
            #expect((environment["REDIS_URL"] as? String)?.hasPrefix("redis://") == true)
            #expect((environment["MONGODB_URI"] as? String)?.contains("replicaSet=") == true)
            #expect(upstream("pladmed_\(name)")?.contains("server \(name):5000") == true, "no upstream of its own for \(name)")
            #expect(nginx.contains(#""~^\#(name)\." pladmed_\#(name);"#), "the session map does not name \(name)")
            for group in ["pladmed", "pladmed_sessions"] {
                #expect(upstream(group)?.contains("server \(name):5000") == true, "\(name) is not in \(group)")
            }
        }
        let proxy = try #require(services["nginx"] as? [String: Any])
        // HTTPS on 443 from the operator's certificate folder, 80 redirecting, the frontend's files.
        let ports = (proxy["ports"] as? [Any])?.map { "\($0)" } ?? []
        #expect(ports.contains { $0.hasSuffix(":443") } && ports.contains { $0.hasSuffix(":80") }, "\(ports)")
        let volumes = (proxy["volumes"] as? [Any])?.map { "\($0)" } ?? []
        #expect(volumes.contains { $0.hasSuffix(":/etc/nginx/tls:ro") }, "\(volumes)")
        #expect(volumes.contains { $0.hasSuffix(":/usr/share/nginx/pladmed:ro") }, "\(volumes)")
        #expect(nginx.contains("listen 443 ssl;") && nginx.contains("ssl_certificate /etc/nginx/tls/pladmed.crt;"))
        #expect(nginx.contains("root /usr/share/nginx/pladmed;"))
        let address = ((proxy["networks"] as? [String: Any])?["pladmed"] as? [String: Any])?["ipv4_address"] as? String
        let trusted = ((servers.first?.value as? [String: Any])?["environment"] as? [String: Any])?["PLADMED_TRUSTED_PROXIES"] as? String
        #expect(address != nil && address == trusted)
    }

    @Test("make start's certificate: a self-signed pair made once when the folder holds none, saying so; kept after")
    func selfSignedCertificate() async throws {
        let folder = TemporaryDirectory()
        let script = Repository.file("scripts/tls_certificate.sh")
        let first = try await ChildProcess.run(script, [folder.path("tls")], mergeErrors: true)
        #expect(first.status == 0 && first.text.contains("made a self-signed certificate"), "\(first.text)")
        let certificate = try String(contentsOfFile: folder.path("tls/pladmed.crt"), encoding: .utf8)
        #expect(certificate.hasPrefix("-----BEGIN CERTIFICATE-----"))
        let check = try await ChildProcess.run(
            URL(fileURLWithPath: "/usr/bin/openssl"), ["x509", "-in", folder.path("tls/pladmed.crt"), "-noout", "-ext", "subjectAltName"],
            mergeErrors: true)
        #expect(check.text.contains("DNS:localhost") && check.text.contains("IP Address:127.0.0.1"), "\(check.text)")
        let second = try await ChildProcess.run(script, [folder.path("tls")], mergeErrors: true)
        #expect(second.status == 0 && second.text.isEmpty, "\(second.text)")
        #expect(try String(contentsOfFile: folder.path("tls/pladmed.crt"), encoding: .utf8) == certificate)
    }
}
