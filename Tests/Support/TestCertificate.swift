import Foundation

/// A self-signed certificate for `127.0.0.1` and `localhost` with its key, made by Debian's `openssl` in a folder of
/// its own: what a TLS endpoint in a test serves, and what its clients trust.
public final class TestCertificate: @unchecked Sendable {
    private let folder = TemporaryDirectory()
    /// The PEM certificate (also the trust root a client needs).
    public var certificate: String { folder.path("pladmed.crt") }
    /// The PEM private key.
    public var key: String { folder.path("pladmed.key") }

    /// Makes the pair (RSA 2048, valid two days).
    public init() throws {
        let run = Process()
        run.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        run.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", certificate,
        ]
        run.standardOutput = FileHandle.nullDevice
        run.standardError = FileHandle.nullDevice
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") else {
            throw Oracle.Failure(description: "Debian's openssl is not installed: run `make test` (or scripts/prerequisites.sh)")
        }
        try run.run()
        run.waitUntilExit()
        guard run.terminationStatus == 0, FileManager.default.fileExists(atPath: key) else {
            throw Oracle.Failure(description: "openssl could not make a test certificate (exit \(run.terminationStatus))")
        }
    }
}
