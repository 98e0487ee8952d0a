#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An address in a warts record: IPv4, IPv6, Ethernet or FireWire.
public struct WartsAddress: Sendable, Hashable, CustomStringConvertible {
    /// scamper's address type: 1 IPv4, 2 IPv6, 3 Ethernet, 4 FireWire.
    public let type: UInt8
    /// The address bytes, 4, 16, 6 or 8 of them.
    public let bytes: [UInt8]

    /// An address of `type` from `bytes`; `nil` when the type is unknown or the length does not fit it.
    public init?(type: UInt8, bytes: some Collection<UInt8>) {
        guard let size = Self.size(of: type), bytes.count >= size else { return nil }
        self.type = type
        self.bytes = Array(bytes.prefix(size))
    }

    /// The byte length of an address of `type`.
    static func size(of type: UInt8) -> Int? {
        switch type {
        case 1: 4
        case 2: 16
        case 3: 6
        case 4: 8
        default: nil
        }
    }

    public var isIPv4: Bool { type == 1 }
    public var isIPv6: Bool { type == 2 }

    /// As scamper prints it: `inet_ntop` for IP addresses (glibc's IPv6 compression), colon-separated hex
    /// for link-layer addresses.
    public var description: String {
        switch type {
        case 1, 2:
            var text = [CChar](repeating: 0, count: 64)
            let family = type == 1 ? AF_INET : AF_INET6
            let ok = bytes.withUnsafeBytes { raw in inet_ntop(family, raw.baseAddress, &text, socklen_t(text.count)) }
            return ok != nil ? String(cString: text) : "?"
        default:
            return bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
                .joined(separator: ":")
        }
    }
}

/// The addresses defined so far inside one record, which later ones may refer to by index.
struct AddressTable {
    private var addresses: [WartsAddress] = []

    /// `[length][type][bytes]` for a new address, `[0][u32 index]` for a repeat (`extract_addr`).
    mutating func read(_ reader: inout ByteReader) throws -> WartsAddress {
        let length = Int(try reader.byte())
        if length == 0 {
            let index = Int(try reader.uint32())
            guard index < addresses.count else { throw RecordError("address index \(index) refers to no address") }
            return addresses[index]
        }
        let type = try reader.byte()
        guard let address = WartsAddress(type: type, bytes: try reader.take(length)) else {
            throw RecordError("address of unknown type \(type) or length \(length)")
        }
        addresses.append(address)
        return address
    }
}
