import Foundation

/// A decoded warts file: every complete record in order, and, when decoding stopped early, why.
///
/// Decoding never traps and never loops: it reads each record's 8-byte header (magic 0x1205, type,
/// length), decodes the body within that length, and stops at the first record it cannot read, keeping the
/// records before it, as scamper's tools do with a truncated file. Time is linear in the input.
public struct WartsFile: Sendable {
    /// The records decoded, in file order.
    public var records: [WartsRecord]
    /// Where and why decoding stopped, or `nil` when the whole input was read.
    public var error: WartsError?

    /// Decodes `data`. An empty input is an empty file without error.
    public init(decoding data: some Collection<UInt8>) {
        let bytes = Array(data)
        let state = DecoderState()
        var records: [WartsRecord] = []
        var offset = 0
        var failure: WartsError?
        while offset < bytes.count {
            guard bytes.count - offset >= 8 else {
                failure = .truncated(offset: offset, recordType: nil)
                break
            }
            var header = ByteReader(bytes, from: offset, to: offset + 8)
            let magic = try! header.uint16(), type = try! header.uint16(), length = Int(try! header.uint32())
            guard magic == 0x1205 else {
                failure = .badMagic(offset: offset, found: magic)
                break
            }
            guard type != 0 else {
                failure = .malformed(offset: offset, recordType: type, reason: "record type 0")
                break
            }
            guard length <= bytes.count - offset - 8 else {
                failure = .truncated(offset: offset, recordType: type)
                break
            }
            var body = ByteReader(bytes, from: offset + 8, to: offset + 8 + length)
            do {
                switch type {
                case 1: records.append(.list(try state.readList(&body)))
                case 2: records.append(.cycleStart(try state.readCycle(&body)))
                case 3: records.append(.cycleDefinition(try state.readCycle(&body)))
                case 4: records.append(.cycleStop(try state.readCycleStop(&body)))
                case 5: records.append(.address(try state.readAddress(&body)))
                case 6: records.append(.trace(try Trace.decode(&body, state: state)))
                case 7: records.append(.ping(try Ping.decode(&body, state: state)))
                default: records.append(.other(type: type))
                }
            } catch let error as RecordError {
                failure = .malformed(offset: offset, recordType: type, reason: error.reason)
                break
            } catch {
                failure = .malformed(offset: offset, recordType: type, reason: "\(error)")
                break
            }
            offset += 8 + length
        }
        self.records = records
        self.error = failure
    }
}
