/// What earlier records of a file define for later ones: lists, cycles and old-style addresses, each
/// numbered from 1 in file order (0 means none).
final class DecoderState {
    private(set) var lists: [WartsList?] = [nil]
    private(set) var cycles: [WartsCycle?] = [nil]
    private(set) var addresses: [WartsAddress?] = [nil]

    func list(_ id: UInt32) throws -> WartsList? {
        guard Int(id) < lists.count else { throw RecordError("list \(id) is not defined") }
        return lists[Int(id)]
    }

    func cycle(_ id: UInt32) throws -> WartsCycle? {
        guard Int(id) < cycles.count else { throw RecordError("cycle \(id) is not defined") }
        return cycles[Int(id)]
    }

    func address(_ id: UInt32) throws -> WartsAddress? {
        guard Int(id) < addresses.count else { throw RecordError("address \(id) is not defined") }
        return addresses[Int(id)]
    }

    /// `warts_list_read`: warts id, user id, name, parameters (description, monitor).
    func readList(_ reader: inout ByteReader) throws -> WartsList {
        let wartsID = try reader.uint32()
        guard Int(wartsID) == lists.count else { throw RecordError("list id \(wartsID), expected \(lists.count)") }
        var list = WartsList(id: try reader.uint32(), name: try reader.string())
        _ = try ParameterBlock.read(&reader, known: 2) { id, r in
            if id == 1 { list.description = try r.string() } else { list.monitor = try r.string() }
        }
        lists.append(list)
        return list
    }

    /// `warts_cycle_read`: warts id, warts list id, user id, start time, parameters (stop time, hostname).
    func readCycle(_ reader: inout ByteReader) throws -> WartsCycle {
        let wartsID = try reader.uint32()
        guard Int(wartsID) == cycles.count else { throw RecordError("cycle id \(wartsID), expected \(cycles.count)") }
        let listID = try reader.uint32()
        guard Int(listID) < lists.count else { throw RecordError("cycle of undefined list \(listID)") }
        var cycle = WartsCycle(id: try reader.uint32(), list: lists[Int(listID)], startTime: try reader.uint32())
        _ = try ParameterBlock.read(&reader, known: 2) { id, r in
            if id == 1 { cycle.stopTime = try r.uint32() } else { cycle.hostname = try r.string() }
        }
        cycles.append(cycle)
        return cycle
    }

    /// `warts_cycle_stop_read`: warts cycle id and stop time; the cycle is closed.
    func readCycleStop(_ reader: inout ByteReader) throws -> WartsCycle {
        let wartsID = Int(try reader.uint32())
        guard wartsID != 0, wartsID < cycles.count, var cycle = cycles[wartsID] else {
            throw RecordError("stop of unknown cycle \(wartsID)")
        }
        cycle.stopTime = try reader.uint32()
        cycles[wartsID] = nil
        return cycle
    }

    /// `warts_addr_read`: `[id][type][bytes]`.
    func readAddress(_ reader: inout ByteReader) throws -> WartsAddress {
        _ = try reader.byte()
        let type = try reader.byte()
        guard let address = WartsAddress(type: type, bytes: reader.bytes[reader.offset..<reader.end]) else {
            throw RecordError("address of unknown type \(type)")
        }
        addresses.append(address)
        return address
    }
}
