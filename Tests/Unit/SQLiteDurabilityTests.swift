import Foundation
import GRDB
@testable import PladmedStorage
import PladmedTestSupport
import Testing

/// An acknowledged write survives a power loss: the writer connection commits with `synchronous=FULL` (an fsync of
/// the WAL per commit), not GRDB's WAL default of NORMAL, which survives a crash of the process only.
@Suite("SQLite durability")
struct SQLiteDurabilityTests {
    @Test("the writer commits with synchronous=FULL")
    func synchronousFull() async throws {
        let folder = TemporaryDirectory()
        let store = try SQLiteStore(path: folder.path("d.sqlite"))
        let mode = try await store.database.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(mode == 2)
    }
}
