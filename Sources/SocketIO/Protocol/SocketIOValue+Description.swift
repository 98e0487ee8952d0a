extension SocketIOValue: CustomStringConvertible, CustomDebugStringConvertible {
    /// The most bytes ``description`` writes of a value, however large the value is.
    public static let descriptionLimit = 256

    /// The value as compact JSON, cut at ``descriptionLimit`` bytes (then ending in `…`), one line: a value of any
    /// size costs at most that much to describe, in a log line or an interpolation.
    public var description: String {
        var writer = BoundedWriter(limit: Self.descriptionLimit)
        write(to: &writer)
        return writer.text
    }

    public var debugDescription: String { description }

    /// The value's kind and size, never its content: `object of 2 members`, `string of 5 bytes`.
    public var summary: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .int, .double: "number"
        case .string(let text): "string of \(text.utf8.count) bytes"
        case .binary(let bytes): "binary of \(bytes.count) bytes"
        case .array(let items): "array of \(items.count) items"
        case .object(let members): "object of \(members.count) members"
        }
    }

    private func write(to writer: inout BoundedWriter) {
        guard !writer.full else { return }
        switch self {
        case .binary(let bytes): writer.append("<\(bytes.count) bytes>")
        case .array(let items):
            writer.append("[")
            for (index, item) in items.enumerated() {
                if index > 0 { writer.append(",") }
                item.write(to: &writer)
                if writer.full { return }
            }
            writer.append("]")
        case .object(let members):
            writer.append("{")
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { writer.append(",") }
                writer.append(Self.quote(String(key.unicodeScalars.prefix(Self.descriptionLimit))) + ":")
                members[key]!.write(to: &writer)
                if writer.full { return }
            }
            writer.append("}")
        case .string(let text): writer.append(Self.quote(String(text.unicodeScalars.prefix(Self.descriptionLimit + 1))))
        default: writer.append(jsonText)
        }
    }

    /// Text that stops growing at `limit` bytes, cut on a scalar boundary and marked with `…`.
    private struct BoundedWriter {
        let limit: Int
        private(set) var text = ""
        private(set) var full = false

        init(limit: Int) { self.limit = limit }

        mutating func append(_ piece: String) {
            guard !full else { return }
            guard text.utf8.count + piece.utf8.count > limit else {
                text += piece
                return
            }
            for scalar in piece.unicodeScalars {
                guard text.utf8.count + String(scalar).utf8.count <= limit else { break }
                text.unicodeScalars.append(scalar)
            }
            text += "…"
            full = true
        }
    }
}
