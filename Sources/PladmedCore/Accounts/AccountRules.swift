/// Registration rules: the messages are the original's, word for word.
public enum AccountRules {
    /// Characters that count as special in a password.
    public static let specialCharacters = Set(#"!"@#$%^&*()-+?_=,/"#)

    /// Checks a registration (or login) request's fields are present and, when `checkStrength`, valid.
    public static func validate(email: String?, password: String?, checkStrength: Bool) throws -> (email: String, password: String) {
        guard let email, !email.isEmpty else { throw PladmedError.badRequest("Missing email field") }
        guard let password, !password.isEmpty else { throw PladmedError.badRequest("Missing password field") }
        if checkStrength {
            guard isValidEmail(email) else {
                throw PladmedError.badRequest("Email address has invalid format, or MX domain does not exist")
            }
            guard isStrongPassword(password) else {
                throw PladmedError.badRequest(
                    "Password must have at least 8 characters, 1 uppercase character, 1 lowercase, 1 digit and 1 special character")
            }
        }
        return (email, password)
    }

    /// The longest email an account can have, in bytes (RFC 5321's path limit, less its brackets).
    public static let maxEmailBytes = 254

    /// How emails are compared, everywhere (each store, the login limits): ASCII letters without regard to case,
    /// every other character as it is. `ſ` (U+017F) is not `s`, nor `K` (U+212A, Kelvin) `k`, as they would be
    /// under Unicode case folding. The key of `email` in that comparison is this lowercased form.
    public static func emailKey(_ email: String) -> String {
        String(decoding: email.utf8.map { (65...90).contains($0) ? $0 + 32 : $0 }, as: UTF8.self)
    }

    /// At least 8 characters with an uppercase and a lowercase letter, a digit and a special character.
    public static func isStrongPassword(_ password: String) -> Bool {
        password.count >= 8
            && password.contains(where: \.isUppercase)
            && password.contains(where: \.isLowercase)
            && password.contains(where: { $0.isASCII && $0.isNumber })
            && password.contains(where: { specialCharacters.contains($0) })
    }

    /// An address of the form `local@domain.tld` (RFC 5322 dot-atom local part, DNS host name domain).
    /// No DNS lookup is made.
    public static func isValidEmail(_ email: String) -> Bool {
        guard email.utf8.count <= maxEmailBytes else { return false }
        let halves = email.split(separator: "@", omittingEmptySubsequences: false)
        guard halves.count == 2 else { return false }
        let local = halves[0], domain = halves[1]
        let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-")
        let localAtoms = local.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...64).contains(local.count),
              localAtoms.allSatisfy({ !$0.isEmpty && $0.allSatisfy(atext.contains) })
        else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, let tld = labels.last, tld.count >= 2, tld.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            return false
        }
        return labels.allSatisfy { label in
            (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}
