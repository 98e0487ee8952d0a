/// Collects a Socket.IO packet from Engine.IO message payloads: a binary packet is complete once its
/// announced attachments (binary frames) have arrived.
struct PacketAssembler {
    let maxAttachments: Int
    private var pending: (packet: SocketPacket, attachments: [[UInt8]])?

    init(maxAttachments: Int) {
        self.maxAttachments = maxAttachments
    }

    /// A message packet's payload; returns the packet when it needs no attachments.
    mutating func receive(text payload: String) throws -> (SocketPacket, [[UInt8]])? {
        guard pending == nil else { throw SocketIOProtocolError("text packet while attachments are pending") }
        let packet = try SocketPacket(parsing: payload)
        guard packet.attachments > 0 else { return (packet, []) }
        guard packet.attachments <= maxAttachments else {
            throw SocketIOProtocolError("\(packet.attachments) attachments exceed the limit of \(maxAttachments)")
        }
        pending = (packet, [])
        return nil
    }

    /// A binary frame; returns the packet it completes.
    mutating func receive(binary: [UInt8]) throws -> (SocketPacket, [[UInt8]])? {
        guard var current = pending else { throw SocketIOProtocolError("binary frame without a binary packet") }
        current.attachments.append(binary)
        guard current.attachments.count == current.packet.attachments else {
            pending = current
            return nil
        }
        pending = nil
        return (current.packet, current.attachments)
    }
}
