extension Ping {
    /// Decodes a ping record body (`scamper_file_warts_ping_read`).
    static func decode(_ reader: inout ByteReader, state: DecoderState) throws -> Ping {
        var ping = Ping()
        var table = AddressTable()
        var flags8: UInt8 = 0, dataLength: UInt16 = 0
        var waitSeconds: UInt8 = 0, waitMicros: UInt32 = 0, timeoutSeconds: UInt8 = 0, timeoutMicros: UInt32 = 0
        let block = try ParameterBlock.read(&reader, known: 33) { id, r in
            switch id {
            case 1: ping.list = try state.list(r.uint32())
            case 2: ping.cycle = try state.cycle(r.uint32())
            case 3: ping.source = try state.address(r.uint32())
            case 4: ping.destination = try state.address(r.uint32())
            case 5: ping.start = try r.timeval()
            case 6: ping.stopReason = try r.byte()
            case 7: ping.stopData = try r.byte()
            case 8: dataLength = try r.uint16()
            case 9: ping.probeData = Array(try r.take(Int(dataLength)))
            case 10: ping.probeCount = try r.uint16()
            case 11: ping.probeSize = try r.uint16()
            case 12: waitSeconds = try r.byte()
            case 13: ping.ttl = try r.byte()
            case 14: ping.replyCount = try r.uint16()
            case 15: ping.pingSent = try r.uint16()
            case 16: ping.method = try r.byte()
            case 17: ping.sourcePort = try r.uint16()
            case 18: ping.destinationPort = try r.uint16()
            case 19: ping.userID = try r.uint32()
            case 20: ping.source = try table.read(&r)
            case 21: ping.destination = try table.read(&r)
            case 22: flags8 = try r.byte()
            case 23: ping.tos = try r.byte()
            case 24:
                let count = Int(try r.byte())
                ping.prespecifiedTimestamps = try (0..<count).map { _ in try table.read(&r) }
            case 25: ping.icmpChecksum = try r.uint16()
            case 26: ping.replyPMTU = try r.uint16()
            case 27: timeoutSeconds = try r.byte()
            case 28: waitMicros = try r.uint32()
            case 29: ping.tcpAck = try r.uint32()
            case 30: ping.flags = try r.uint32()
            case 31: ping.tcpSeq = try r.uint32()
            case 32: ping.router = try Trace.staticAddress(&r)
            default: timeoutMicros = try r.uint32()
            }
        }
        guard ping.source != nil, ping.destination != nil else { throw RecordError("ping without source or destination") }
        ping.waitProbe = Timeval(seconds: UInt32(waitSeconds), microseconds: waitMicros)
        ping.waitTimeout = Timeval(seconds: UInt32(block.isSet(27) ? timeoutSeconds : waitSeconds), microseconds: timeoutMicros)
        if !block.isSet(30) && block.isSet(22) { ping.flags = UInt32(flags8) }

        let count = Int(try reader.uint16())
        ping.replies = Array(repeating: [], count: Int(ping.pingSent))
        for _ in 0..<count {
            let reply = try Self.decodeReply(&reader, ping: ping, table: &table, state: state)
            guard Int(reply.probeID) < ping.replies.count else {
                throw RecordError("reply to probe \(reply.probeID) of \(ping.pingSent) sent")
            }
            ping.replies[Int(reply.probeID)].append(reply)
        }
        return ping
    }

    static func decodeReply(_ reader: inout ByteReader, ping: Ping, table: inout AddressTable, state: DecoderState) throws -> Reply {
        var address: WartsAddress?
        var reply = Reply(address: WartsAddress(type: 1, bytes: [0, 0, 0, 0])!)
        let block = try ParameterBlock.read(&reader, known: 19) { id, r in
            switch id {
            case 1: address = try state.address(r.uint32())
            case 2: reply.flags = try r.byte()
            case 3: reply.replyTTL = try r.byte()
            case 4: reply.replySize = try r.uint16()
            case 5:
                reply.icmpType = try r.byte()
                reply.icmpCode = try r.byte()
            case 6: reply.rtt = try r.rtt()
            case 7: reply.probeID = try r.uint16()
            case 8: reply.replyIPID = try r.uint16()
            case 9: reply.probeIPID = try r.uint16()
            case 10: reply.replyProtocol = try r.byte()
            case 11: reply.tcpFlags = try r.byte()
            case 12: address = try table.read(&r)
            case 13:
                let count = Int(try r.byte())
                reply.recordRoute = try (0..<count).map { _ in try table.read(&r) }
            case 14:
                let stampCount = Int(try r.byte()), addressCount = Int(try r.byte())
                guard addressCount == 0 || addressCount == stampCount else { throw RecordError("timestamp option mismatch") }
                let stamps = try (0..<stampCount).map { _ in try r.uint32() }
                reply.timestamps = Timestamps(stamps: stamps, addresses: try (0..<addressCount).map { _ in try table.read(&r) })
            case 15: reply.replyIPID32 = try r.uint32()
            case 16: reply.tx = try r.timeval()
            case 17: _ = try r.take(12)  // ICMP timestamp reply: not printed
            case 18: _ = try r.uint16()  // probe source port: not printed by this version
            default: reply.replyTOS = try r.byte()
            }
        }
        guard let address else { throw RecordError("reply without an address") }
        reply.address = address
        if !block.isSet(10) {
            reply.replyProtocol = ping.destination?.isIPv4 == true ? 1 : 58
        }
        return reply
    }
}
