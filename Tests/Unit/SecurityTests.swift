import Foundation
import PladmedCore
import PladmedTestSupport
import Testing

@Suite("Passwords and tokens interoperate with the original's libraries")
struct SecurityTests {
    @Test("PBKDF2-HMAC-SHA256 matches RFC 7914's test vector")
    func pbkdf2Vector() {
        let key = PBKDF2.sha256(password: Array("passwd".utf8), salt: Array("salt".utf8), rounds: 1, keyLength: 64)
        #expect(key.map { String(format: "%02x", $0) }.joined() ==
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")
    }

    @Test("a passlib hash recorded from the original's library verifies")
    func passlibVector() {
        // passlib 1.7.4: pbkdf2_sha256.hash("Secure_Pass1")
        let hash = "$pbkdf2-sha256$29000$vzfG2FuL8d47x3hPiTHGWA$E.54Y78pWcu22ApoDVMUVuZ6ftbihHpYj3hmHx6P.ek"
        #expect(PasswordHasher().verify("Secure_Pass1", against: hash))
        #expect(!PasswordHasher().verify("Secure_Pass2", against: hash))
    }

    @Test("hashes made by passlib now verify here, and ours verify in passlib")
    func passlibLive() async throws {
        for password in ["Secure_Pass1", "R00t!secret", "ünïcode-Pässwörd1!"] {
            let theirs = try await Oracle.run("oracles/interop.py", ["passlib-hash", password])
            #expect(theirs.hasPrefix("$pbkdf2-sha256$29000$"))
            #expect(PasswordHasher().verify(password, against: theirs))
            #expect(!PasswordHasher().verify(password + "x", against: theirs))
            let ours = PasswordHasher().hash(password)
            #expect(try await Oracle.run("oracles/interop.py", ["passlib-verify", password, ours]) == "true")
            #expect(try await Oracle.run("oracles/interop.py", ["passlib-verify", password + "x", ours]) == "false")
        }
    }

    @Test("malformed hashes never verify", arguments: [
        "", "plain", "$pbkdf2-sha256$", "$pbkdf2-sha256$0$c2FsdA$AAAA", "$pbkdf2-sha256$x$c2FsdA$AAAA",
        "$pbkdf2-sha512$29000$c2FsdA$AAAA", "$pbkdf2-sha256$29000$c2FsdA$", "$pbkdf2-sha256$29000$!!$AAAA",
    ])
    func malformedHashes(hash: String) {
        #expect(!PasswordHasher().verify("anything", against: hash))
    }

    /// Tokens the original minted with `SECRET_KEY=dev` (reference recordings).
    static let recordedUserToken =
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJfaWQiOiI2YjBiYjI0MDdlMGRmMGU2OTBhMDM2YmMiLCJlbWFpbCI6ImFsaWNlQGV4YW1wbGUuY29tIiwiY3JlZGl0cyI6MCwiaXNfc3VwZXJ1c2VyIjpmYWxzZX0.-vWt1N28TzDpIqhbzZeIHya-9ynqnfCSakOdcnFMVoI"
    static let recordedProbeToken =
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJpZGVudGlmaWVyIjoiNmIwYmIyNWZmOWJhZGE4MDIxNGRkZmRiIiwib3duZXJfaWQiOiI2YjBiYjI1ZmY5YmFkYTgwMjE0ZGRmZGEiLCJsb2NhdGlvbiI6eyJsYXRpdHVkZSI6LTM0LjYsImxvbmdpdHVkZSI6LTU4LjR9fQ.62WtVweUYZ-TURh6Qvo9hypzkJ3c0XyelmPmz-0u4uw"

    @Test("our tokens are byte-identical to the original's for the same payload")
    func recordedTokens() {
        let tokens = TokenService(secret: "dev")
        let alice = User(id: ObjectID("6b0bb2407e0df0e690a036bc")!, email: "alice@example.com", passwordHash: "", credits: 0, isSuperuser: false)
        #expect(tokens.userToken(for: alice) == Self.recordedUserToken)
        let probe = Probe(id: ObjectID("6b0bb25ff9bada80214ddfdb")!, owner: ObjectID("6b0bb25ff9bada80214ddfda")!,
                          location: Location(latitude: -34.6, longitude: -58.4))
        #expect(tokens.probeToken(for: probe) == Self.recordedProbeToken)
        #expect(tokens.userClaims(fromToken: Self.recordedUserToken) == .init(id: alice.id, version: 0))
        #expect(tokens.probeClaims(fromToken: Self.recordedProbeToken)?.probe == probe.id)
        #expect(tokens.probeClaims(fromToken: Self.recordedProbeToken)?.version == 0)
        // A rotated probe's token carries its version after the original's fields.
        var rotated = probe
        rotated.tokenVersion = 2
        #expect(tokens.probeClaims(fromToken: tokens.probeToken(for: rotated))?.version == 2)
        #expect(tokens.probeToken(for: rotated) != Self.recordedProbeToken)
    }

