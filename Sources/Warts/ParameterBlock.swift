/// A warts parameter block: a flag bitmap (7 flags a byte, the high bit saying another byte follows), then,
/// when any flag is set, a 2-byte length of the parameters, then the parameters of the set flags in order.
///
/// ``read(_:reader:)`` calls `reader` with each set flag's 1-based id and stops at the first id it does not
/// know; the block's length lets it skip parameters added by later scamper versions.
struct ParameterBlock {
    /// The set flags, 1-based, in order.
    private(set) var flags: [Int] = []

    func isSet(_ id: Int) -> Bool { flags.contains(id) }

    /// Reads a block from `bytes`, calling `read` for every set flag up to `known` (inclusive).
    static func read(_ bytes: inout ByteReader, known: Int, read: (Int, inout ByteReader) throws -> Void) throws -> ParameterBlock {
        var block = ParameterBlock()
        var flagBytes: [UInt8] = []
        repeat {
            flagBytes.append(try bytes.byte())
        } while flagBytes.last! & 0x80 != 0
        guard flagBytes[0] != 0 else { return block }
        let length = Int(try bytes.uint16())
        let end = bytes.offset + length
        guard end <= bytes.end else { throw RecordError("parameter length \(length) overruns the record") }
        for (index, byte) in flagBytes.enumerated() {
            for bit in 0..<7 where byte & (1 << bit) != 0 {
                block.flags.append(index * 7 + bit + 1)
            }
        }
        var params = ByteReader(bytes.bytes, from: bytes.offset, to: end)
        for id in block.flags {
            guard id <= known else { break }
            try read(id, &params)
        }
        try bytes.seek(to: end)
        return block
    }
}
