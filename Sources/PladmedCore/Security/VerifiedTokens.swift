/// User tokens whose signature was checked, with what they claim: a bounded table, since every authenticated request
/// presents a token and checking one (base64, JSON, HMAC) costs more than the rest of a small request. Only tokens
/// with a valid signature enter it, so a client cannot fill it with made-up ones; expiry is checked at every use.
final class VerifiedTokens: Sendable {
    /// What a verified token says.
    struct Entry: Sendable {
        let claims: TokenService.UserClaims
        /// Seconds since 1970 after which the token is refused; `nil`: never.
        let expiry: Double?
    }

    /// Tokens kept at most; past it, an arbitrary one is dropped for each new one.
    let capacity: Int
    private let entries = Mutex<[String: Entry]>([:])

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The kept entry of `token`, if it was verified before.
    func claims(of token: String) -> Entry? {
        entries.withLock { $0[token] }
    }

    /// Keeps `entry` for `token`, whose signature is valid.
    func keep(_ entry: Entry, for token: String) {
        entries.withLock { entries in
            if entries[token] == nil, entries.count >= capacity { entries.remove(at: entries.startIndex) }
            entries[token] = entry
        }
    }
}
