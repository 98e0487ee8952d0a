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
}
