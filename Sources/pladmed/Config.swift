import ArgumentParser
import PladmedServer

/// `pladmed config`: the effective configuration, secrets redacted; exits non-zero when it cannot be served.
struct Config: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the effective configuration (environment and flags), secrets redacted.",
        discussion: "Exits with status 1, naming the problem, when the configuration is invalid or cannot be served.")

    @OptionGroup var options: ConfigurationOptions

    func run() throws {
        let configuration = try options.resolve()
        try configuration.validate()
        for (name, value) in configuration.listing { print("\(name)=\(value)") }
    }
}
