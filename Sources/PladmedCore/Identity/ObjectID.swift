import Foundation

/// A MongoDB ObjectId: 12 bytes rendered as 24 lowercase hex digits.
///
/// New ids follow MongoDB's layout (4-byte big-endian seconds, 5 bytes unique to the process, a 3-byte counter), so
/// ids minted here sort by creation time like the original's. The 5 bytes begin with the milliseconds of the second
/// (2 bytes, big-endian) before 3 random bytes chosen once per process: several instances sharing a database (cluster
/// mode) mint ids that sort by creation time to the millisecond, as far as their clocks agree, where the random bytes
/// alone would order ids of the same second by instance. The counter starts again at 0 each new millisecond, so that
/// the ids one process mints as time goes on increase strictly: past 2^24 ids in one millisecond, the next ids take
/// the next millisecond. Ids never go back in time, so that none repeats: while the clock reads earlier than the last
/// id's millisecond (it stepped back), ids keep counting in that millisecond. Ids minted for a given date come from a
/// generator of their own (other process bytes), so that a date in the past does not move the clock of the ids
/// minted now.
public struct ObjectID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The 24 lowercase hex digits.
    public let hex: String

    /// Parses 24 hex digits (either case); `nil` for anything else.
    public init?(_ string: some StringProtocol) {
        guard string.utf8.count == 24, string.utf8.allSatisfy({ $0.isHexDigit }) else { return nil }
        self.hex = string.lowercased()
    }

    /// A new id for the current time.
    public init() {
        self.init(at: Date(), from: ObjectID.generator)
    }

    /// A new id for `date` (at that millisecond, or after the last id minted for a date when `date` is earlier).
    public init(date: Date) {
        self.init(at: date, from: ObjectID.datedGenerator)
    }

    private init(at date: Date, from generator: Generator) {
        let (milliseconds, counter) = generator.next(at: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
        let seconds = UInt32(truncatingIfNeeded: milliseconds / 1000)
        let millisecond = UInt16(truncatingIfNeeded: milliseconds % 1000)
        var bytes = [UInt8]()
        bytes.reserveCapacity(12)
        withUnsafeBytes(of: seconds.bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: millisecond.bigEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: generator.processUnique)
        bytes.append(UInt8(truncatingIfNeeded: counter >> 16))
        bytes.append(UInt8(truncatingIfNeeded: counter >> 8))
        bytes.append(UInt8(truncatingIfNeeded: counter))
        self.hex = String(unsafeUninitializedCapacity: 24) { text in
            for (index, byte) in bytes.enumerated() {
                text[2 * index] = Self.hexDigits[Int(byte >> 4)]
                text[2 * index + 1] = Self.hexDigits[Int(byte & 0x0F)]
            }
            return 24
        }
    }

    /// The lowercase hex digits' UTF-8 code units.
    private static let hexDigits = Array("0123456789abcdef".utf8)

    public var description: String { hex }

    public static func < (lhs: ObjectID, rhs: ObjectID) -> Bool { lhs.hex < rhs.hex }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        guard let id = ObjectID(string) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ObjectId: \(string)")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }

    private static let generator = Generator(processUnique: (0..<3).map { _ in UInt8.random(in: .min ... .max) })
    /// The generator of ids for given dates: the process bytes of ``generator`` with the first bit flipped.
    private static let datedGenerator = Generator(processUnique: [generator.processUnique[0] ^ 0x80] + generator.processUnique.dropFirst())

    private final class Generator: Sendable {
        let processUnique: [UInt8]
        /// The millisecond of the last id, and its counter.
        private let last = Mutex<(milliseconds: Int64, counter: UInt32)>((.min, 0))

        init(processUnique: [UInt8]) {
            self.processUnique = processUnique
        }

        /// The millisecond and counter of a new id made at `milliseconds`: a later millisecond starts its counter at 0;
        /// the last id's millisecond, or an earlier one, counts on in the last id's (the next millisecond once the
        /// counter runs out).
        func next(at milliseconds: Int64) -> (milliseconds: Int64, counter: UInt32) {
            last.withLock { last in
                if milliseconds > last.milliseconds {
                    last = (milliseconds, 0)
                } else if last.counter < 0x00FF_FFFF {
                    last.counter += 1
                } else {
                    last = (last.milliseconds + 1, 0)
                }
                return last
            }
        }
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (48...57).contains(self) || (65...70).contains(self) || (97...102).contains(self)
    }
}