    @Test("tokens with a wrong signature, algorithm or shape are refused")
    func refusedTokens() {
        let tokens = TokenService(secret: "dev")
        #expect(TokenService(secret: "other").userClaims(fromToken: Self.recordedUserToken) == nil)
        #expect(tokens.userClaims(fromToken: "not.a.jwt") == nil)
        #expect(tokens.userClaims(fromToken: "") == nil)
        // The recording's "token signed with other key".
        #expect(tokens.userClaims(fromToken: "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJlbWFpbCI6ImFsaWNlQGV4YW1wbGUuY29tIn0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") == nil)
        // alg "none" with the payload of a valid token.
        let parts = Self.recordedUserToken.split(separator: ".")
        let none = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
        #expect(tokens.userClaims(fromToken: "\(none).\(parts[1]).") == nil)
        #expect(tokens.userClaims(fromToken: "\(none).\(parts[1]).\(parts[2])") == nil)
        // A probe token is no user token: it names no account id.
        #expect(tokens.userClaims(fromToken: Self.recordedProbeToken) == nil)
        // Once a token is verified (and kept), neither another segment nor another signature passes on its credit.
        let alice = User(id: ObjectID(), email: "alice@example.com", passwordHash: "", credits: 0, isSuperuser: false)
        let valid = tokens.userToken(for: alice)
        #expect(tokens.userClaims(fromToken: valid) == .init(id: alice.id, version: 0))
        #expect(tokens.userClaims(fromToken: valid + ".x") == nil)
        let segments = valid.split(separator: ".").map(String.init)
        let signature = segments[2], other = signature.first == "A" ? "B" : "A"
        #expect(tokens.userClaims(fromToken: segments[0] + "." + segments[1] + "." + other + signature.dropFirst()) == nil)
    }

    @Test("user tokens expire when a lifetime is set, carry the account's token version once it logged out, and are refused after")
    func expiryAndVersions() {
        let tokens = TokenService(secret: "dev", userTokenLifetime: 3600)
        var alice = User(id: ObjectID(), email: "alice@example.com", passwordHash: "", credits: 0, isSuperuser: false)
        let minted = Date(timeIntervalSince1970: 1_800_000_000)
        let token = tokens.userToken(for: alice, now: minted)
        #expect(tokens.userClaims(fromToken: token, now: minted.addingTimeInterval(3599)) == .init(id: alice.id, version: 0))
        #expect(tokens.userClaims(fromToken: token, now: minted.addingTimeInterval(3600)) == nil)
        alice.tokenVersion = 3
        #expect(tokens.userClaims(fromToken: tokens.userToken(for: alice, now: minted), now: minted)?.version == 3)
        // Without a lifetime, no exp: such a token never expires, like the original's.
        let forever = TokenService(secret: "dev").userToken(for: alice)
        #expect(TokenService(secret: "dev").userClaims(fromToken: forever, now: .distantFuture)?.version == 3)
    }

    @Test("PyJWT-minted tokens are accepted, ours decode in PyJWT, for short and long secrets")
    func pyjwtLive() async throws {
        for secret in ["dev", "k", String(repeating: "long-secret-", count: 8)] {
            let tokens = TokenService(secret: secret)
            let bob = ObjectID()
            let theirs = try await Oracle.run("oracles/interop.py", ["jwt-encode", secret, #"{"_id": "\#(bob.hex)", "email": "bob@example.com", "credits": 2.5}"#])
            #expect(tokens.userClaims(fromToken: theirs) == .init(id: bob, version: 0))
            // PyJWT's exp in the past: refused; in the future: accepted.
            let expired = try await Oracle.run("oracles/interop.py", ["jwt-encode", secret, #"{"_id": "\#(bob.hex)", "exp": 1000}"#])
            #expect(tokens.userClaims(fromToken: expired) == nil)
            let valid = try await Oracle.run("oracles/interop.py", ["jwt-encode", secret, #"{"_id": "\#(bob.hex)", "exp": 4000000000}"#])
            #expect(tokens.userClaims(fromToken: valid) == .init(id: bob, version: 0))
            let user = User(id: ObjectID(), email: "carol@example.com", passwordHash: "", credits: 4812.5, isSuperuser: true)
            let decoded = try await Oracle.run("oracles/interop.py", ["jwt-decode", secret, tokens.userToken(for: user)])
            let payload = try JSONValue(parsing: Data(decoded.utf8))
            #expect(payload == .object(["_id": .string(user.id.hex), "email": .string("carol@example.com"),
                                        "credits": .double(4812.5), "is_superuser": .bool(true)]))
            await #expect(throws: Oracle.Failure.self) { try await Oracle.run("oracles/interop.py", ["jwt-decode", secret + "x", tokens.userToken(for: user)]) }
        }
    }
}
