import Foundation
import PladmedCore
import PladmedStorage
import PladmedTestSupport
import Testing

/// Every `Store` requirement, run against each driver.
@Suite("Store requirements")
struct StoreTests {
    /// A store to test and what keeps it alive.
    struct Subject: Sendable, CustomTestStringConvertible {
        let name: String
        let make: @Sendable (TemporaryDirectory) async throws -> any Store
        var testDescription: String { name }
    }

    /// SQLite on a temporary file; MongoDB on a fresh database of the shared SecantusDB server.
    static let drivers = [
        Subject(name: "sqlite") { try SQLiteStore(path: $0.path("nested/dir/pladmed.sqlite")) },
        Subject(name: "mongo (SecantusDB)") { _ in
            let store = MongoStore(connection: try MongoConnection(uri: try SecantusServer.shared().uri()))
            try await store.prepare()
            return store
        },
    ]

    static let here = Location(latitude: -34.6, longitude: -58.4)

    static func newOperation(_ owner: User, _ probe: Probe, credits: Double) -> NewOperation {
        NewOperation(kind: .ping, owner: owner.id, params: .object(["cron": .string("* * * * *")]), probes: [probe],
                     credits: credits, resultFormat: "json")
    }

    @Test("users: unique email, lookups, credits", arguments: drivers)
    func users(_ subject: Subject) async throws {
        let folder = TemporaryDirectory()
        let store = try await subject.make(folder)
        let alice = try await store.createUser(email: "alice@example.com", passwordHash: "h", isSuperuser: false)
        #expect(alice.credits == 0)
        await #expect(throws: PladmedError.emailTaken) {
            try await store.createUser(email: "alice@example.com", passwordHash: "h2", isSuperuser: true)
        }
        #expect(try await store.user(email: "alice@example.com") == alice)
        #expect(try await store.user(id: alice.id) == alice)
        #expect(try await store.user(id: ObjectID()) == nil)
        #expect(try await store.addCredits(2.5, to: alice.id)?.credits == 2.5)
        #expect(try await store.addCredits(10, to: alice.id)?.credits == 12.5)
        #expect(try await store.addCredits(10, to: ObjectID()) == nil)
    }

    @Test("by the time an operation's jobs go out it is stored, charged and takes results; a refused charge runs nothing", arguments: drivers)
    func visibleBeforeDurable(_ subject: Subject) async throws {
        let folder = TemporaryDirectory()
        let (store, owner, requester, probe) = try await Self.requesterWithCredits(subject, folder)
        // Read once, so that a kept account would have to be replaced by the charge.
        #expect(try await store.user(id: requester.id)?.credits == 10)
        let seen = Mutex<(stored: ObjectID?, balance: Double?, insertion: ResultInsertion?)>((nil, nil, nil))
        let operation = try await store.createOperation(Self.newOperation(requester, probe, credits: 4)) { operation in
            let stored = try? await store.operation(id: operation.id, includeResults: false)?.id
            let balance = try? await store.user(id: requester.id)?.credits
            let result = OperationResult(probe: probe.id, content: JSONPayload(.string("fast")), uniqueCode: "first")
            let insertion = try? await store.addResult(result, to: operation.id, reward: 1, limit: 5)
            seen.withLock { $0 = (stored, balance, insertion) }
        }
        let (stored, balance, insertion) = seen.withLock { $0 }
        #expect(stored == operation.id)
        #expect(balance == 6)
        #expect(insertion == .stored)
        #expect(try await store.user(id: requester.id)?.credits == 6)
        #expect(try await store.user(id: owner.id)?.credits == 1)
        let ran = Mutex(false)
        await #expect(throws: PladmedError.notEnoughCredits) {
            try await store.createOperation(Self.newOperation(requester, probe, credits: 7)) { _ in ran.withLock { $0 = true } }
        }
        #expect(ran.withLock { $0 } == false)
        #expect(try await store.user(id: requester.id)?.credits == 6)
        #expect(try await store.operations(owner: requester.id, includeResults: true).map(\.id) == [operation.id])
    }

    @Test("probes keep registration order and owner", arguments: drivers)
    func probes(_ subject: Subject) async throws {
        let folder = TemporaryDirectory()
        let store = try await subject.make(folder)
        let alice = try await store.createUser(email: "a@example.com", passwordHash: "h", isSuperuser: false)
        let bob = try await store.createUser(email: "b@example.com", passwordHash: "h", isSuperuser: false)
        let first = try await store.createProbe(owner: alice.id, location: Self.here)
        let second = try await store.createProbe(owner: bob.id, location: Location(latitude: 1.5, longitude: 2.5))
        let third = try await store.createProbe(owner: alice.id, location: Self.here)
        #expect(try await store.probes(owner: nil) == [first, second, third])
        #expect(try await store.probes(owner: alice.id) == [first, third])
        #expect(Set(try await store.probes(ids: [third.id, ObjectID(), first.id]).map(\.id)) == [first.id, third.id])
    }

    @Test("operations charge atomically and read back with their probes", arguments: drivers)
    func operations(_ subject: Subject) async throws {
        let folder = TemporaryDirectory()
        let store = try await subject.make(folder)
        let alice = try await store.createUser(email: "a@example.com", passwordHash: "h", isSuperuser: false)
        let probe = try await store.createProbe(owner: alice.id, location: Self.here)
        await #expect(throws: PladmedError.notEnoughCredits) { try await store.createOperation(Self.newOperation(alice, probe, credits: 1)) }
        #expect(try await store.operations(owner: nil, includeResults: true).isEmpty)
        _ = try await store.addCredits(100, to: alice.id)
        let operation = try await store.createOperation(Self.newOperation(alice, probe, credits: 30))
        #expect(try await store.user(id: alice.id)?.credits == 70)
        let read = try #require(try await store.operation(id: operation.id, includeResults: true))
        #expect(read == operation)
        #expect(read.probes == [OperationProbe(id: probe.id, owner: alice.id, location: Self.here)])
        #expect(try await store.operations(owner: alice.id, includeResults: false) == [operation])
        #expect(try await store.operations(owner: ObjectID(), includeResults: false).isEmpty)
        #expect(try await store.operation(id: ObjectID(), includeResults: true) == nil)
    }

    @Test("100 concurrent spends never overdraw", arguments: drivers)
    func concurrentSpends(_ subject: Subject) async throws {
        let folder = TemporaryDirectory()
        let store = try await subject.make(folder)
        let alice = try await store.createUser(email: "a@example.com", passwordHash: "h", isSuperuser: false)
        let probe = try await store.createProbe(owner: alice.id, location: Self.here)
        _ = try await store.addCredits(37, to: alice.id)
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<100 {
                group.addTask { (try? await store.createOperation(Self.newOperation(alice, probe, credits: 1))) != nil }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 37)
        #expect(try await store.user(id: alice.id)?.credits == 0)
        #expect(try await store.operations(owner: alice.id, includeResults: false).count == 37)
    }

    @Test("accounts and their operations read before a write to them read the write back at once (the SQLite driver keeps them in memory)",
          arguments: drivers)
    func accountsReadBack(_ subject: Subject) async throws {
        let folder = TemporaryDirectory()
        let store = try await subject.make(folder)
        let owner = try await store.createUser(email: "owner@example.com", passwordHash: "h", isSuperuser: false)
        let requester = try await store.createUser(email: "req@example.com", passwordHash: "h", isSuperuser: false)
        let probe = try await store.createProbe(owner: owner.id, location: Self.here)
        func credits(_ user: User) async throws -> Double? { try await store.user(id: user.id)?.credits }

        #expect(try await credits(requester) == 0)
        _ = try await store.addCredits(10, to: requester.id)
        #expect(try await credits(requester) == 10)
        #expect(try await store.operations(owner: requester.id, includeResults: true).isEmpty)
        let operation = try await store.createOperation(Self.newOperation(requester, probe, credits: 4))
        #expect(try await credits(requester) == 6)
        #expect(try await store.operations(owner: requester.id, includeResults: true).map(\.results) == [[]])
        #expect(try await credits(owner) == 0)
        let result = OperationResult(probe: probe.id, content: JSONPayload(.string("x")), uniqueCode: "c")
        #expect(try await store.addResult(result, to: operation.id, reward: 3, limit: 1) == .stored)
        #expect(try await credits(owner) == 3)
        #expect(try await store.operations(owner: requester.id, includeResults: true).map(\.results) == [[result]])
        let version = try #require(try await store.user(id: owner.id)).tokenVersion
        _ = try await store.revokeTokens(of: owner.id)
        #expect(try await store.user(id: owner.id)?.tokenVersion == version + 1)
        try await store.deleteAll()
        #expect(try await store.user(id: owner.id) == nil)
        #expect(try await store.operations(owner: requester.id, includeResults: true).isEmpty)
        try await store.importRecords(users: [owner], probes: [], operations: [])
        #expect(try await credits(owner) == 0)
    }

    @Test("results: stored once per unique code, owner rewarded in the same step", arguments: drivers)
    func results(_ subject: Subject) async throws {
        let folder = TemporaryDirectory()
        let (store, owner, requester, probe) = try await Self.requesterWithCredits(subject, folder)
        let operation = try await store.createOperation(Self.newOperation(requester, probe, credits: 1))
        let result = OperationResult(probe: probe.id, content: JSONPayload(.array([.object(["type": .string("trace")])])), uniqueCode: "code-1")
        #expect(try await store.addResult(result, to: operation.id, reward: 10, limit: 2) == .stored)
        #expect(try await store.addResult(result, to: operation.id, reward: 10, limit: 2) == .duplicate)
        #expect(try await store.addResult(result, to: ObjectID(), reward: 10, limit: 2) == .unknownOperation)
        let text = OperationResult(probe: probe.id, content: JSONPayload(.string("# dump\n")), uniqueCode: "code-2")
        #expect(try await store.addResult(text, to: operation.id, reward: 10, limit: 2) == .stored)
        // The probe's two results are in: a third is refused, unrewarded; a known code is still a duplicate.
        let third = OperationResult(probe: probe.id, content: JSONPayload(.string("more")), uniqueCode: "code-3")
        #expect(try await store.addResult(third, to: operation.id, reward: 10, limit: 2) == .limitReached)
        #expect(try await store.addResult(text, to: operation.id, reward: 10, limit: 2) == .duplicate)
        #expect(try await store.user(id: owner.id)?.credits == 20)
        #expect(try await store.operation(id: operation.id, includeResults: true)?.results == [result, text])
        #expect(try await store.operations(owner: nil, includeResults: false).first?.results == [])
        #expect(try await store.operation(id: operation.id, includeResults: false)?.results == [])
    }

    @Test("a unique code another probe stored is its own refusal, not a duplicate of this probe's", arguments: drivers)
    func codeOfAnotherProbe(_ subject: Subject) async throws {
        let folder = TemporaryDirectory()
        let (store, owner, requester, probe) = try await Self.requesterWithCredits(subject, folder)
        let other = try await store.createProbe(owner: owner.id, location: StoreTests.here)
        var new = Self.newOperation(requester, probe, credits: 1)
        new.probes.append(other)
        let operation = try await store.createOperation(new)
        let claimed = OperationResult(probe: other.id, content: JSONPayload(.string("x")), uniqueCode: "victim")
        #expect(try await store.addResult(claimed, to: operation.id, reward: 10, limit: 2) == .stored)
        let victim = OperationResult(probe: probe.id, content: JSONPayload(.string("y")), uniqueCode: "victim")
        #expect(try await store.addResult(victim, to: operation.id, reward: 10, limit: 2) == .codeTakenByAnotherProbe)
        #expect(try await store.addResult(claimed, to: operation.id, reward: 10, limit: 2) == .duplicate)
        #expect(try await store.user(id: owner.id)?.credits == 10)
    }

    @Test("operations are read a page at a time, in list order, without results", arguments: drivers)
    func operationPages(_ subject: Subject) async throws {
        let folder = TemporaryDirectory()
        let (store, _, requester, probe) = try await Self.requesterWithCredits(subject, folder)
        var made: [ObjectID] = []
        for _ in 0..<7 { made.append(try await store.createOperation(Self.newOperation(requester, probe, credits: 1)).id) }
        let result = OperationResult(probe: probe.id, content: JSONPayload(.string("r")), uniqueCode: "c")
        #expect(try await store.addResult(result, to: made[0], reward: 1, limit: 1) == .stored)
        var read: [ObjectID] = [], after: ObjectID?
        while true {
            let page = try await store.operations(owner: requester.id, after: after, limit: 3)
            #expect(page.allSatisfy { $0.results.isEmpty })
            read += page.map(\.id)
            guard let last = page.last else { break }
            after = last.id
        }
        #expect(read == made)
        #expect(read == (try await store.operations(owner: nil, includeResults: false)).map(\.id))
        #expect(try await store.operations(owner: ObjectID(), after: nil, limit: 3).isEmpty)
        #expect(try await store.operations(owner: nil, after: made[5], limit: 10).map(\.id) == [made[6]])
    }

    @Test("an account registers probes up to its limit, which a superuser may set; emails compare by ASCII case only", arguments: drivers)
    func probeLimitAndEmails(_ subject: Subject) async throws {
        let folder = TemporaryDirectory()
        let store = try await subject.make(folder)
        let user = try await store.createUser(email: "Sister.k@Example.com", passwordHash: "h", isSuperuser: false)
        for _ in 0..<2 { _ = try await store.createProbe(owner: user.id, location: StoreTests.here, limit: 2) }
        await #expect(throws: PladmedError.probeLimit(2)) { try await store.createProbe(owner: user.id, location: StoreTests.here, limit: 2) }
        #expect(try await store.probes(owner: user.id).count == 2)
        #expect(try await store.setProbeLimit(3, of: user.id)?.maxProbes == 3)
        #expect(try await store.user(id: user.id)?.maxProbes == 3)
        #expect(try await store.setProbeLimit(3, of: ObjectID()) == nil)
        #expect(try await store.user(email: "sister.K@example.COM")?.id == user.id)
        // Unicode case folding would take the long s for an s, and the Kelvin sign for a k.
        #expect(try await store.user(email: "\u{17F}ister.k@example.com") == nil)
        #expect(try await store.user(email: "Sister.\u{212A}@Example.com") == nil)
        #expect(try await store.user(email: "Sister.k@Example.co") == nil)
        #expect(try await store.user(email: "S.ster.k@Example.com") == nil)
    }

    /// A store with an account that paid 1 credit for an operation on its own probe.
    /// A store with a probe owner, their probe, and a requester holding 10 credits.
    static func requesterWithCredits(_ subject: Subject, _ folder: TemporaryDirectory) async throws -> (any Store, owner: User, requester: User, Probe) {
        let store = try await subject.make(folder)
        let owner = try await store.createUser(email: "owner@example.com", passwordHash: "h", isSuperuser: false)
        let requester = try await store.createUser(email: "req@example.com", passwordHash: "h", isSuperuser: false)
        let probe = try await store.createProbe(owner: owner.id, location: StoreTests.here)
        _ = try await store.addCredits(10, to: requester.id)
        return (store, owner, requester, probe)
    }

    static func ownOperation(_ subject: Subject, _ folder: TemporaryDirectory) async throws -> (any Store, User, Probe, OperationRecord) {
        let store = try await subject.make(folder)
        let owner = try await store.createUser(email: "owner@example.com", passwordHash: "h", isSuperuser: false)
        let probe = try await store.createProbe(owner: owner.id, location: StoreTests.here)
        _ = try await store.addCredits(1, to: owner.id)
        return (store, owner, probe, try await store.createOperation(Self.newOperation(owner, probe, credits: 1)))
    }

    @Test("concurrent uploads of one unique code store it once", arguments: drivers)
    func concurrentDuplicates(_ subject: Subject) async throws {
        let folder = TemporaryDirectory()
        let (store, owner, probe, operation) = try await Self.ownOperation(subject, folder)
        let result = OperationResult(probe: probe.id, content: JSONPayload(.string("x")), uniqueCode: "same")
        let outcomes = try await withThrowingTaskGroup(of: ResultInsertion.self) { group in
            for _ in 0..<50 { group.addTask { try await store.addResult(result, to: operation.id, reward: 10, limit: 5) } }
            return try await group.reduce(into: [ResultInsertion]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .stored }.count == 1)
        #expect(outcomes.filter { $0 == .duplicate }.count == 49)
        #expect(try await store.operation(id: operation.id, includeResults: true)?.results.count == 1)
        #expect(try await store.user(id: owner.id)?.credits == 10)
    }

    @Test("concurrent uploads of distinct codes store at most the limit", arguments: drivers)
    func concurrentLimit(_ subject: Subject) async throws {
        let folder = TemporaryDirectory()
        let (store, owner, probe, operation) = try await Self.ownOperation(subject, folder)
        let outcomes = try await withThrowingTaskGroup(of: ResultInsertion.self) { group in
            for index in 0..<30 {
                let result = OperationResult(probe: probe.id, content: JSONPayload(.string("x")), uniqueCode: "code-\(index)")
                group.addTask { try await store.addResult(result, to: operation.id, reward: 0.5, limit: 3) }
            }
            return try await group.reduce(into: [ResultInsertion]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .stored }.count == 3)
        #expect(outcomes.filter { $0 == .limitReached }.count == 27)
        #expect(try await store.operation(id: operation.id, includeResults: true)?.results.count == 3)
        #expect(try await store.user(id: owner.id)?.credits == 1.5)
    }

    @Test("past the rewarded results, results are stored unpaid up to the limit, concurrently too", arguments: drivers)
    func unpaidResults(_ subject: Subject) async throws {
        let folder = TemporaryDirectory()
        let (store, owner, probe, operation) = try await Self.ownOperation(subject, folder)
        let outcomes = try await withThrowingTaskGroup(of: ResultInsertion.self) { group in
            for index in 0..<20 {
                let result = OperationResult(probe: probe.id, content: JSONPayload(.string("x")), uniqueCode: "code-\(index)")
                group.addTask { try await store.addResult(result, to: operation.id, reward: 2, rewardedLimit: 3, limit: 4) }
            }
            return try await group.reduce(into: [ResultInsertion]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .stored }.count == 3)
        #expect(outcomes.filter { $0 == .storedUnpaid }.count == 1)
        #expect(outcomes.filter { $0 == .limitReached }.count == 16)
        let results = try #require(try await store.operation(id: operation.id, includeResults: true)?.results)
        #expect(results.count == 4)
        #expect(try await store.user(id: owner.id)?.credits == 6)
        // A stored code stays a duplicate, past the limit too.
        let again = OperationResult(probe: probe.id, content: JSONPayload(.string("x")), uniqueCode: try #require(results.last?.uniqueCode))
        #expect(try await store.addResult(again, to: operation.id, reward: 2, rewardedLimit: 3, limit: 4) == .duplicate)
    }

    @Test("deleteAll wipes data but keeps the unique email constraint", arguments: drivers)
    func deleteAll(_ subject: Subject) async throws {
        let folder = TemporaryDirectory()
        let store = try await subject.make(folder)
        let alice = try await store.createUser(email: "a@example.com", passwordHash: "h", isSuperuser: false)
        _ = try await store.createProbe(owner: alice.id, location: Self.here)
        try await store.deleteAll()
        #expect(try await store.probes(owner: nil).isEmpty)
        #expect(try await store.user(id: alice.id) == nil)
        _ = try await store.createUser(email: "a@example.com", passwordHash: "h", isSuperuser: false)
        await #expect(throws: PladmedError.emailTaken) {
            try await store.createUser(email: "a@example.com", passwordHash: "h", isSuperuser: false)
        }
        try await store.ping()
    }

    @Test("a deployment copies between drivers with ids, hashes, credits and results intact; a non-empty destination is refused",
          arguments: [(0, 1), (1, 0)])
    func migration(_ from: Int, _ to: Int) async throws {
        let folder = TemporaryDirectory(), otherFolder = TemporaryDirectory()
        let source = try await Self.drivers[from].make(folder)
        let destination = try await Self.drivers[to].make(otherFolder)
        let alice = try await source.createUser(email: "a@example.com", passwordHash: "$pbkdf2-sha256$29000$x$y", isSuperuser: true)
        _ = try await source.addCredits(1000.5, to: alice.id)
        let bob = try await source.createUser(email: "b@example.com", passwordHash: "h", isSuperuser: false)
        let probe = try await source.createProbe(owner: bob.id, location: Location(latitude: -34.6, longitude: -58.4))
        let operation = try await source.createOperation(Self.newOperation(alice, probe, credits: 15))
        _ = try await source.addResult(OperationResult(probe: probe.id, content: JSONPayload(.array([.object(["hop": .int(1), "rtt": .double(0.25)])])), uniqueCode: "u1"),
                                       to: operation.id, reward: 10, limit: 10)
        _ = try await source.addResult(OperationResult(probe: probe.id, content: JSONPayload(.string("dump text\n")), uniqueCode: "u2"), to: operation.id, reward: 10, limit: 10)

        let counts = try await StoreMigration.copy(from: source, to: destination)
        #expect(counts == StoreMigration.Counts(users: 2, probes: 1, operations: 1, results: 2))
        #expect(try await destination.users() == source.users())
        #expect(try await destination.probes(owner: nil) == source.probes(owner: nil))
        #expect(try await destination.operations(owner: nil, includeResults: true) == source.operations(owner: nil, includeResults: true))
        await #expect(throws: PladmedError.emailTaken) {
            try await destination.createUser(email: "a@example.com", passwordHash: "h", isSuperuser: false)
        }
        await #expect(throws: StoreMigration.Refusal.self) { try await StoreMigration.copy(from: source, to: destination) }
    }

    @Test("the SQLite file survives a reopen")
    func reopen() async throws {
        let folder = TemporaryDirectory()
        let path = folder.path("pladmed.sqlite")
        let id = try await SQLiteStore(path: path).createUser(email: "a@example.com", passwordHash: "h", isSuperuser: true).id
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.user(id: id)?.isSuperuser == true)
    }
}
