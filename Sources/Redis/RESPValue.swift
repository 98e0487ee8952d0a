/// A RESP3 value, as Redis sends it (RESP2 replies are a subset).
public enum RESPValue: Sendable, Equatable {
    /// `+OK`
    case simpleString(String)
    /// `-ERR ...` or `!` (a blob error): the error's text.
    case error(String)
    /// `:42`
    case integer(Int64)
    /// `$5 hello`: binary-safe bytes.
    case bulkString([UInt8])
    /// `_`, and RESP2's `$-1` and `*-1`.
    case null
    /// `*2 ...`
    case array([RESPValue])
    /// `,3.14`
    case double(Double)
    /// `#t`
    case boolean(Bool)
    /// `(3492890328409238509324850943850943825024385`
    case bigNumber(String)
    /// `=15 txt:Some string`: the text without its format prefix.
    case verbatimString(String)
    /// `%2 ...`: key-value pairs in the order sent.
    case map([Pair])
    /// `~3 ...`
    case set([RESPValue])
    /// `>3 ...`: an out-of-band message (pub/sub), not the reply to a command.
    case push([RESPValue])

    /// One entry of a map.
    public struct Pair: Sendable, Equatable {
        public var key: RESPValue
        public var value: RESPValue

        public init(key: RESPValue, value: RESPValue) {
            self.key = key
            self.value = value
        }
    }

    /// The value as text: simple, bulk (as UTF-8) and verbatim strings.
    public var string: String? {
        switch self {
        case .simpleString(let text), .verbatimString(let text): text
        case .bulkString(let bytes): String(decoding: bytes, as: UTF8.self)
        default: nil
        }
    }

    /// The value as a whole number: integers, and strings holding one.
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .simpleString, .bulkString: string.flatMap { Int64($0) }
        default: nil
        }
    }

    /// The elements of an array, a set or a push.
    public var elements: [RESPValue]? {
        switch self {
        case .array(let values), .set(let values), .push(let values): values
        default: nil
        }
    }
}
