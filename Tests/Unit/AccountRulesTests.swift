import PladmedCore
import Testing

@Suite("Account rules and locations")
struct AccountRulesTests {
    static let weak = "Password must have at least 8 characters, 1 uppercase character, 1 lowercase, 1 digit and 1 special character"

    @Test("missing and empty fields, in the original's order")
    func missing() {
        #expect(throws: PladmedError.badRequest("Missing email field")) { try AccountRules.validate(email: nil, password: nil, checkStrength: true) }
        #expect(throws: PladmedError.badRequest("Missing email field")) { try AccountRules.validate(email: "", password: "x", checkStrength: true) }
        #expect(throws: PladmedError.badRequest("Missing password field")) { try AccountRules.validate(email: "a@b.co", password: "", checkStrength: false) }
    }

    @Test("password strength", arguments: [
        ("Secure_Pass1", true), ("An0ther!pass", true), ("R00t!secret", true), ("Ab1!xyz", false), ("secure_pass1", false),
        ("SECURE_PASS1", false), ("Secure_Pass", false), ("SecurePass1", false), ("Secure<Pass1", false), ("Sécure,Pass1", true),
    ])
    func strength(password: String, strong: Bool) {
        #expect(AccountRules.isStrongPassword(password) == strong)
        if !strong {
            #expect(throws: PladmedError.badRequest(Self.weak)) { try AccountRules.validate(email: "a@example.com", password: password, checkStrength: true) }
        }
    }

    @Test("email syntax", arguments: [
        ("alice@example.com", true), ("root@pladmed.test", true), ("first.last+tag@sub.example.org", true),
        ("not-an-email", false), ("a@b", false), ("a@@example.com", false), ("a.@example.com", false),
        ("a@-example.com", false), ("a@example.c", false), ("a b@example.com", false), ("@example.com", false),
    ])
    func email(address: String, valid: Bool) {
        #expect(AccountRules.isValidEmail(address) == valid)
    }

    @Test("locations: longitude is checked first, then ranges")
    func locations() throws {
        #expect(throws: PladmedError.badRequest("location.longitude is not a number")) { try Location.validated(latitude: nil, longitude: nil) }
        #expect(throws: PladmedError.badRequest("location.latitude is not a number")) { try Location.validated(latitude: nil, longitude: 2) }
        #expect(throws: PladmedError.badRequest("location.latitude must be between -90 and 90")) { try Location.validated(latitude: 91, longitude: 2) }
        #expect(throws: PladmedError.badRequest("location.longitude must be between -180 and 180")) { try Location.validated(latitude: 0, longitude: -181) }
        #expect(try Location.validated(latitude: -34.6037, longitude: -58.3816) == Location(latitude: -34.6037, longitude: -58.3816))
    }
}
