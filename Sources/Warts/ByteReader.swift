/// Bounds-checked big-endian reads over one record's body.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int

    init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.offset = start
        self.end = end ?? bytes.count
    }

    var remaining: Int { end - offset }

    mutating func byte() throws -> UInt8 {
        guard offset < end else { throw RecordError("needs 1 byte at \(offset)") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func uint16() throws -> UInt16 {
        guard remaining >= 2 else { throw RecordError("needs 2 bytes at \(offset)") }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func uint32() throws -> UInt32 {
        guard remaining >= 4 else { throw RecordError("needs 4 bytes at \(offset)") }
        defer { offset += 4 }
        return bytes[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, remaining >= count else { throw RecordError("needs \(count) bytes at \(offset)") }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    /// A NUL-terminated string (scamper's `extract_string`).
    mutating func string() throws -> String {
        guard let nul = bytes[offset..<end].firstIndex(of: 0) else { throw RecordError("unterminated string at \(offset)") }
        defer { offset = nul + 1 }
        return String(decoding: bytes[offset..<nul], as: UTF8.self)
    }

    /// A timeval: seconds and microseconds, 4 bytes each.
    mutating func timeval() throws -> Timeval {
        Timeval(seconds: try uint32(), microseconds: try uint32())
    }

    /// An RTT stored as microseconds in 4 bytes.
    mutating func rtt() throws -> Timeval {
        let micros = try uint32()
        return Timeval(seconds: micros / 1_000_000, microseconds: micros % 1_000_000)
    }

    mutating func seek(to position: Int) throws {
        guard position >= offset, position <= end else { throw RecordError("parameters overrun the record at \(offset)") }
        offset = position
    }
}
