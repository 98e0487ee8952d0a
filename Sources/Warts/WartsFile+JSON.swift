import Foundation
import JSONValues

extension WartsFile {
    /// What `sc_warts2json` (scamper 20211212) prints for this file, one JSON value per printed line: cycle
    /// starts and stops, traces and pings; lists, cycle definitions and other record types print nothing.
    /// `ftime` fields are in `timeZone` (the tool uses the local zone; the original deployment ran in UTC).
    public func jsonValues(timeZone: TimeZone = TimeZone(identifier: "UTC")!) -> [JSONValue] {
        records.compactMap { record in
            switch record {
            case .cycleStart(let cycle): Self.json(cycle, event: "start", time: cycle.startTime)
            case .cycleStop(let cycle): Self.json(cycle, event: "stop", time: cycle.stopTime ?? 0)
            case .trace(let trace): trace.json(timeZone: timeZone)
            case .ping(let ping): ping.json
            default: nil
            }
        }
    }

    static func json(_ cycle: WartsCycle, event: String, time: UInt32) -> JSONValue {
        var fields: [String: JSONValue] = [
            "type": .string("cycle-\(event)"), "list_name": .string(cycle.list?.name ?? ""), "id": .int(Int(cycle.id)),
            "\(event)_time": .int(Int(time)),
        ]
        if let hostname = cycle.hostname { fields["hostname"] = .string(hostname) }
        return .object(fields)
    }
}

extension Timeval {
    /// `{"sec":..,"usec":..}`.
    var json: JSONValue { .object(["sec": .int(Int(seconds)), "usec": .int(Int(microseconds))]) }
    /// A `%d.%03d` millisecond value as the JSON number a parser reads from it.
    var millisecondsJSON: JSONValue { .double(Double(milliseconds)!) }
}

extension Trace {
    /// `scamper_file_json_trace_write`.
    func json(timeZone: TimeZone) -> JSONValue {
        var fields: [String: JSONValue] = [
            "type": .string("trace"), "version": .string("0.1"), "userid": .int(Int(userID)), "method": .string(methodName),
            "dst": .string(destination?.description ?? ""),
            "stop_reason": .string(stopReasonName), "stop_data": .int(Int(stopData)),
            "hop_count": .int(Int(hopCount)), "attempts": .int(Int(attempts)), "hoplimit": .int(Int(hopLimit)),
            "firsthop": .int(Int(firstHop)), "wait": .int(Int(wait)), "wait_probe": .int(Int(waitProbe)), "tos": .int(Int(tos)),
            "probe_size": .int(Int(probeSize)), "probe_count": .int(Int(probeCount)),
        ]
        if let source { fields["src"] = .string(source.description) }
        if let router { fields["rtr"] = .string(router.description) }
        if isUDP || isTCP {
            fields["sport"] = .int(Int(sourcePort))
            fields["dport"] = .int(Int(destinationPort))
        } else if flags & 0x20 != 0 {
            fields["icmp_sum"] = .int(Int(destinationPort))
        }
        var start = self.start.json.object!
        start["ftime"] = .string(Self.format(seconds: self.start.seconds, timeZone: timeZone))
        fields["start"] = .object(start)
        let replies = hops.dropFirst(Int(firstHop) - 1).flatMap { $0 }
        if !replies.isEmpty {
            fields["hops"] = .array(replies.map { $0.json(receiveErrors: flags & 0x80 != 0) })
        }
        return .object(fields)
    }

    static func format(seconds: UInt32, timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second],
                                        from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        func two(_ value: Int?) -> String { let v = value ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        return "\(c.year ?? 0)-\(two(c.month))-\(two(c.day)) \(two(c.hour)):\(two(c.minute)):\(two(c.second))"
    }
}

