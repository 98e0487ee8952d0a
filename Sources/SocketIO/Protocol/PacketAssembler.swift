/// Collects a Socket.IO packet from Engine.IO message payloads: a binary packet is complete once its
/// announced attachments (binary frames) have arrived. What it holds is bounded: at most `maxAttachments`
/// attachments of `maxBytes` in total per packet, and none before the session has connected.
struct PacketAssembler {
    let maxAttachments: Int
    /// Bytes of attachments one packet may gather, in total.
    let maxBytes: Int
    private var pending: (packet: SocketPacket, attachments: [[UInt8]], bytes: Int)?

    init(maxAttachments: Int, maxBytes: Int) {
        self.maxAttachments = maxAttachments
        self.maxBytes = maxBytes
    }

    /// A message packet's payload; returns the packet when it needs no attachments. A binary packet is refused
    /// unless `connected` (a namespace has accepted the session): nothing is gathered for a client not yet admitted.
    mutating func receive(text payload: String, connected: Bool) throws -> (SocketPacket, [[UInt8]])? {
        guard pending == nil else { throw SocketIOProtocolError("text packet while attachments are pending") }
        let packet = try SocketPacket(parsing: payload)
        guard packet.attachments > 0 else { return (packet, []) }
        guard connected else { throw SocketIOProtocolError("binary packet before CONNECT") }
        guard packet.attachments <= maxAttachments else {
            throw SocketIOProtocolError("\(packet.attachments) attachments exceed the limit of \(maxAttachments)")
        }
        pending = (packet, [], 0)
        return nil
    }

    /// A binary frame; returns the packet it completes.
    mutating func receive(binary: [UInt8]) throws -> (SocketPacket, [[UInt8]])? {
        guard var current = pending else { throw SocketIOProtocolError("binary frame without a binary packet") }
        current.bytes += binary.count
        guard current.bytes <= maxBytes else {
            pending = nil
            throw SocketIOProtocolError("attachments exceed \(maxBytes) bytes in total")
        }
        current.attachments.append(binary)
        guard current.attachments.count == current.packet.attachments else {
            pending = current
            return nil
        }
        pending = nil
        return (current.packet, current.attachments)
    }
}
