/// A ping record (warts type 7).
public struct Ping: Sendable, Equatable {
    /// The IP timestamp option of a reply: timestamps, and the addresses that stamped them when recorded.
    public struct Timestamps: Sendable, Equatable {
        public var stamps: [UInt32]
        public var addresses: [WartsAddress]
    }

    /// One reply to a ping probe.
    public struct Reply: Sendable, Equatable {
        public var address: WartsAddress
        public var flags: UInt8 = 0
        public var replyTTL: UInt8 = 0
        public var replySize: UInt16 = 0
        public var icmpType: UInt8 = 0
        public var icmpCode: UInt8 = 0
        public var rtt = Timeval(seconds: 0, microseconds: 0)
        /// Which probe this answers, from 0.
        public var probeID: UInt16 = 0
        public var replyIPID: UInt16 = 0
        public var probeIPID: UInt16 = 0
        /// IP protocol of the reply: 1 ICMP, 58 ICMPv6, 6 TCP, 17 UDP.
        public var replyProtocol: UInt8 = 0
        public var tcpFlags: UInt8 = 0
        public var recordRoute: [WartsAddress]?
        public var timestamps: Timestamps?
        public var replyIPID32: UInt32 = 0
        public var tx: Timeval?
        public var replyTOS: UInt8 = 0

        public var isICMP: Bool { replyProtocol == 1 || replyProtocol == 58 }
        public var isTCP: Bool { replyProtocol == 6 }
        public var isUDP: Bool { replyProtocol == 17 }
    }

    public var list: WartsList?
    public var cycle: WartsCycle?
    public var source: WartsAddress?
    public var destination: WartsAddress?
    public var router: WartsAddress?
    public var start = Timeval(seconds: 0, microseconds: 0)
    public var stopReason: UInt8 = 0
    public var stopData: UInt8 = 0
    public var probeData: [UInt8] = []
    public var probeCount: UInt16 = 0
    public var probeSize: UInt16 = 0
    public var waitProbe = Timeval(seconds: 0, microseconds: 0)
    public var waitTimeout = Timeval(seconds: 0, microseconds: 0)
    public var ttl: UInt8 = 0
    public var replyCount: UInt16 = 0
    public var pingSent: UInt16 = 0
    /// scamper's method: 0 icmp-echo, 1 tcp-ack, 2 tcp-ack-sport, 3 udp, 4 udp-dport, 5 icmp-time, 6 tcp-syn.
    public var method: UInt8 = 0
    public var sourcePort: UInt16 = 0
    public var destinationPort: UInt16 = 0
    public var userID: UInt32 = 0
    public var flags: UInt32 = 0
    public var tos: UInt8 = 0
    public var prespecifiedTimestamps: [WartsAddress]?
    public var icmpChecksum: UInt16 = 0
    public var replyPMTU: UInt16 = 0
    public var tcpAck: UInt32 = 0
    public var tcpSeq: UInt32 = 0
    /// Replies by probe: `replies[probeID]`, `pingSent` entries.
    public var replies: [[Reply]] = []

    public var isTCP: Bool { [1, 2, 6, 7, 8, 9].contains(method) }
    public var isUDP: Bool { [3, 4, 10].contains(method) }
    public var isICMP: Bool { method == 0 || method == 5 }

    /// `scamper_ping_method_tostr`.
    public var methodName: String {
        let names = ["icmp-echo", "tcp-ack", "tcp-ack-sport", "udp", "udp-dport", "icmp-time", "tcp-syn", "tcp-synack",
                     "tcp-rst", "tcp-syn-sport", "udp-sport"]
        return Int(method) < names.count ? names[Int(method)] : "\(method)"
    }
}