extension Trace.Hop {
    func json(receiveErrors: Bool) -> JSONValue {
        var fields: [String: JSONValue] = [
            "addr": .string(address.description), "probe_ttl": .int(Int(probeTTL)), "probe_id": .int(Int(probeID)),
            "probe_size": .int(Int(probeSize)), "rtt": rtt.millisecondsJSON, "reply_ttl": .int(Int(replyTTL)),
            "reply_tos": .int(Int(replyTOS)),
        ]
        if let name { fields["name"] = .string(name) }
        if let tx, tx.seconds != 0 { fields["tx"] = tx.json }
        if !receiveErrors {
            fields["reply_ipid"] = .int(Int(replyIPID))
            fields["reply_size"] = .int(Int(replySize))
        }
        if isICMP {
            fields["icmp_type"] = .int(Int(icmpType))
            fields["icmp_code"] = .int(Int(icmpCode))
            if isICMPQuoting && !receiveErrors {
                fields["icmp_q_ttl"] = .int(Int(quotedTTL))
                fields["icmp_q_ipl"] = .int(Int(quotedIPLength))
                if address.isIPv4 { fields["icmp_q_tos"] = .int(Int(quotedTOS)) }
            }
            // scamper's own key, colon included.
            if isICMPPacketTooBig { fields["icmp_nhmtu:"] = .int(Int(nextHopMTU)) }
        } else if isTCP {
            fields["tcp_flags"] = .int(Int(tcpFlags))
        }
        if !icmpExtensions.isEmpty {
            fields["icmpext"] = .array(icmpExtensions.map { ext in
                var object: [String: JSONValue] = [
                    "ie_cn": .int(Int(ext.classNumber)), "ie_ct": .int(Int(ext.classType)), "ie_dl": .int(ext.data.count),
                ]
                if ext.isMPLS {
                    object["mpls_labels"] = .array(ext.mplsLabels.map { label in
                        .object(["mpls_ttl": .int(Int(label.ttl)), "mpls_s": .int(Int(label.bottomOfStack)),
                                 "mpls_exp": .int(Int(label.exp)), "mpls_label": .int(Int(label.label))])
                    })
                }
                return .object(object)
            })
        }
        return .object(fields)
    }
}

extension Ping {
    /// `scamper_file_json_ping_write` of scamper 20211212.
    var json: JSONValue {
        var fields: [String: JSONValue] = [
            "type": .string("ping"), "version": .string("0.4"), "method": .string(methodName), "start": start.json,
            "ping_sent": .int(Int(pingSent)), "probe_size": .int(Int(probeSize)), "userid": .int(Int(userID)),
            "ttl": .int(Int(ttl)), "wait": .int(Int(waitProbe.seconds)), "timeout": .int(Int(waitTimeout.seconds)),
        ]
        if let source { fields["src"] = .string(source.description) }
        if let destination { fields["dst"] = .string(destination.description) }
        if let router { fields["rtr"] = .string(router.description) }
        if waitProbe.microseconds != 0 { fields["wait_us"] = .int(Int(waitProbe.microseconds)) }
        if waitTimeout.microseconds != 0 { fields["timeout_us"] = .int(Int(waitTimeout.microseconds)) }
        if isUDP || isTCP {
            fields["sport"] = .int(Int(sourcePort))
            fields["dport"] = .int(Int(destinationPort))
        }
        if isTCP {
            fields["tcp_seq"] = .int(Int(tcpSeq))
            fields["tcp_ack"] = .int(Int(tcpAck))
        }
        if !probeData.isEmpty {
            let hex = probeData.map { String(format: "%02x", $0) }.joined()
            fields[flags & 0x04 != 0 ? "payload" : "pattern"] = .string(hex)
        }
        if flags != 0 {
            let names = ["v4rr", "spoof", "payload", "tsonly", "tsandaddr", "icmpsum", "dl", "tbt", "nosrc", "raw"]
            fields["flags"] = .array(names.indices.filter { flags & (1 << $0) != 0 }.map { .string(names[$0]) })
        }
        if isICMP && flags & 0x20 != 0 { fields["icmp_csum"] = .int(Int(icmpChecksum)) }
        if let stamps = prespecifiedTimestamps {
            fields["probe_tsps"] = .array(stamps.map { .string($0.description) })
        }
        fields["responses"] = .array(replies.flatMap { $0 }.map(json))
        fields["statistics"] = statisticsJSON
        return .object(fields)
    }

