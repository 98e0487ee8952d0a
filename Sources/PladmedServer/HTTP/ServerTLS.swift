import NIOSSL

/// The TLS a server terminates itself (`PLADMED_TLS_CERT` and `PLADMED_TLS_KEY`): a certificate chain and its key,
/// read once at start, TLS 1.2 and later, no client certificates.
struct ServerTLS: Sendable {
    let context: NIOSSLContext

    /// The context of the PEM files at `certificate` (the chain, leaf first) and `key`; a missing or unreadable file,
    /// or a key that is not the certificate's, is a ``ConfigurationError`` naming it.
    init(certificate: String, key: String) throws {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificate)
        } catch {
            throw ConfigurationError("PLADMED_TLS_CERT: cannot read a PEM certificate chain from \(certificate) (\(error))")
        }
        guard !chain.isEmpty else { throw ConfigurationError("PLADMED_TLS_CERT: \(certificate) holds no certificate") }
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            throw ConfigurationError("PLADMED_TLS_KEY: cannot read a PEM private key from \(key) (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["http/1.1"]
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw ConfigurationError("PLADMED_TLS_CERT and PLADMED_TLS_KEY do not make a TLS context (is the key the certificate's?): \(error)")
        }
    }

    /// The handler that decrypts one connection.
    func handler() -> NIOSSLServerHandler { NIOSSLServerHandler(context: context) }
}
