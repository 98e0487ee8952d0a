import ArgumentParser
import Logging
import PladmedServer
import PladmedStorage

/// `pladmed migrate`: moves a deployment between the embedded store and MongoDB (`copy`, the default), or a MongoDB
/// deployment's results between the original's embedded layout and their own documents (`results-out`, `results-in`).
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a deployment between stores, or move a MongoDB deployment's results out of or back into their operations.",
        subcommands: [Copy.self, ResultsOut.self, ResultsIn.self],
        defaultSubcommand: Copy.self)

    /// `pladmed migrate [copy] --from STORE --to STORE`.
    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy every user, probe, operation and result from one store to another (which must be empty).",
            discussion: "A store is sqlite:PATH or a mongodb:// URI, e.g. pladmed migrate --from sqlite:data/pladmed.sqlite --to mongodb://db:27017/pladmed")

        @Option(help: "The store to read: sqlite:PATH or mongodb://...")
        var from: String

        @Option(help: "The empty store to write: sqlite:PATH or mongodb://...")
        var to: String

        func run() async throws {
            let source = try await Migrate.open(from)
            let destination = try await Migrate.open(to)
            do {
                let counts = try await StoreMigration.copy(from: source, to: destination)
                print("Copied \(counts) from \(source.driverName) to \(destination.driverName)")
            } catch let refusal as StoreMigration.Refusal {
                throw ValidationError(refusal.description)
            }
        }
    }

    /// `pladmed migrate results-out --store URI`.
    struct ResultsOut: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "results-out",
            abstract: "Move the results the original embedded in its operations into their own documents (servers stopped).",
            discussion: "Our servers read embedded results as they are, so this is optional: it frees the operations' 16 MiB documents. Run it again if it stopped half-way.")

        @OptionGroup var deployment: MongoDeployment

        func run() async throws {
            print("results-out: " + (try await MongoResultsMigration.moveOut(try await deployment.open())).description)
        }
    }

    /// `pladmed migrate results-in --store URI`.
    struct ResultsIn: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "results-in",
            abstract: "Move results back into their operations' documents, where they fit, for a rollback to the original (servers stopped).",
            discussion: "The original reads only a document's results: an operation whose results pass MongoDB's 16 MiB is named, and its results stay where only we read them.")

        @OptionGroup var deployment: MongoDeployment

        func run() async throws {
            let report = try await MongoResultsMigration.moveIn(try await deployment.open())
            print("results-in: " + report.description)
            if !report.notFitting.isEmpty { throw ExitCode(3) }
        }
    }

    /// `--store URI`, the deployment whose results move.
    struct MongoDeployment: ParsableArguments {
        @Option(help: "The MongoDB deployment: mongodb://...")
        var store: String

        func open() async throws -> MongoStore { try await Migrate.openMongo(store) }
    }

    static func open(_ address: String) async throws -> any Store {
        if address.hasPrefix("sqlite:") {
            return try SQLiteStore(path: String(address.dropFirst("sqlite:".count)))
        }
        return try await openMongo(address)
    }

    static func openMongo(_ address: String) async throws -> MongoStore {
        guard address.hasPrefix("mongodb://") || address.hasPrefix("mongodb+srv://") else {
            throw ValidationError("a store is sqlite:PATH or a mongodb:// URI, got '\(address)'")
        }
        let store = MongoStore(connection: try MongoConnection(uri: address))
        try await PladmedApplication.prepare(store, logger: Logger(label: "pladmed"), retrying: false)
        return store
    }
}
