import NIOCore

/// Decodes RESP3 values from bytes as they arrive, within bounds on sizes, counts and nesting.
public struct RESPDecoder: Sendable {
    /// The largest bulk string, verbatim string or blob error accepted, in bytes.
    public var maxBulkBytes: Int
    /// The most elements one array, set, push or map may announce.
    public var maxElements: Int
    /// The deepest nesting of aggregates.
    public var maxDepth: Int

    public init(maxBulkBytes: Int = 64 << 20, maxElements: Int = 1 << 20, maxDepth: Int = 32) {
        self.maxBulkBytes = maxBulkBytes
        self.maxElements = maxElements
        self.maxDepth = maxDepth
    }

    /// The next whole value at the start of `buffer`, which it then leaves; `nil` (leaving `buffer` as it was) when
    /// more bytes are needed. Throws ``RESPError`` for bytes that are not RESP3 or that pass a bound.
    public func next(from buffer: inout ByteBuffer) throws -> RESPValue? {
        var view = buffer
        guard let value = try value(from: &view, depth: 0) else { return nil }
        buffer = view
        return value
    }

    private func value(from buffer: inout ByteBuffer, depth: Int) throws -> RESPValue? {
        guard depth <= maxDepth else { throw RESPError("nesting deeper than \(maxDepth)") }
        guard let type = buffer.readInteger(as: UInt8.self) else { return nil }
        guard let line = try line(from: &buffer) else { return nil }
        switch type {
        case UInt8(ascii: "+"): return .simpleString(line)
        case UInt8(ascii: "-"): return .error(line)
        case UInt8(ascii: ":"): return .integer(try number(line))
        case UInt8(ascii: "("): return .bigNumber(line)
        case UInt8(ascii: "_"): return .null
        case UInt8(ascii: "#"):
            switch line {
            case "t": return .boolean(true)
            case "f": return .boolean(false)
            default: throw RESPError("bad boolean \(line)")
            }
        case UInt8(ascii: ","):
            switch line {
            case "inf": return .double(.infinity)
            case "-inf": return .double(-.infinity)
            case "nan": return .double(.nan)
            default:
                guard let value = Double(line) else { throw RESPError("bad double \(line)") }
                return .double(value)
            }
        case UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="):
            let length = try number(line)
            if length == -1 && type == UInt8(ascii: "$") { return .null }
            guard length >= 0, length <= maxBulkBytes else { throw RESPError("bulk length \(length) outside 0...\(maxBulkBytes)") }
            guard buffer.readableBytes >= Int(length) + 2, let bytes = buffer.readBytes(length: Int(length)) else { return nil }
            guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw RESPError("bulk string not followed by CRLF") }
            switch type {
            case UInt8(ascii: "$"): return .bulkString(bytes)
            case UInt8(ascii: "!"): return .error(String(decoding: bytes, as: UTF8.self))
            default:
                // A verbatim string starts with its three-letter format and a colon.
                guard bytes.count >= 4, bytes[3] == UInt8(ascii: ":") else { throw RESPError("verbatim string without its format") }
                return .verbatimString(String(decoding: bytes[4...], as: UTF8.self))
            }
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"), UInt8(ascii: "|"):
            let count = try number(line)
            if count == -1 && type == UInt8(ascii: "*") { return .null }
            guard count >= 0, count <= maxElements else { throw RESPError("aggregate of \(count) elements outside 0...\(maxElements)") }
            let isMap = type == UInt8(ascii: "%") || type == UInt8(ascii: "|")
            var values: [RESPValue] = []
            values.reserveCapacity(Int(min(count, 1024)) * (isMap ? 2 : 1))
            for _ in 0..<(isMap ? count * 2 : count) {
                guard let element = try value(from: &buffer, depth: depth + 1) else { return nil }
                values.append(element)
            }
            switch type {
            case UInt8(ascii: "*"): return .array(values)
            case UInt8(ascii: "~"): return .set(values)
            case UInt8(ascii: ">"): return .push(values)
            case UInt8(ascii: "%"): return .map(stride(from: 0, to: values.count, by: 2).map { .init(key: values[$0], value: values[$0 + 1]) })
            default:
                // Attributes describe the value that follows them; the value is what is returned.
                return try value(from: &buffer, depth: depth)
            }
        default:
            throw RESPError("unknown type byte \(type)")
        }
    }

    /// A line up to CRLF (at most 64 KiB), or `nil` when the CRLF has not arrived.
    private func line(from buffer: inout ByteBuffer) throws -> String? {
        let view = buffer.readableBytesView
        guard let cr = view.firstIndex(of: 0x0D) else {
            guard view.count <= 65_536 else { throw RESPError("a line longer than 64 KiB") }
            return nil
        }
        let length = cr - view.startIndex
        guard buffer.readableBytes >= length + 2 else { return nil }
        let text = buffer.readString(length: length) ?? ""
        guard buffer.readInteger(as: UInt8.self) == 0x0D, buffer.readInteger(as: UInt8.self) == 0x0A else {
            throw RESPError("CR not followed by LF")
        }
        return text
    }

    private func number(_ line: String) throws -> Int64 {
        guard let value = Int64(line) else { throw RESPError("bad number \(line)") }
        return value
    }
}

/// Bytes that are not RESP3, or that pass a bound of the decoder.
public struct RESPError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
