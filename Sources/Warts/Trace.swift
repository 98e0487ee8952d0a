/// A traceroute record (warts type 6).
public struct Trace: Sendable, Equatable {
    /// One reply to a traceroute probe.
    public struct Hop: Sendable, Equatable {
        public var address: WartsAddress
        public var name: String?
        public var flags: UInt8 = 0
        public var probeTTL: UInt8 = 0
        /// The attempt number, counted from 1 (stored from 0).
        public var probeID: UInt8 = 0
        public var probeSize: UInt16 = 0
        public var replyTTL: UInt8 = 0
        public var replyTOS: UInt8 = 0
        public var replySize: UInt16 = 0
        public var replyIPID: UInt16 = 0
        /// ICMP type; for TCP replies the same byte holds the TCP flags, as in scamper's union.
        public var icmpType: UInt8 = 0
        public var icmpCode: UInt8 = 0
        public var quotedTTL: UInt8 = 0
        public var quotedTOS: UInt8 = 0
        public var quotedIPLength: UInt16 = 0
        public var nextHopMTU: UInt16 = 0
        public var tx: Timeval?
        public var rtt = Timeval(seconds: 0, microseconds: 0)
        public var icmpExtensions: [ICMPExtension] = []

        /// TCP flags of a TCP reply.
        public var tcpFlags: UInt8 { icmpType }
        public var isTCP: Bool { flags & 0x20 != 0 }
        public var isUDP: Bool { flags & 0x40 != 0 }
        public var isICMP: Bool { flags & 0x60 == 0 }

        /// An ICMP reply that quotes the probe (time exceeded, unreachable, packet too big).
        public var isICMPQuoting: Bool {
            isICMP && (address.isIPv4 ? (icmpType == 3 || icmpType == 11) : (address.isIPv6 && (1...3).contains(icmpType)))
        }
        public var isICMPPacketTooBig: Bool {
            isICMP && (address.isIPv4 ? (icmpType == 3 && icmpCode == 4) : (address.isIPv6 && icmpType == 2))
        }
        public var isICMPPortUnreachable: Bool {
            isICMP && (address.isIPv4 ? (icmpType == 3 && icmpCode == 3) : (address.isIPv6 && icmpType == 1 && icmpCode == 4))
        }
        public var isICMPEchoReply: Bool {
            isICMP && (address.isIPv4 ? icmpType == 0 : (address.isIPv6 && icmpType == 129))
        }
    }

    public var list: WartsList?
    public var cycle: WartsCycle?
    public var userID: UInt32 = 0
    public var source: WartsAddress?
    public var destination: WartsAddress?
    public var router: WartsAddress?
    public var start = Timeval(seconds: 0, microseconds: 0)
    public var stopReason: UInt8 = 0
    public var stopData: UInt8 = 0
    public var flags: UInt32 = 0
    public var attempts: UInt8 = 0
    public var hopLimit: UInt8 = 0
    /// scamper's `type`: 1 icmp-echo, 2 udp, 3 tcp, 4 icmp-echo-paris, 5 udp-paris, 6 tcp-ack.
    public var method: UInt8 = 0
    public var probeSize: UInt16 = 0
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    public var firstHop: UInt8 = 1
    public var tos: UInt8 = 0
    public var wait: UInt8 = 0
    public var loops: UInt8 = 0
    public var hopCount: UInt16 = 0
    public var gapLimit: UInt8 = 0
    public var gapAction: UInt8 = 0
    public var loopAction: UInt8 = 0
    public var probeCount: UInt16 = 0
    public var waitProbe: UInt8 = 0
    public var confidence: UInt8 = 0
    public var offset: UInt16 = 0
    public var squeries: UInt8 = 1
    /// Replies by probe TTL: `hops[ttl - 1]`, in arrival order; `hopCount` entries.
    public var hops: [[Hop]] = []

    public var isUDP: Bool { method == 2 || method == 5 }
    public var isTCP: Bool { method == 3 || method == 6 }
    public var isICMP: Bool { method == 1 || method == 4 }

    /// `scamper_trace_type_tostr`.
    public var methodName: String {
        switch method {
        case 1: "icmp-echo"
        case 2: "udp"
        case 3: "tcp"
        case 4: "icmp-echo-paris"
        case 5: "udp-paris"
        case 6: "tcp-ack"
        default: "\(method)"
        }
    }

    /// `scamper_trace_stop_tostr`.
    public var stopReasonName: String {
        let names = ["NONE", "COMPLETED", "UNREACH", "ICMP", "LOOP", "GAPLIMIT", "ERROR", "HOPLIMIT", "GSS", "HALTED"]
        return Int(stopReason) < names.count ? names[Int(stopReason)] : "\(stopReason)"
    }
}

/// An ICMP extension (RFC 4884) attached to a reply, with MPLS label stacks decoded.
public struct ICMPExtension: Sendable, Equatable {
    public var classNumber: UInt8
    public var classType: UInt8
    public var data: [UInt8]

    /// An MPLS label stack entry.
    public struct MPLSLabel: Sendable, Equatable {
        public var label: UInt32
        public var exp: UInt8
        public var bottomOfStack: UInt8
        public var ttl: UInt8
    }

    /// Class 1 type 1: an MPLS label stack.
    public var isMPLS: Bool { classNumber == 1 && classType == 1 }

    /// The label stack entries of an MPLS extension (4 bytes each).
    public var mplsLabels: [MPLSLabel] {
        stride(from: 0, to: data.count - data.count % 4, by: 4).map { i in
            let word = data[i..<i + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return MPLSLabel(label: word >> 12, exp: UInt8((word >> 9) & 7), bottomOfStack: UInt8((word >> 8) & 1), ttl: UInt8(word & 0xFF))
        }
    }

    /// `[u16 total length]` then `[u16 data length][class][type][data]...` (`warts_icmpext_read`).
    static func readAll(_ reader: inout ByteReader) throws -> [ICMPExtension] {
        var total = Int(try reader.uint16())
        guard total > 0 else { throw RecordError("empty ICMP extension block") }
        guard reader.remaining >= total else { throw RecordError("ICMP extensions overrun the record") }
        var extensions: [ICMPExtension] = []
        while total >= 4 {
            let length = Int(try reader.uint16())
            let classNumber = try reader.byte(), classType = try reader.byte()
            guard 4 + length <= total else { throw RecordError("ICMP extension overruns its block") }
            extensions.append(ICMPExtension(classNumber: classNumber, classType: classType, data: Array(try reader.take(length))))
            total -= 4 + length
        }
        guard total == 0 else { throw RecordError("ICMP extension block has \(total) stray bytes") }
        return extensions
    }
}
