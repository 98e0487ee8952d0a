import Foundation
import JSONValues

/// One line of `sc_warts2json` output being written: scamper's fields in scamper's order and spacing, appended
/// as bytes. Strings are escaped as JSON (scamper prints them raw, which only differs for text no real host
/// name or list name holds).
struct JSONLine {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 1024) {
        bytes.reserveCapacity(capacity)
    }

    /// Bytes written so far.
    var count: Int { bytes.count }

    /// Drops what was written after the first `count` bytes.
    mutating func truncate(to count: Int) {
        bytes.removeLast(bytes.count - count)
    }

    /// The line as text.
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Appends `text` as it is: punctuation and field names.
    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Appends `text` then the decimal digits of `value`.
    mutating func field(_ text: StaticString, _ value: some BinaryInteger) {
        raw(text)
        number(value)
    }

    /// Appends `value` as a JSON string.
    mutating func string(_ value: String) {
        JSONValue.appendQuoted(value, to: &bytes)
    }

    /// Appends `text` as it is.
    mutating func raw(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// Appends `text` then `value` as a JSON string.
    mutating func field(_ text: StaticString, string value: String) {
        raw(text)
        JSONValue.appendQuoted(value, to: &bytes)
    }

    /// Appends `text` then `time` as milliseconds with three decimals (`timeval_tostr_us`).
    mutating func field(_ text: StaticString, milliseconds time: Timeval) {
        raw(text)
        let micros = time.totalMicroseconds
        number(micros / 1000)
        bytes.append(UInt8(ascii: "."))
        let fraction = Int(micros % 1000)
        bytes.append(UInt8(ascii: "0") + UInt8(fraction / 100))
        bytes.append(UInt8(ascii: "0") + UInt8(fraction / 10 % 10))
        bytes.append(UInt8(ascii: "0") + UInt8(fraction % 10))
    }

    /// Appends `text` then `{"sec":.., "usec":..}`.
    mutating func field(_ text: StaticString, timeval time: Timeval) {
        field(text, time.seconds)
        field(#", "usec":"#, time.microseconds)
        raw("}")
    }

    /// Appends the decimal digits of `value`.
    mutating func number(_ value: some BinaryInteger) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            bytes.append(contentsOf: buffer[(20 - count)...])
        }
    }

    /// Appends `items` as a JSON array, each written by `write`.
    mutating func array<Item>(_ items: some Sequence<Item>, _ write: (inout JSONLine, Item) -> Void) {
        raw("[")
        for (index, item) in items.enumerated() {
            if index > 0 { raw(",") }
            write(&self, item)
        }
        raw("]")
    }
}
