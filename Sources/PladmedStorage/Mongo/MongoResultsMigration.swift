import Foundation
import PladmedCore

/// Moves the results the original embedded in its operation documents into `results` documents, and back for a
/// rollback to the original (which reads only embedded results). Run it with the servers stopped: a serving store
/// keeps what it read of embedded results. Each step is idempotent, so a migration that stopped half-way is run again.
public enum MongoResultsMigration {
    /// What a migration did.
    public struct Report: Sendable, Equatable, CustomStringConvertible {
        /// Operations whose results moved.
        public var operations = 0
        /// Results moved.
        public var results = 0
        /// Operations whose results would not fit in one document (moving in): their results stay in `results`, which
        /// the original does not read.
        public var notFitting: [(operation: ObjectID, results: Int, bytes: Int)] = []

        public static func == (lhs: Report, rhs: Report) -> Bool {
            lhs.operations == rhs.operations && lhs.results == rhs.results
                && lhs.notFitting.map(\.operation) == rhs.notFitting.map(\.operation)
        }

        public var description: String {
            var text = "moved \(results) results of \(operations) operations"
            for (operation, results, bytes) in notFitting {
                text += "\noperation \(operation.hex): \(results) results would make a \(bytes)-byte document, past MongoDB's "
                    + "\(MongoResultsMigration.maxDocumentBytes); its results stay in the results collection, which the original does not read"
            }
            return text
        }
    }

    /// The largest document MongoDB stores (16 MiB).
    public static let maxDocumentBytes = 16 * 1024 * 1024

    /// Moves every operation's embedded results into `results` documents, in their order and before the results
    /// stored since, and sets the probes' counts.
    public static func moveOut(_ store: MongoStore) async throws -> Report {
        let connection = store.connection
        var report = Report()
        let operations = try await connection.find(
            "operations", ["results.0": .document(["$exists": .bool(true)])],
            options: ["sort": .document(["_id": .int32(1)]), "projection": .document(["_id": .int32(1)])])
        for operation in operations.compactMap({ $0["_id"]?.objectID }) {
            guard let document = try await connection.findOne("operations", ["_id": .objectID(operation)], projection: ["results": .int32(1)])
            else { continue }
            let entries = (document["results"]?.array ?? []).compactMap(\.document)
            // Ids that sort before any result stored since (those were minted after the operation) and are the same
            // on a second run, so that a result moved already is a duplicate key, not a copy.
            let documents = try entries.enumerated().compactMap { index, entry -> BSONDocument? in
                guard let result = MongoStore.result(entry) else { return nil }
                return try MongoStore.document(result, of: operation, id: movedID(of: operation, index: index))
            }
            do {
                try await connection.insert(many: documents, into: MongoStore.resultsCollection, ordered: false)
            } catch MongoError.duplicateKey {
                // Moved by an earlier run, or a code the operation held twice: the first stays.
            }
            try await connection.update("operations", ["_id": .objectID(operation)], ["$set": .document(["results": .array([])])])
            try await recount(operation, probes: Set(documents.compactMap { $0["probe"]?.objectID }), on: connection)
            report.operations += 1
            report.results += documents.count
        }
        store.embedded.withLock { $0.removeAll() }
        return report
    }

    /// Moves every operation's `results` documents back into its document after its embedded results, where the whole
    /// fits in a document; the report names the operations whose results stay.
    public static func moveIn(_ store: MongoStore) async throws -> Report {
        let connection = store.connection
        var report = Report()
        let operations = try await connection.find(
            "operations", [:], options: ["sort": .document(["_id": .int32(1)]), "projection": .document(["_id": .int32(1)])])
        for operation in operations.compactMap({ $0["_id"]?.objectID }) {
            let stored = try await connection.find(
                MongoStore.resultsCollection, ["operation": .objectID(operation)], options: ["sort": .document(["_id": .int32(1)])])
            guard !stored.isEmpty, var document = try await connection.findOne("operations", ["_id": .objectID(operation)]) else { continue }
            var entries = document["results"]?.array ?? []
            let embeddedCodes = Set(entries.compactMap { $0.document?["unique_code"]?.string })
            for result in stored where !embeddedCodes.contains(result["unique_code"]?.string ?? "") {
                entries.append(.document(["probe": result["probe"] ?? .null, "results": result["results"] ?? .null, "unique_code": result["unique_code"] ?? .null]))
            }
            document["results"] = .array(entries)
            let size = document.encodedSize
            guard size <= maxDocumentBytes else {
                report.notFitting.append((operation, entries.count, size))
                continue
            }
            try await connection.update("operations", ["_id": .objectID(operation)], ["$set": .document(["results": .array(entries)])])
            try await connection.deleteMany(MongoStore.resultsCollection, ["operation": .objectID(operation)])
            for probe in Set(stored.compactMap { $0["probe"]?.objectID }) {
                try await connection.deleteMany(MongoStore.countsCollection, ["_id": MongoStore.countKey(operation: operation, probe: probe)])
            }
            report.operations += 1
            report.results += stored.count
        }
        store.embedded.withLock { $0.removeAll() }
        return report
    }

    /// The id of an operation's `index`th embedded result once moved: the operation's second less one, its counter and
    /// two bytes of its process part, then the index; sorted as the embedded results were, before the operation's own
    /// time.
    static func movedID(of operation: ObjectID, index: Int) throws -> ObjectID {
        let hex = Array(operation.hex.utf8)
        let seconds = UInt32(String(decoding: hex[0..<8], as: UTF8.self), radix: 16)!
        let part = String(decoding: hex[18..<24] + hex[8..<12], as: UTF8.self)
        guard seconds > 0, index < 1 << 24 else {
            throw StoreMigration.Refusal(description: "operation \(operation.hex) has more than 2^24 embedded results or a zero time; nothing of it was moved")
        }
        return ObjectID(String(format: "%08x", seconds - 1) + part + String(format: "%06x", index))!
    }

    /// Sets the count of each of `probes`' results for `operation` to what the `results` documents hold.
    private static func recount(_ operation: ObjectID, probes: Set<ObjectID>, on connection: MongoConnection) async throws {
        for probe in probes {
            let count = try await connection.count(MongoStore.resultsCollection, ["operation": .objectID(operation), "probe": .objectID(probe)])
            try await connection.update(
                MongoStore.countsCollection, ["_id": MongoStore.countKey(operation: operation, probe: probe)],
                ["$set": .document(["count": .int64(Int64(count))])], upsert: true)
        }
    }
}
