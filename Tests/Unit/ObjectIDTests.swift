import Foundation
import PladmedCore
import Testing

struct ObjectIDTests {
    @Test("new ids carry the creation second, then its milliseconds, and sort by creation time to the millisecond")
    func layoutAndOrder() throws {
        let start = Date(timeIntervalSince1970: 1_764_547_200.998)
        let ids = (0..<5).map { ObjectID(date: start.addingTimeInterval(Double($0) / 1000)) }
        #expect(ids == ids.sorted())
        #expect(ids[0].hex.prefix(8) == String(1_764_547_200, radix: 16))
        #expect(ids[0].hex.dropFirst(8).prefix(4) == String(format: "%04x", 998))
        #expect(ids[2].hex.prefix(12) == String(1_764_547_201, radix: 16) + "0000")
        // Minted as fast as they can be, ids increase strictly (a counter that restarts each millisecond never wraps
        // within one).
        let burst = (0..<200_000).map { _ in ObjectID() }
        #expect(zip(burst, burst.dropFirst()).allSatisfy { $0 < $1 })
        // Minted in the same millisecond, they still differ.
        let same = (0..<100).map { _ in ObjectID(date: start) }
        #expect(Set(same).count == 100)
        // 24 lowercase hex digits, which parse back to the same id.
        for id in same {
            #expect(id.hex.utf8.count == 24 && id.hex.allSatisfy { "0123456789abcdef".contains($0) })
            #expect(ObjectID(id.hex) == id && ObjectID(id.hex.uppercased()) == id)
        }
    }

    @Test("ids minted for a past date between ids minted now repeat none, and those minted now keep increasing")
    func pastDatesBetween() {
        // Before the dates `layoutAndOrder` asks for, which stay exact whichever test runs first.
        let past = Date(timeIntervalSince1970: 1_764_547_200)
        var now: [ObjectID] = [], dated: [ObjectID] = []
        for _ in 0..<2_000 {
            now.append(ObjectID())
            now.append(ObjectID())
            dated.append(ObjectID(date: past))
        }
        #expect(Set(now + dated).count == now.count + dated.count)
        #expect(zip(now, now.dropFirst()).allSatisfy { $0 < $1 })
        // Still in the past (another test's later dates may have moved the dated ids' clock a little).
        #expect(dated.allSatisfy { $0 < now[0] })
    }
}
