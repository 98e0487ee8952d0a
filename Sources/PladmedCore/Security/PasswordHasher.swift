import Foundation

/// Password hashes in passlib's `pbkdf2_sha256` format, which the original stored:
/// `$pbkdf2-sha256$<rounds>$<salt>$<checksum>`, salt and checksum in passlib's adapted base64
/// (standard base64 with `.` for `+` and no padding), a 32-byte HMAC-SHA256 key.
public struct PasswordHasher: Sendable {
    /// Iterations for new hashes; passlib 1.7's default is 29000.
    public let rounds: Int
    /// Salt length for new hashes in bytes; passlib's default is 16.
    public let saltLength: Int

    /// A hasher producing hashes like passlib's defaults.
    public init(rounds: Int = 29000, saltLength: Int = 16) {
        self.rounds = rounds
        self.saltLength = saltLength
    }

    /// Hashes `password` with a fresh random salt.
    public func hash(_ password: String) -> String {
        let salt = (0..<saltLength).map { _ in UInt8.random(in: .min ... .max) }
        return Self.format(password: password, salt: salt, rounds: rounds)
    }

    /// Whether `password` matches `hash`; malformed hashes never match.
    public func verify(_ password: String, against hash: String) -> Bool {
        let parts = hash.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0].isEmpty, parts[1] == "pbkdf2-sha256",
              let rounds = Int(parts[2]), rounds > 0, rounds <= 10_000_000,
              let salt = Self.decodeAdaptedBase64(parts[3]),
              let expected = Self.decodeAdaptedBase64(parts[4]), !expected.isEmpty
        else { return false }
        let actual = PBKDF2.sha256(password: Array(password.utf8), salt: salt, rounds: rounds, keyLength: expected.count)
        return Self.constantTimeEqual(actual, expected)
    }

    static func format(password: String, salt: [UInt8], rounds: Int) -> String {
        let checksum = PBKDF2.sha256(password: Array(password.utf8), salt: salt, rounds: rounds, keyLength: 32)
        return "$pbkdf2-sha256$\(rounds)$\(encodeAdaptedBase64(salt))$\(encodeAdaptedBase64(checksum))"
    }

    static func encodeAdaptedBase64(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: ".")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeAdaptedBase64(_ text: Substring) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: ".", with: "+")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard).map(Array.init)
    }

    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return zip(lhs, rhs).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
