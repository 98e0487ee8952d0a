import Crypto
import Foundation

/// HS256 JSON Web Tokens, signed with a secret of any length.
///
/// Tokens are written the way PyJWT 1.7 wrote them for the original (header `{"typ":"JWT","alg":"HS256"}`,
/// compact payload with keys in the order given), so a token minted here for the same payload is byte-for-byte
/// the original's. Any HS256 token with a valid signature is accepted, whatever its header key order.
public struct HS256: Sendable {
    private let key: SymmetricKey

    /// A signer for `secret` (UTF-8 bytes, any length; jwt-kit's 32-byte minimum does not apply).
    public init(secret: String) {
        self.key = SymmetricKey(data: Array(secret.utf8))
    }

    /// Signs an already serialized JSON payload.
    public func sign(payload: Data) -> String {
        let signingInput = Self.header + "." + Base64URL.encode(payload)
        let signature = HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: key)
        return signingInput + "." + Base64URL.encode(Data(signature))
    }

    /// Returns the payload of a token whose signature is valid and whose header says HS256; `nil` otherwise.
    public func verify(_ token: String) -> JSONValue? {
        // Split at the dots by bytes: splitting the String walks its grapheme clusters, a fifth of a request's time.
        let bytes = token.utf8
        guard let first = bytes.firstIndex(of: UInt8(ascii: ".")),
              let second = bytes[bytes.index(after: first)...].firstIndex(of: UInt8(ascii: ".")),
              !bytes[bytes.index(after: second)...].contains(UInt8(ascii: "."))
        else { return nil }
        let parts = [token[..<first], token[token.index(after: first)..<second], token[token.index(after: second)...]]
        guard let headerData = Base64URL.decode(parts[0]),
              let header = try? JSONValue(parsing: headerData),
              header["alg"]?.string == "HS256",
              let signature = Base64URL.decode(parts[2]),
              let payloadData = Base64URL.decode(parts[1])
        else { return nil }
        let signingInput = Array(bytes[..<second])
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: key) else {
            return nil
        }
        guard let payload = try? JSONValue(parsing: payloadData), payload.object != nil else { return nil }
        return payload
    }

    /// `{"typ":"JWT","alg":"HS256"}` in base64url, as PyJWT 1.7 wrote it.
    static let header = Base64URL.encode(Data(#"{"typ":"JWT","alg":"HS256"}"#.utf8))
}

/// Base64url without padding (RFC 7515 section 2).
enum Base64URL {
    static func encode(_ data: Data) -> String {
        let standard = data.base64EncodedString().utf8
        return String(decoding: standard.lazy.compactMap { byte -> UInt8? in
            switch byte {
            case UInt8(ascii: "+"): UInt8(ascii: "-")
            case UInt8(ascii: "/"): UInt8(ascii: "_")
            case UInt8(ascii: "="): nil
            default: byte
            }
        }, as: UTF8.self)
    }

    /// The bytes of unpadded base64url text; `nil` for padding or text that does not decode.
    static func decode(_ text: Substring) -> Data? {
        var standard: [UInt8] = []
        standard.reserveCapacity(text.utf8.count + 3)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "-"): standard.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): standard.append(UInt8(ascii: "/"))
            case UInt8(ascii: "="): return nil
            default: standard.append(byte)
            }
        }
        while standard.count % 4 != 0 { standard.append(UInt8(ascii: "=")) }
        return Data(base64Encoded: Data(standard))
    }
}
