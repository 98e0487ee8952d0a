import Foundation

/// Mints and reads the two kinds of token of the contract, both HS256 JWTs without expiry.
public struct TokenService: Sendable {
    private let signer: HS256

    /// A service signing with `secret`.
    public init(secret: String) {
        self.signer = HS256(secret: secret)
    }

    /// A user token: the user's public data `{_id, email, credits, is_superuser}` at this moment.
    public func userToken(for user: User) -> String {
        let payload = OrderedJSON.object([
            ("_id", .string(user.id.hex)), ("email", .string(user.email)),
            ("credits", .number(user.credits)), ("is_superuser", .bool(user.isSuperuser)),
        ])
        return signer.sign(payload: Data(payload.text.utf8))
    }

    /// The email a valid user token names; the server looks the user up by it.
    public func userEmail(fromToken token: String) -> String? {
        signer.verify(token)?["email"]?.string
    }

    /// A probe token: `{identifier, owner_id, location: {latitude, longitude}}`.
    public func probeToken(for probe: Probe) -> String {
        let payload = OrderedJSON.object([
            ("identifier", .string(probe.id.hex)), ("owner_id", .string(probe.owner.hex)),
            ("location", .object([("latitude", .number(probe.location.latitude)), ("longitude", .number(probe.location.longitude))])),
        ])
        return signer.sign(payload: Data(payload.text.utf8))
    }

    /// The probe id a valid probe token names.
    public func probeIdentifier(fromToken token: String) -> ObjectID? {
        signer.verify(token)?["identifier"]?.string.flatMap { ObjectID($0) }
    }
}
