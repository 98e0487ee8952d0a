import Crypto
import CryptoExtras
import Foundation

/// PBKDF2 (RFC 8018) with HMAC-SHA256, computed by BoringSSL through swift-crypto's `CryptoExtras`.
public enum PBKDF2 {
    /// Derives `keyLength` bytes from `password` and `salt` with `rounds` iterations of HMAC-SHA256.
    public static func sha256(password: some DataProtocol, salt: some DataProtocol, rounds: Int, keyLength: Int) -> [UInt8] {
        precondition(rounds > 0 && keyLength > 0)
        // passlib's rounds (29000 by default) are below the checked API's minimum; the hashes must stay readable.
        let key = try! KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password), salt: Array(salt), using: .sha256, outputByteCount: keyLength, unsafeUncheckedRounds: rounds)
        return key.withUnsafeBytes { Array($0) }
    }
}
