import Crypto
import Foundation

/// PBKDF2 (RFC 8018) with HMAC-SHA256.
public enum PBKDF2 {
    /// Derives `keyLength` bytes from `password` and `salt` with `rounds` iterations of HMAC-SHA256.
    public static func sha256(password: some DataProtocol, salt: some DataProtocol, rounds: Int, keyLength: Int) -> [UInt8] {
        precondition(rounds > 0 && keyLength > 0)
        let key = SymmetricKey(data: Array(password))
        let keyed = HMAC<SHA256>(key: key)
        var derived = [UInt8]()
        derived.reserveCapacity(keyLength)
        var blockIndex: UInt32 = 1
        while derived.count < keyLength {
            var first = keyed
            first.update(data: Array(salt))
            withUnsafeBytes(of: blockIndex.bigEndian) { first.update(data: Array($0)) }
            var u = Array(first.finalize())
            var block = u
            for _ in 1..<rounds {
                var next = keyed
                next.update(data: u)
                u = Array(next.finalize())
                for i in 0..<block.count { block[i] ^= u[i] }
            }
            derived.append(contentsOf: block.prefix(keyLength - derived.count))
            blockIndex += 1
        }
        return derived
    }
}
