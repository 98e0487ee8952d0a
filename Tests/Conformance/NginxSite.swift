import Foundation
import PladmedTestSupport

/// `deploy/nginx/pladmed.conf` rendered for a test on loopback: every instance's upstream pointed at a local port,
/// HTTPS on a free port with a test certificate (or, for tests that look at routing alone, plain HTTP there), the
/// redirecting HTTP server on another, and the frontend folder of the test's choice.
struct NginxSite {
    /// Where nginx serves HTTPS (plain HTTP when rendered without a certificate).
    let port: Int
    /// Where nginx answers plain HTTP with redirects.
    let redirectPort: Int
    /// The configuration text.
    let text: String

    /// The site with `server1` to `server3` at `upstreams` (one port each, or one port for all), TLS from
    /// `certificate` (none: plain HTTP on ``port``), static files from `frontend`.
    init(upstreams: [Int], certificate: TestCertificate?, frontend: String) throws {
        port = try LoopbackPort.free()
        redirectPort = try LoopbackPort.free()
        var site = try String(contentsOf: Repository.file("deploy/nginx/pladmed.conf"), encoding: .utf8)
        for (index, name) in ["server1", "server2", "server3"].enumerated() {
            let upstream = upstreams[min(index, upstreams.count - 1)]
            site = site.replacingOccurrences(of: "\(name):5000", with: "127.0.0.1:\(upstream)")
        }
        site = Self.replacing("listen 80;", with: "listen 127.0.0.1:\(redirectPort);", in: site)
        if let certificate {
            site = Self.replacing("listen 443 ssl;", with: "listen 127.0.0.1:\(port) ssl;", in: site)
            site = Self.replacing("/etc/nginx/tls/pladmed.crt", with: certificate.certificate, in: site)
            site = Self.replacing("/etc/nginx/tls/pladmed.key", with: certificate.key, in: site)
        } else {
            site = Self.replacing("listen 443 ssl;", with: "listen 127.0.0.1:\(port);", in: site)
            site = site.split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("ssl_") }.joined(separator: "\n")
        }
        site = Self.replacing("root /usr/share/nginx/pladmed;", with: "root \(frontend);", in: site)
        text = site
    }

    /// `text` with `old` replaced; the deployment file must still hold `old`, or the test would run something else.
    static func replacing(_ old: String, with new: String, in text: String) -> String {
        precondition(text.contains(old), "deploy/nginx/pladmed.conf no longer holds '\(old)': update NginxSite")
        return text.replacingOccurrences(of: old, with: new)
    }
}
