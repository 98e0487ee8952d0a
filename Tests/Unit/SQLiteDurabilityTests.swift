import Foundation
import GRDB
import PladmedCore
@testable import PladmedStorage
import PladmedTestSupport
import Testing

/// An acknowledged write survives a power loss: the writer connection commits with `synchronous=FULL` (an fsync of
/// the WAL per commit), not GRDB's WAL default of NORMAL, which survives a crash of the process only. An operation
/// commits at NORMAL, and its `fdatasync` of the WAL follows before it is acknowledged.
@Suite("SQLite durability")
struct SQLiteDurabilityTests {
    static func synchronous(_ store: SQLiteStore) async throws -> Int? {
        try await store.database.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
    }

    @Test("the writer commits with synchronous=FULL, and is back at FULL after an operation's commit, stored or refused")
    func synchronousFull() async throws {
        let folder = TemporaryDirectory()
        let store = try SQLiteStore(path: folder.path("d.sqlite"))
        #expect(try await Self.synchronous(store) == 2)
        let user = try await store.createUser(email: "u@example.com", passwordHash: "h", isSuperuser: false)
        _ = try await store.addCredits(1, to: user.id)
        let probe = try await store.createProbe(owner: user.id, location: Location(latitude: 1, longitude: 2))
        let new = NewOperation(kind: .ping, owner: user.id, params: .object([:]), probes: [probe], credits: 1, resultFormat: "json")
        _ = try await store.createOperation(new)
        #expect(try await Self.synchronous(store) == 2)
        await #expect(throws: PladmedError.notEnoughCredits) { try await store.createOperation(new) }
        #expect(try await Self.synchronous(store) == 2)
    }

    @Test("an operation's commit is synced by the time createOperation returns; one fdatasync covers the commits before it")
    func operationCommitSynced() async throws {
        let folder = TemporaryDirectory()
        let store = try SQLiteStore(path: folder.path("d.sqlite"))
        let user = try await store.createUser(email: "u@example.com", passwordHash: "h", isSuperuser: false)
        _ = try await store.addCredits(10, to: user.id)
        let probe = try await store.createProbe(owner: user.id, location: Location(latitude: 1, longitude: 2))
        let new = NewOperation(kind: .ping, owner: user.id, params: .object([:]), probes: [probe], credits: 1, resultFormat: "json")
        let unsynced = Mutex<UInt64?>(nil)
        _ = try await store.createOperation(new) { _ in unsynced.withLock { $0 = store.walSync.synced } }
        #expect(unsynced.withLock { $0 } == 0)
        #expect(store.walSync.synced == 1)
        // Three commits counted before one sync: it covers all three, and the later ones need none of their own.
        let tickets = (0..<3).map { _ in store.walSync.committed() }
        try await store.walSync.sync(through: tickets[0])
        #expect(store.walSync.synced == 4)
        #expect(store.walSync.syncs == 2)
        try await store.walSync.sync(through: tickets[2])
        #expect(store.walSync.syncs == 2)
    }

    @Test("the WAL is opened again when SQLite replaced the file")
    func walReplaced() async throws {
        let folder = TemporaryDirectory()
        let path = folder.path("w.sqlite")
        let sync = WALSync(databasePath: path)
        FileManager.default.createFile(atPath: sync.path, contents: Data("first".utf8))
        try await sync.sync(through: sync.committed())
        try FileManager.default.removeItem(atPath: sync.path)
        await #expect(throws: WALSync.Failure.self) { try await sync.sync(through: sync.committed()) }
        FileManager.default.createFile(atPath: sync.path, contents: Data("second".utf8))
        try await sync.sync(through: sync.committed())
        #expect(sync.syncs == 2)
        #expect(sync.synced == 3)
    }
}
