/// Why decoding stopped.
public enum WartsError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input does not start with (or a later record lacks) the warts magic number 0x1205.
    case badMagic(offset: Int, found: UInt16)
    /// The input ends inside the record that starts at `offset`.
    case truncated(offset: Int, recordType: UInt16?)
    /// The record of `type` at `offset` is inconsistent: `reason` says how.
    case malformed(offset: Int, recordType: UInt16, reason: String)

    public var description: String {
        switch self {
        case .badMagic(let offset, let found):
            return "not a warts record at byte \(offset): magic 0x\(String(found, radix: 16)), expected 0x1205"
        case .truncated(let offset, let type):
            return "input ends inside the record at byte \(offset)" + (type.map { " (type \($0))" } ?? "")
        case .malformed(let offset, let type, let reason):
            return "malformed record of type \(type) at byte \(offset): \(reason)"
        }
    }
}

/// A failure inside one record's body; the file decoder adds the record's offset and type.
struct RecordError: Error {
    let reason: String

    init(_ reason: String) {
        self.reason = reason
    }
}
