import PladmedAPI
import PladmedCore

extension APIHandler {
    func register(_ input: Operations.Register.Input) async throws -> Operations.Register.Output {
        guard case .json(let body) = input.body else { throw PladmedError.invalidData }
        let (email, password) = try AccountRules.validate(email: body.email, password: body.password, checkStrength: true)
        let user = try await store.createUser(email: email, passwordHash: passwords.hash(password), isSuperuser: false)
        return .created(.init(body: .json(.init(user))))
    }

    func login(_ input: Operations.Login.Input) async throws -> Operations.Login.Output {
        guard case .json(let body) = input.body else { throw PladmedError.invalidData }
        let (email, password) = try AccountRules.validate(email: body.email, password: body.password, checkStrength: false)
        guard let user = try await store.user(email: email), passwords.verify(password, against: user.passwordHash) else {
            throw PladmedError.invalidLogin
        }
        return .ok(.init(body: .json(.init(accessToken: tokens.userToken(for: user)))))
    }

    func getCurrentUser(_ input: Operations.GetCurrentUser.Input) async throws -> Operations.GetCurrentUser.Output {
        let caller = try AuthenticatedUser.required()
        guard let user = try await store.user(id: caller.id) else { throw PladmedError.unauthorized }
        return .ok(.init(body: .json(.init(user))))
    }

    func addCredits(_ input: Operations.AddCredits.Input) async throws -> Operations.AddCredits.Output {
        _ = try AuthenticatedUser.required()
        guard case .json(let body) = input.body,
              let idText = body.id, !idText.isEmpty,
              let credits = body.credits, credits > 0, credits.isFinite
        else { throw PladmedError.invalidData }
        guard let id = ObjectID(idText), let user = try await store.addCredits(credits, to: id) else {
            throw PladmedError.unknownUser
        }
        return .ok(.init(body: .json(.init(user))))
    }
}

extension Components.Schemas.UserPublic {
    init(_ user: User) {
        self.init(_id: user.id.hex, credits: user.credits, email: user.email, isSuperuser: user.isSuperuser)
    }
}
