import ArgumentParser
import Logging
import PladmedCore
import PladmedServer

/// `pladmed superuser ...`: account administration.
struct Superuser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage superusers (who may grant credits).", subcommands: [Create.self])

    /// `pladmed superuser create EMAIL PASSWORD`.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a superuser account in the configured store.",
            discussion: "The password must satisfy the registration rules: at least 8 characters with an uppercase and a lowercase letter, a digit and one of !\"@#$%^&*()-+?_=,/")

        @Argument(help: "The superuser's email address.")
        var email: String

        @Argument(help: "The superuser's password.")
        var password: String

        @OptionGroup var options: ConfigurationOptions

        func run() async throws {
            let configuration = try options.resolve()
            let store = try PladmedApplication.openStore(configuration)
            try await PladmedApplication.prepare(store, logger: Logger(label: "pladmed"), retrying: false)
            do {
                let (email, password) = try AccountRules.validate(email: email, password: password, checkStrength: true)
                let user = try await store.createUser(email: email, passwordHash: PasswordHasher().hash(password), isSuperuser: true)
                print("Created superuser \(user.email) (id \(user.id))")
            } catch let error as PladmedError {
                throw ValidationError(error.message)
            }
        }
    }
}
