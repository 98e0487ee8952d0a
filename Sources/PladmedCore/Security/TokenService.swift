import Foundation

/// Mints and reads the two kinds of token of the contract, both HS256 JWTs. User tokens carry the original's
/// payload, plus `exp` when tokens expire and `ver`, the account's token version; probe tokens never expire.
public struct TokenService: Sendable {
    private let signer: HS256
    /// User tokens already verified, with their claims: a token is immutable, so its signature is checked once.
    private let verified = VerifiedTokens(capacity: 10_000)
    /// Seconds a new user token is valid; 0: no expiry.
    public let userTokenLifetime: Double

    /// What a valid user token says.
    public struct UserClaims: Sendable, Equatable {
        /// The account, identified by its id (never by email: an email can be registered again after a wipe).
        public let id: ObjectID
        /// The account's token version when the token was minted (0 when the token has none, as the original's).
        public let version: Int

        /// Claims naming account `id` at token version `version`.
        public init(id: ObjectID, version: Int) {
            self.id = id
            self.version = version
        }
    }

    /// A service signing with `secret`, minting user tokens valid for `userTokenLifetime` seconds (0: forever).
    public init(secret: String, userTokenLifetime: Double = 0) {
        self.signer = HS256(secret: secret)
        self.userTokenLifetime = userTokenLifetime
    }

    /// A user token: the user's public data `{_id, email, credits, is_superuser}` at this moment, the token version
    /// `ver` once the account has logged out, and `exp` (seconds since 1970) when tokens expire. Without those two it
    /// is byte for byte the original's token.
    public func userToken(for user: User, now: Date = Date()) -> String {
        var fields: [(String, OrderedJSON)] = [
            ("_id", .string(user.id.hex)), ("email", .string(user.email)),
            ("credits", .number(user.credits)), ("is_superuser", .bool(user.isSuperuser)),
        ]
        if user.tokenVersion > 0 { fields.append(("ver", .number(Double(user.tokenVersion)))) }
        if userTokenLifetime > 0 { fields.append(("exp", .number((now.timeIntervalSince1970 + userTokenLifetime).rounded(.down)))) }
        return signer.sign(payload: Data(OrderedJSON.object(fields).text.utf8))
    }

    /// The claims of a valid user token: signed with the secret, naming an account id, and not expired at `now`
    /// (a token without `exp` does not expire). `nil` otherwise.
    public func userClaims(fromToken token: String, now: Date = Date()) -> UserClaims? {
        let verified = self.verified.claims(of: token) ?? verify(token)
        guard let verified, verified.expiry.map({ now.timeIntervalSince1970 < $0 }) ?? true else { return nil }
        return verified.claims
    }

    /// The claims and expiry of a user token with a valid signature and well-formed claims, kept for the next time.
    private func verify(_ token: String) -> VerifiedTokens.Entry? {
        guard let payload = signer.verify(token), let id = payload["_id"]?.string.flatMap({ ObjectID($0) }) else { return nil }
        var expiry: Double?
        if let exp = payload["exp"] {
            guard let seconds = exp.number, seconds.isFinite else { return nil }
            expiry = seconds
        }
        let version: Int
        switch payload["ver"] {
        case nil: version = 0
        case let value?:
            guard let number = value.integer, number >= 0 else { return nil }
            version = number
        }
        let entry = VerifiedTokens.Entry(claims: UserClaims(id: id, version: version), expiry: expiry)
        verified.keep(entry, for: token)
        return entry
    }

    /// A probe token: `{identifier, owner_id, location: {latitude, longitude}}`, the original's, plus `ver`, the
    /// probe's token version, once its token was rotated.
    public func probeToken(for probe: Probe) -> String {
        var fields: [(String, OrderedJSON)] = [
            ("identifier", .string(probe.id.hex)), ("owner_id", .string(probe.owner.hex)),
            ("location", .object([("latitude", .number(probe.location.latitude)), ("longitude", .number(probe.location.longitude))])),
        ]
        if probe.tokenVersion > 0 { fields.append(("ver", .number(Double(probe.tokenVersion)))) }
        return signer.sign(payload: Data(OrderedJSON.object(fields).text.utf8))
    }

    /// The probe id a valid probe token names, and the token version it was minted at (0 without `ver`); `nil` for a
    /// token that is not a valid probe token.
    public func probeClaims(fromToken token: String) -> (probe: ObjectID, version: Int)? {
        guard let payload = signer.verify(token), let probe = payload["identifier"]?.string.flatMap({ ObjectID($0) }) else { return nil }
        switch payload["ver"] {
        case nil: return (probe, 0)
        case let value?:
            guard let number = value.integer, number >= 0 else { return nil }
            return (probe, number)
        }
    }
}