    func json(_ reply: Reply) -> JSONValue {
        var fields: [String: JSONValue] = [
            "from": .string(reply.address.description), "seq": .int(Int(reply.probeID)),
            "reply_size": .int(Int(reply.replySize)), "reply_ttl": .int(Int(reply.replyTTL)),
            "rtt": reply.rtt.millisecondsJSON,
        ]
        switch reply.replyProtocol {
        case 1, 58: fields["reply_proto"] = .string("icmp")
        case 6: fields["reply_proto"] = .string("tcp")
        case 17: fields["reply_proto"] = .string("udp")
        default: fields["reply_proto"] = .int(Int(reply.replyProtocol))
        }
        if let tx = reply.tx, tx.seconds != 0 {
            fields["tx"] = tx.json
            let rx = tx.totalMicroseconds + reply.rtt.totalMicroseconds
            fields["rx"] = .object(["sec": .int(Int(rx / 1_000_000)), "usec": .int(Int(rx % 1_000_000))])
        }
        if reply.address.isIPv4 {
            fields["probe_ipid"] = .int(Int(reply.probeIPID))
            fields["reply_ipid"] = .int(Int(reply.replyIPID))
        } else if reply.address.isIPv6 && reply.flags & 0x02 != 0 {
            fields["reply_ipid"] = .int(Int(reply.replyIPID32))
        }
        if reply.isICMP {
            fields["icmp_type"] = .int(Int(reply.icmpType))
            fields["icmp_code"] = .int(Int(reply.icmpCode))
        } else if reply.isTCP {
            fields["tcp_flags"] = .int(Int(reply.tcpFlags))
        }
        if let route = reply.recordRoute {
            fields["RR"] = .array(route.map { .string($0.description) })
        }
        if let timestamps = reply.timestamps {
            if flags & 0x08 == 0 {
                fields["tsandaddr"] = .array(zip(timestamps.addresses, timestamps.stamps).map {
                    .object(["ip": .string($0.description), "ts": .int(Int($1))])
                })
            } else {
                fields["tsonly"] = .array(timestamps.stamps.map { .int(Int($0)) })
            }
        }
        return .object(fields)
    }

    /// `scamper_ping_stats` as scamper 20211212 computes it: a probe counts as answered when any reply came
    /// back (a TTL-expired message too), and every reply's RTT, duplicates included, enters min, max, avg
    /// and stddev.
    var statisticsJSON: JSONValue {
        let answered = replies.filter { !$0.isEmpty }.count
        let rtts = replies.flatMap { $0.map(\.rtt.totalMicroseconds) }
        var fields: [String: JSONValue] = ["replies": .int(answered)]
        if pingSent != 0 {
            if answered == 0 {
                fields["loss"] = .int(1)
            } else if answered == Int(pingSent) {
                fields["loss"] = .int(0)
            } else {
                let loss = Float(Int(pingSent) - answered) / Float(pingSent)
                fields["loss"] = .double(Double(String(format: "%.2f", loss))!)
            }
        }
        if answered > 0, let min = rtts.min(), let max = rtts.max() {
            let sum = rtts.reduce(0.0) { $0 + Double($1) }
            let mean = sum / Double(rtts.count)
            let variance = rtts.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(rtts.count)
            func ms(_ micros: UInt64) -> JSONValue {
                Timeval(seconds: UInt32(micros / 1_000_000), microseconds: UInt32(micros % 1_000_000)).millisecondsJSON
            }
            fields["min"] = ms(min)
            fields["max"] = ms(max)
            fields["avg"] = ms(UInt64(UInt32(truncatingIfNeeded: UInt64(mean))))
            fields["stddev"] = ms(UInt64(UInt32(truncatingIfNeeded: UInt64(variance.squareRoot()))))
        }
        return .object(fields)
    }
}
