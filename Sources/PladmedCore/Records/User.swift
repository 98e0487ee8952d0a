/// A user account as stored.
public struct User: Sendable, Equatable {
    /// The user's id.
    public var id: ObjectID
    /// The unique email address.
    public var email: String
    /// The passlib `pbkdf2_sha256` hash of the password.
    public var passwordHash: String
    /// Credits available to spend on operations.
    public var credits: Double
    /// Whether the user may grant credits.
    public var isSuperuser: Bool
    /// Tokens minted before the version became this one are revoked (`POST /logout` raises it); 0 for accounts
    /// that never logged out, whose tokens without a version (the original's) stay valid.
    public var tokenVersion: Int
    /// The most probes this account may register, when a superuser set it; else the server's default
    /// (`PLADMED_MAX_PROBES_PER_ACCOUNT`).
    public var maxProbes: Int?

    /// A user record.
    public init(
        id: ObjectID, email: String, passwordHash: String, credits: Double, isSuperuser: Bool, tokenVersion: Int = 0, maxProbes: Int? = nil
    ) {
        self.maxProbes = maxProbes
        self.id = id
        self.email = email
        self.passwordHash = passwordHash
        self.credits = credits
        self.isSuperuser = isSuperuser
        self.tokenVersion = tokenVersion
    }
}
