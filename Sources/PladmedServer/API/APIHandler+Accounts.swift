import Crypto
import Foundation
import Hummingbird
import PladmedAPI
import PladmedCore

extension APIHandler {
    func register(_ request: Request, _: User?) async throws -> Response {
        let body = try await JSONRequest.decode(Components.Schemas.Credentials.self, from: request, for: .register)
        let (email, password) = try AccountRules.validate(email: body.email, password: body.password, checkStrength: true)
        let user = try await store.createUser(email: email, passwordHash: try await passwords.hash(password), isSuperuser: false)
        return try JSONAnswer.encoding(Components.Schemas.UserPublic(user), status: .created)
    }

    func login(_ request: Request, _: User?) async throws -> Response {
        let body = try await JSONRequest.decode(Components.Schemas.Credentials.self, from: request, for: .login)
        let (email, password) = try AccountRules.validate(email: body.email, password: body.password, checkStrength: false)
        if let wait = await loginsByAddress.admit(ClientAddress.current ?? "unknown") { throw tooManyLogins(wait) }
        // No account has a longer email: refused before any key is made or any store read.
        guard email.utf8.count <= AccountRules.maxEmailBytes else {
            metrics.loginFailed()
            throw PladmedError.invalidLogin
        }
        // The account's bucket is keyed by the account found, whatever spelling named it; an unknown email's by the
        // hash of its compared form, so that a key is short whatever was sent.
        let user = try await store.user(email: email)
        let key = user.map { "account:" + $0.id.hex }
            ?? "email:" + Data(SHA256.hash(data: Array(AccountRules.emailKey(email).utf8))).base64EncodedString()
        if let wait = await loginsByAccount.admit(key) { throw tooManyLogins(wait) }
        guard try await passwords.verify(password, against: user?.passwordHash), let user else {
            metrics.loginFailed()
            throw PladmedError.invalidLogin
        }
        return try JSONAnswer.encoding(Components.Schemas.AccessToken(accessToken: tokens.userToken(for: user)))
    }

    private func tooManyLogins(_ wait: Duration) -> PladmedError {
        metrics.loginRateLimited()
        return PladmedError.tooManyRequests("Too many logins tried, try again later", retryAfter: Int(wait.components.seconds) + 1)
    }

    func logout(_ request: Request, _ caller: User?) async throws -> Response {
        guard try await store.revokeTokens(of: try User.required(caller).id) != nil else { throw PladmedError.unauthorized }
        return JSONAnswer.empty(.noContent)
    }

    /// `{"_id":...,"credits":...,"email":...,"is_superuser":...}` written directly (the encoder was most of this
    /// request's time): the account as the token check read it, a moment ago; a second read would only cost time.
    func getCurrentUser(_ request: Request, _ caller: User?) async throws -> Response {
        let user = try User.required(caller)
        return JSONAnswer.text(try JSONValue.object([
            "_id": .string(user.id.hex), "credits": .double(user.credits), "email": .string(user.email),
            "is_superuser": .bool(user.isSuperuser),
        ]).serializedText())
    }

    func addCredits(_ request: Request, _: User?) async throws -> Response {
        let body = try await JSONRequest.decode(Components.Schemas.CreditsGrant.self, from: request, for: .addCredits)
        guard let idText = body.id, !idText.isEmpty, let credits = body.credits, credits > 0, credits.isFinite else {
            throw PladmedError.invalidData
        }
        guard let id = ObjectID(idText), let user = try await store.addCredits(credits, to: id, upTo: maxCredits) else {
            throw PladmedError.unknownUser
        }
        metrics.granted(credits)
        return try JSONAnswer.encoding(Components.Schemas.UserPublic(user))
    }

    func setProbeLimit(_ request: Request, _: User?) async throws -> Response {
        let body = try await JSONRequest.decode(Components.Schemas.ProbeLimitRequest.self, from: request, for: .setProbeLimit)
        guard let idText = body.id, !idText.isEmpty, let limit = body.maxProbes, (0...10_000_000).contains(limit) else {
            throw PladmedError.invalidData
        }
        guard let id = ObjectID(idText), let user = try await store.setProbeLimit(limit, of: id) else { throw PladmedError.unknownUser }
        return try JSONAnswer.encoding(Components.Schemas.ProbeLimit(_id: user.id.hex, maxProbes: user.maxProbes ?? maxProbesPerAccount))
    }
}

extension Components.Schemas.UserPublic {
    init(_ user: User) {
        self.init(_id: user.id.hex, credits: user.credits, email: user.email, isSuperuser: user.isSuperuser)
    }
}
