import Foundation
import PladmedConformance
import PladmedTestSupport
import Testing
@testable import Warts

/// A seeded mutational fuzzer over the fixtures: bit flips, interesting bytes, truncations, insertions,
/// repeated chunks and rewritten length fields. Every mutant must decode without trapping and its outputs
/// must render; a hang would stop the run. Decode speed is measured by `make bench-warts`, not here.
@Suite("Warts decoder fuzzing")
struct WartsFuzzTests {
    static func seeds() throws -> [[UInt8]] {
        let folder = Repository.file("Fixtures/warts")
        return try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".warts") }.sorted()
            .map { Array(try Data(contentsOf: folder.appendingPathComponent($0))) }.filter { !$0.isEmpty }
    }

    static func mutate(_ input: [UInt8], _ random: inout SeededGenerator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            guard !bytes.isEmpty else { break }
            let at = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<7, using: &random) {
            case 0: bytes[at] ^= 1 << UInt8.random(in: 0..<8, using: &random)
            case 1: bytes[at] = [0, 0xFF, 0x80, 0x7F, 1][Int.random(in: 0..<5, using: &random)]
            case 2: bytes.removeSubrange(at...)
            case 3: bytes.insert(contentsOf: (0..<Int.random(in: 1...16, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }, at: at)
            case 4:
                let end = min(bytes.count, at + Int.random(in: 1...64, using: &random))
                bytes.insert(contentsOf: bytes[at..<end], at: end)
            case 5:
                // Rewrite a record length field (bytes 4...7 of a header) when one starts here.
                if at + 8 <= bytes.count, bytes[at] == 0x12, bytes[at + 1] == 0x05 {
                    for k in 4..<8 { bytes[at + k] = UInt8.random(in: 0...255, using: &random) }
                }
            default:
                bytes[at] = bytes[at] &+ UInt8.random(in: 1...3, using: &random)
            }
        }
        return bytes
    }

    @Test("30,000 mutants decode and render without trapping, every JSON line valid JSON")
    func mutants() throws {
        let seeds = try Self.seeds()
        var random = SeededGenerator(seed: 0x5EED_2026)
        var failures = 0
        for _ in 0..<30_000 {
            let input = Self.mutate(seeds[Int.random(in: 0..<seeds.count, using: &random)], &random)
            let file = WartsFile(decoding: input)
            let lines = file.jsonLines()
            #expect(file.jsonValues().count == lines.count, "a JSON line does not parse: \(lines)")
            _ = file.analysisDump()
            #expect(file.records.count <= input.count / 8 + 1)
            if file.error != nil { failures += 1 }
        }
        // The mutator must actually break files, or it tests nothing.
        #expect(failures > 3_000, "only \(failures) mutants were rejected")
    }

    @Test("a looping trace with 20,000 replies at one TTL dumps in one pass")
    func manyRepliesPerHop() {
        var trace = Trace()
        trace.destination = WartsAddress(type: 1, bytes: [10, 0, 0, 1])
        trace.stopReason = 4
        trace.hopCount = 3
        let hop = { (last: UInt8, ttl: UInt8) in
            var hop = Trace.Hop(address: WartsAddress(type: 1, bytes: [10, 0, 1, last])!)
            hop.probeTTL = ttl
            hop.icmpType = 11
            return hop
        }
        trace.hops = [[hop(1, 1)], (0..<20_000).map { hop(UInt8($0 % 250) + 2, 2) }, [hop(1, 3)]]
        #expect(trace.loopLength() == 2)
    }

    @Test("hostile shapes: huge counts in tiny records, deep flag chains, self-referencing addresses")
    func hostile() {
        // A trace claiming 65535 hop records in a 20-byte body.
        var trace: [UInt8] = [0x12, 0x05, 0x00, 0x06, 0x00, 0x00, 0x00, 0x0C]
        trace += [0x80, 0x80, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0x00]
        #expect(WartsFile(decoding: trace).error != nil)
        // A flag block whose continuation bits never end.
        let flags = [0x12, 0x05, 0x00, 0x07, 0x00, 0x00, 0x10, 0x00] + [UInt8](repeating: 0xFF, count: 4096)
        #expect(WartsFile(decoding: flags).error != nil)
        // A record length beyond the input.
        #expect(WartsFile(decoding: [0x12, 0x05, 0x00, 0x06, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]).error == .truncated(offset: 0, recordType: 6))
    }
}
