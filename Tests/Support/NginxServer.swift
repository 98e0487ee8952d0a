import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Debian's nginx on 127.0.0.1, one process (no master), running `site` (an http-level configuration, its
/// `listen` lines already naming `port`) with its files in a folder of its own; killed when stopped or when the
/// test process exits.
public final class NginxServer: @unchecked Sendable {
    public let port: Int
    private let process = Process()
    private let folder = TemporaryDirectory()

    /// Starts nginx serving `site` on `port`; returns once `port` takes connections (within 10 s).
    public init(site: String, port: Int) throws {
        self.port = port
        let site = site, root = folder.path("")
        try site.write(toFile: folder.path("site.conf"), atomically: true, encoding: .utf8)
        let main = """
            daemon off;
            master_process off;
            pid \(root)/nginx.pid;
            error_log \(root)/error.log warn;
            events { worker_connections 16384; }
            http {
                access_log off;
                client_body_temp_path \(root)/body;
                proxy_temp_path \(root)/proxy;
                fastcgi_temp_path \(root)/fastcgi;
                uwsgi_temp_path \(root)/uwsgi;
                scgi_temp_path \(root)/scgi;
                include \(root)/site.conf;
            }
            """
        try main.write(toFile: folder.path("nginx.conf"), atomically: true, encoding: .utf8)
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") else {
            throw Oracle.Failure(description: "Debian's nginx is not installed: run `make test` (or scripts/prerequisites.sh)")
        }
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        process.arguments = ["-p", root, "-e", folder.path("error.log"), "-c", folder.path("nginx.conf")]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        ChildProcess.killAtExit(process.processIdentifier)
        let deadline = Date().addingTimeInterval(10)
        while !Self.accepts(port) {
            guard process.isRunning, Date() < deadline else {
                let log = (try? String(contentsOfFile: folder.path("error.log"), encoding: .utf8)) ?? ""
                throw Oracle.Failure(description: "nginx did not start: \(log)")
            }
            usleep(20_000)
        }
    }

    /// Whether something takes TCP connections on 127.0.0.1:`port`.
    static func accepts(_ port: Int) -> Bool {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return false }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// What nginx logged (warnings and errors).
    public var errorLog: String { (try? String(contentsOfFile: folder.path("error.log"), encoding: .utf8)) ?? "" }

    /// Kills nginx and waits for it.
    public func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit {
        if process.isRunning { stop() }
    }
}
