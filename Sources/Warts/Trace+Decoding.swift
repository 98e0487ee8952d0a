extension Trace {
    /// Decodes a trace record body (`scamper_file_warts_trace_read`).
    static func decode(_ reader: inout ByteReader, state: DecoderState) throws -> Trace {
        var trace = Trace()
        var table = AddressTable()
        var flags8: UInt8 = 0
        let block = try ParameterBlock.read(&reader, known: 32) { id, r in
            switch id {
            case 1: trace.list = try state.list(r.uint32())
            case 2: trace.cycle = try state.cycle(r.uint32())
            case 3: trace.source = try state.address(r.uint32())
            case 4: trace.destination = try state.address(r.uint32())
            case 5: trace.start = try r.timeval()
            case 6: trace.stopReason = try r.byte()
            case 7: trace.stopData = try r.byte()
            case 8: flags8 = try r.byte()
            case 9: trace.attempts = try r.byte()
            case 10: trace.hopLimit = try r.byte()
            case 11: trace.method = try r.byte()
            case 12: trace.probeSize = try r.uint16()
            case 13: trace.sourcePort = try r.uint16()
            case 14: trace.destinationPort = try r.uint16()
            case 15: trace.firstHop = try r.byte()
            case 16: trace.tos = try r.byte()
            case 17: trace.wait = try r.byte()
            case 18: trace.loops = try r.byte()
            case 19: trace.hopCount = try r.uint16()
            case 20: trace.gapLimit = try r.byte()
            case 21: trace.gapAction = try r.byte()
            case 22: trace.loopAction = try r.byte()
            case 23: trace.probeCount = try r.uint16()
            case 24: trace.waitProbe = try r.byte()
            case 25: trace.confidence = try r.byte()
            case 26: trace.source = try table.read(&r)
            case 27: trace.destination = try table.read(&r)
            case 28: trace.userID = try r.uint32()
            case 29: trace.offset = try r.uint16()
            case 30: trace.router = try Self.staticAddress(&r)
            case 31: trace.squeries = try r.byte()
            default: trace.flags = try r.uint32()
            }
        }
        guard trace.destination != nil else { throw RecordError("trace without a destination") }
        if trace.firstHop == 0 { trace.firstHop = 1 }
        if trace.squeries < 2 { trace.squeries = 1 }
        if !block.isSet(32) && block.isSet(8) { trace.flags = UInt32(flags8) }

        let count = Int(try reader.uint16())
        var replies: [Hop] = []
        replies.reserveCapacity(min(count, reader.remaining))
        for _ in 0..<count {
            replies.append(try Self.decodeHop(&reader, table: &table, state: state))
        }
        let maxTTL = replies.map(\.probeTTL).max() ?? 0
        if trace.hopCount != 0 {
            guard trace.hopCount >= maxTTL, trace.hopCount <= 255 else {
                throw RecordError("hop count \(trace.hopCount) does not fit replies up to TTL \(maxTTL)")
            }
        } else {
            trace.hopCount = UInt16(maxTTL)
        }
        // scamper chains consecutive replies with the same TTL; a later run for a TTL replaces an earlier one.
        trace.hops = Array(repeating: [], count: Int(trace.hopCount))
        var runStart = 0
        for index in replies.indices where index == replies.count - 1 || replies[index + 1].probeTTL != replies[index].probeTTL {
            trace.hops[Int(replies[index].probeTTL) - 1] = Array(replies[runStart...index])
            runStart = index + 1
        }

        // Optional attribute blocks (PMTUD, last-ditch, doubletree), ended by a zero header.
        while true {
            let header = try reader.uint16()
            if header == 0 { break }
            _ = try reader.take(Int(header & 0x0FFF))
        }
        return trace
    }

    static func decodeHop(_ reader: inout ByteReader, table: inout AddressTable, state: DecoderState) throws -> Hop {
        var address: WartsAddress?
        var hop = Hop(address: WartsAddress(type: 1, bytes: [0, 0, 0, 0])!)
        let block = try ParameterBlock.read(&reader, known: 20) { id, r in
            switch id {
            case 1: address = try state.address(r.uint32())
            case 2: hop.probeTTL = try r.byte()
            case 3: hop.replyTTL = try r.byte()
            case 4: hop.flags = try r.byte()
            case 5: hop.probeID = try r.byte() &+ 1
            case 6: hop.rtt = try r.rtt()
            case 7:
                hop.icmpType = try r.byte()
                hop.icmpCode = try r.byte()
            case 8: hop.probeSize = try r.uint16()
            case 9: hop.replySize = try r.uint16()
            case 10: hop.replyIPID = try r.uint16()
            case 11: hop.replyTOS = try r.byte()
            case 12: hop.nextHopMTU = try r.uint16()
            case 13: hop.quotedIPLength = try r.uint16()
            case 14: hop.quotedTTL = try r.byte()
            case 15: hop.icmpType = try r.byte()  // tcp flags share the byte
            case 16: hop.quotedTOS = try r.byte()
            case 17: hop.icmpExtensions = try ICMPExtension.readAll(&r)
            case 18: address = try table.read(&r)
            case 19: hop.tx = try r.timeval()
            default: hop.name = try r.string()
            }
        }
        guard let address else { throw RecordError("hop without an address") }
        guard hop.probeTTL != 0 else { throw RecordError("hop with probe TTL 0") }
        hop.address = address
        if hop.isICMPQuoting {
            if !block.isSet(14) { hop.quotedTTL = 1 }
            if !block.isSet(13) { hop.quotedIPLength = hop.probeSize }
        }
        return hop
    }

    /// `extract_addr_static`: `[length][type][bytes]` without table.
    static func staticAddress(_ reader: inout ByteReader) throws -> WartsAddress {
        let length = Int(try reader.byte())
        let type = try reader.byte()
        guard let address = WartsAddress(type: type, bytes: try reader.take(length)) else {
            throw RecordError("address of unknown type \(type)")
        }
        return address
    }
}
