import Crypto
import Foundation
import PladmedAPI
import PladmedCore

extension APIHandler {
    func register(_ input: Operations.Register.Input) async throws -> Operations.Register.Output {
        guard case .json(let body) = input.body else { throw PladmedError.invalidData }
        let (email, password) = try AccountRules.validate(email: body.email, password: body.password, checkStrength: true)
        let user = try await store.createUser(email: email, passwordHash: try await passwords.hash(password), isSuperuser: false)
        return .created(.init(body: .json(.init(user))))
    }

    func login(_ input: Operations.Login.Input) async throws -> Operations.Login.Output {
        guard case .json(let body) = input.body else { throw PladmedError.invalidData }
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
        return .ok(.init(body: .json(.init(accessToken: tokens.userToken(for: user)))))
    }

    private func tooManyLogins(_ wait: Duration) -> PladmedError {
        metrics.loginRateLimited()
        return PladmedError.tooManyRequests("Too many logins tried, try again later", retryAfter: Int(wait.components.seconds) + 1)
    }

    func logout(_ input: Operations.Logout.Input) async throws -> Operations.Logout.Output {
        let caller = try AuthenticatedUser.required()
        guard try await store.revokeTokens(of: caller.id) != nil else { throw PladmedError.unauthorized }
        return .noContent(.init())
    }

    func getCurrentUser(_ input: Operations.GetCurrentUser.Input) async throws -> Operations.GetCurrentUser.Output {
        // The account as the token check read it, a moment ago: a second read would only cost time.
        return .ok(.init(body: .json(.init(try AuthenticatedUser.required()))))
    }

    func addCredits(_ input: Operations.AddCredits.Input) async throws -> Operations.AddCredits.Output {
        _ = try AuthenticatedUser.required()
        guard case .json(let body) = input.body,
              let idText = body.id, !idText.isEmpty,
              let credits = body.credits, credits > 0, credits.isFinite
        else { throw PladmedError.invalidData }
        guard let id = ObjectID(idText), let user = try await store.addCredits(credits, to: id, upTo: maxCredits) else {
            throw PladmedError.unknownUser
        }
        metrics.granted(credits)
        return .ok(.init(body: .json(.init(user))))
    }
}

extension APIHandler {
    func setProbeLimit(_ input: Operations.SetProbeLimit.Input) async throws -> Operations.SetProbeLimit.Output {
        _ = try AuthenticatedUser.required()
        guard case .json(let body) = input.body, let idText = body.id, !idText.isEmpty,
              let limit = body.maxProbes, (0...10_000_000).contains(limit)
        else { throw PladmedError.invalidData }
        guard let id = ObjectID(idText), let user = try await store.setProbeLimit(limit, of: id) else { throw PladmedError.unknownUser }
        return .ok(.init(body: .json(.init(_id: user.id.hex, maxProbes: user.maxProbes ?? maxProbesPerAccount))))
    }
}

extension Components.Schemas.UserPublic {
    init(_ user: User) {
        self.init(_id: user.id.hex, credits: user.credits, email: user.email, isSuperuser: user.isSuperuser)
    }
}
