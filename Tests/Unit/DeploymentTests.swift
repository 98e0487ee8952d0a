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
        let address = ((proxy["networks"] as? [String: Any])?["pladmed"] as? [String: Any])?["ipv4_address"] as? String
        let trusted = ((servers.first?.value as? [String: Any])?["environment"] as? [String: Any])?["PLADMED_TRUSTED_PROXIES"] as? String
        #expect(address != nil && address == trusted)
    }
}
