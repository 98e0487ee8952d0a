import PladmedCore
@testable import PladmedStorage
import Testing

@Suite("Reads kept in memory by the SQLite store")
struct ReadCacheTests {
    static func user(_ credits: Double = 0) -> User {
        User(id: ObjectID(), email: "u@example.com", passwordHash: "h", credits: credits, isSuperuser: false)
    }

    @Test("a read that began before a write is not kept; one that began after is")
    func generations() {
        let cache = ReadCache<ObjectID, User>(capacity: 10)
        let stale = Self.user(5)
        let before = cache.generation
        cache.forget(stale.id)
        cache.keep(stale, for: stale.id, readAfter: before)
        #expect(cache.value(stale.id) == nil)
        cache.keep(stale, for: stale.id, readAfter: cache.generation)
        #expect(cache.value(stale.id) == stale)
        cache.forget(stale.id)
        #expect(cache.value(stale.id) == nil)
        cache.keep(stale, for: stale.id, readAfter: cache.generation)
        cache.forgetAll()
        #expect(cache.value(stale.id) == nil)
    }

    @Test("at most its capacity of values is kept, and at most its cost")
    func bounds() {
        let cache = ReadCache<ObjectID, User>(capacity: 3)
        let users = (0..<5).map { _ in Self.user() }
        for user in users { cache.keep(user, for: user.id, readAfter: cache.generation) }
        #expect(users.filter { cache.value($0.id) != nil }.count == 3)
        #expect(cache.value(users[4].id) != nil)

        let costly = ReadCache<Int, [UInt8]>(capacity: 100, maxCost: 10) { $0.count }
        costly.keep(Array(repeating: 0, count: 11), for: 0, readAfter: costly.generation)
        #expect(costly.value(0) == nil)
        for key in 1...4 { costly.keep(Array(repeating: 0, count: 4), for: key, readAfter: costly.generation) }
        let kept = (1...4).filter { costly.value($0) != nil }
        #expect(kept.count == 2 && kept.contains(4))
        costly.keep(Array(repeating: 0, count: 4), for: 4, readAfter: costly.generation)
        #expect((1...4).filter { costly.value($0) != nil }.count == 2)
    }

    @Test("a write's own read replaces the kept value, unless another key was forgotten after the write began")
    func replacement() {
        let cache = ReadCache<ObjectID, User>(capacity: 10)
        let before = Self.user(10)
        cache.keep(before, for: before.id, readAfter: cache.generation)
        let charged = User(id: before.id, email: before.email, passwordHash: before.passwordHash, credits: 6, isSuperuser: false)
        let readBefore = cache.generation
        cache.replace(charged, for: before.id, writtenAfter: cache.generation)
        #expect(cache.value(before.id) == charged)
        // A read that began before the write is not kept over it.
        cache.keep(before, for: before.id, readAfter: readBefore)
        #expect(cache.value(before.id) == charged)
        // Another write forgot a key while this one ran: this one's value may be older, and is not kept.
        let began = cache.generation
        cache.forget(ObjectID())
        cache.replace(before, for: before.id, writtenAfter: began)
        #expect(cache.value(before.id) == nil)
        #expect(cache.values([before.id, charged.id]).isEmpty)
    }
}
