extension WartsFile {
    /// What `sc_analysis_dump` (default options) prints for this file: its comment header, then one
    /// tab-separated line per trace; other records print nothing.
    public func analysisDump() -> String {
        AnalysisDumpHeader.text + traceLines()
    }

    /// The `T` lines of this file's traces.
    func traceLines() -> String {
        var out = ""
        for case .trace(let trace) in records {
            if let line = trace.analysisDumpLine() { out += line + "\n" }
        }
        return out
    }
}

extension Trace {
    /// The reply from the destination, searched from the last TTL back, as `sc_analysis_dump` decides it.
    var destinationReply: (ttl: Int, index: Int)? {
        guard hopCount > 0, stopReason != 6 else { return nil }
        for ttl in stride(from: hops.count - 1, through: 0, by: -1) {
            for (index, hop) in hops[ttl].enumerated()
            where (hop.isICMPPortUnreachable && (isUDP || isTCP)) || (hop.isICMPEchoReply && isICMP) || (hop.isTCP && isTCP) {
                return (ttl, index)
            }
        }
        return nil
    }

    /// One `T` line (`print_trace`), or `nil` for a trace that failed before probing.
    func analysisDumpLine() -> String? {
        if hopCount == 0 && stopReason == 6 { return nil }
        let destination = destinationReply
        let destinationHop = destination.map { hops[$0.ttl][$0.index] }
        var line = "T\t\(source?.description ?? "")\t\(self.destination?.description ?? "")"
        line += "\t\(list?.id ?? 0)\t\(cycle?.id ?? 0)\t\(start.seconds)"
        if let hop = destinationHop {
            line += "\tR\t\(hop.rtt.milliseconds)\t\(hop.probeTTL)\t\(hop.replyTTL)"
        } else {
            line += "\tN\t0\t0\t0"
        }
        switch stopReason {
        case 0, 1: line += "\tS\t0"
        case 2: line += "\tU\t\(stopData)"
        case 4: line += "\tL\t\(stopData != 0 ? Int(stopData) : loopLength())"
        case 5: line += "\tG\t\(stopData)"
        default: line += "\t?\t0"
        }
        var complete = false
        if let hop = destinationHop {
            complete = (0..<Int(hop.probeTTL)).allSatisfy { !hops[$0].isEmpty }
        }
        line += complete ? "\tC" : "\tI"
        var unresponsive = 0
        for ttl in 0..<hops.count {
            var replies = hops[ttl][...]
            guard !replies.isEmpty else {
                unresponsive += 1
                continue
            }
            // The destination's reply is not a path hop; a TTL holding only it ends the path.
            if let destination, destination.ttl == ttl, destination.index == replies.startIndex {
                replies = replies.dropFirst()
                if replies.isEmpty { break }
            }
            line += String(repeating: "\tq", count: unresponsive)
            unresponsive = 0
            var shown: [String] = []
            for (offset, hop) in zip(replies.indices, replies) {
                if let destination, destination.ttl == ttl, destination.index == offset, !shown.isEmpty { break }
                shown.append("\(hop.address),\(hop.rtt.milliseconds),\(hop.probeID)")
            }
            line += "\t" + shown.joined(separator: ";")
        }
        return line
    }

    /// `trace_loop(trace, 1, ...)`: the distance between the first address seen again at an earlier TTL
    /// and that TTL, 0 when there is no loop.
    func loopLength() -> Int {
        let first = Int(firstHop)
        guard first < hops.count else { return 0 }
        let seen = hops.map { Set($0.map(\.address)) }
        for i in first..<hops.count {
            var checked = Set<WartsAddress>()
            for hop in hops[i] where checked.insert(hop.address).inserted {
                if let j = stride(from: i - 1, through: first - 1, by: -1).first(where: { seen[$0].contains(hop.address) }) {
                    return i - j
                }
            }
        }
        return 0
    }
}
