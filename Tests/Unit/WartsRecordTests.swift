import Foundation
import JSONValues
import Testing
import Warts

/// Record types the fixtures lack, built byte by byte from the format.
@Suite("Warts records built by hand")
struct WartsRecordTests {
    static func record(_ type: UInt16, _ body: [UInt8]) -> [UInt8] {
        let length = UInt32(body.count)
        return [0x12, 0x05, UInt8(type >> 8), UInt8(type & 0xFF),
                UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)] + body
    }

    static func u32(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }

    @Test("old-style address records, cycle definitions, list description and monitor")
    func oldStyleRecords() throws {
        var file: [UInt8] = []
        // list 1 "l1" (user id 7) with description "d" and monitor "m": flags 0b11, params "d\0m\0".
        file += Self.record(1, Self.u32(1) + Self.u32(7) + Array("l1\0".utf8) + [0x03, 0x00, 0x04] + Array("d\0m\0".utf8))
        // cycle definition 1 of list 1, user id 9, start 100, no parameters.
        file += Self.record(3, Self.u32(1) + Self.u32(1) + Self.u32(9) + Self.u32(100) + [0x00])
        // old-style addresses 1 (10.0.0.1) and 2 (10.0.0.2): [id][type][bytes].
        file += Self.record(5, [1, 1, 10, 0, 0, 1])
        file += Self.record(5, [2, 1, 10, 0, 0, 2])
        // trace: flags 1 (list), 2 (cycle), 3 (src gid), 4 (dst gid), 11 (type = icmp-echo): bytes 0x8F, 0x08.
        let params = Self.u32(1) + Self.u32(1) + Self.u32(1) + Self.u32(2) + [1]
        file += Self.record(6, [0x8F, 0x08, 0x00, UInt8(params.count)] + params + [0x00, 0x00] + [0x00, 0x00])
        let decoded = WartsFile(decoding: file)
        #expect(decoded.error == nil, "\(String(describing: decoded.error))")
        #expect(decoded.records.count == 5)
        guard case .list(let list) = decoded.records[0], case .cycleDefinition(let cycle) = decoded.records[1],
              case .trace(let trace) = decoded.records[4]
        else {
            Issue.record("unexpected records \(decoded.records)")
            return
        }
        #expect(list == WartsList(id: 7, name: "l1", description: "d", monitor: "m"))
        #expect(cycle.id == 9 && cycle.list == list && cycle.startTime == 100)
        #expect(trace.source?.description == "10.0.0.1" && trace.destination?.description == "10.0.0.2")
        #expect(trace.methodName == "icmp-echo" && trace.list == list && trace.cycle?.id == 9)
        // sc_warts2json prints nothing for lists, cycle definitions and addresses.
        #expect(decoded.jsonValues().count == 1)
        #expect(decoded.analysisDump().hasSuffix("T\t10.0.0.1\t10.0.0.2\t7\t9\t0\tN\t0\t0\t0\tS\t0\tI\n"))
    }

    @Test("references to undefined lists, cycles or addresses are typed errors that keep earlier records")
    func undefinedReferences() {
        let list = Self.record(1, Self.u32(1) + Self.u32(0) + Array("x\0".utf8) + [0x00])
        let badTrace = Self.record(6, [0x08, 0x00, 0x04] + Self.u32(5) + [0x00, 0x00, 0x00, 0x00])
        let decoded = WartsFile(decoding: list + badTrace)
        #expect(decoded.records.count == 1)
        guard case .malformed(let offset, let type, let reason) = decoded.error else {
            Issue.record("expected a malformed-record error, got \(String(describing: decoded.error))")
            return
        }
        #expect(offset == list.count && type == 6 && reason.contains("address 5"))
    }
}
