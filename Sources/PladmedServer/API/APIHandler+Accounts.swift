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
        if let wait = loginsByAddress.admit(ClientAddress.current ?? "unknown") ?? loginsByAccount.admit(email.lowercased()) {
            metrics.loginRateLimited()
            throw PladmedError.tooManyRequests("Too many logins tried, try again later", retryAfter: Int(wait.components.seconds) + 1)
        }
        let user = try await store.user(email: email)
        guard try await passwords.verify(password, against: user?.passwordHash), let user else {
            metrics.loginFailed()
            throw PladmedError.invalidLogin
        }
        return .ok(.init(body: .json(.init(accessToken: tokens.userToken(for: user)))))
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

extension Components.Schemas.UserPublic {
    init(_ user: User) {
        self.init(_id: user.id.hex, credits: user.credits, email: user.email, isSuperuser: user.isSuperuser)
    }
}
