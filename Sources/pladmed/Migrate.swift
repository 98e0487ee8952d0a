import ArgumentParser
import Logging
import PladmedServer
import PladmedStorage

/// `pladmed migrate --from STORE --to STORE`: moves a deployment between the embedded store and MongoDB.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy every user, probe, operation and result from one store to another (which must be empty).",
        discussion: "A store is sqlite:PATH or a mongodb:// URI, e.g. pladmed migrate --from sqlite:data/pladmed.sqlite --to mongodb://db:27017/pladmed")

    @Option(help: "The store to read: sqlite:PATH or mongodb://...")
    var from: String

    @Option(help: "The empty store to write: sqlite:PATH or mongodb://...")
    var to: String

    func run() async throws {
        let source = try await Self.open(from)
        let destination = try await Self.open(to)
        do {
            let counts = try await StoreMigration.copy(from: source, to: destination)
            print("Copied \(counts) from \(source.driverName) to \(destination.driverName)")
        } catch let refusal as StoreMigration.Refusal {
            throw ValidationError(refusal.description)
        }
    }

    static func open(_ address: String) async throws -> any Store {
        if address.hasPrefix("sqlite:") {
            return try SQLiteStore(path: String(address.dropFirst("sqlite:".count)))
        }
        guard address.hasPrefix("mongodb://") || address.hasPrefix("mongodb+srv://") else {
            throw ValidationError("a store is sqlite:PATH or a mongodb:// URI, got '\(address)'")
        }
        let store = MongoStore(connection: try MongoConnection(uri: address))
        try await PladmedApplication.prepare(store, logger: Logger(label: "pladmed"), retrying: false)
        return store
    }
}
