import Foundation
import JSONValues

extension WartsFile {
    /// The lines `sc_warts2json` (scamper 20211212) prints for this file, without their newlines, byte for
    /// byte: cycle starts and stops, traces and pings; lists, cycle definitions and other record types print
    /// nothing. `ftime` fields are in `timeZone` (the tool uses the local zone; the original deployment ran in
    /// UTC).
    public func jsonLines(timeZone: TimeZone = TimeZone(identifier: "UTC")!) -> [String] {
        records.compactMap { record in
            var line = JSONLine()
            return Self.write(record, to: &line, timeZone: timeZone) ? line.text : nil
        }
    }

    /// ``jsonLines(timeZone:)``, one JSON value per line.
    public func jsonValues(timeZone: TimeZone = TimeZone(identifier: "UTC")!) -> [JSONValue] {
        jsonLines(timeZone: timeZone).compactMap { try? JSONValue(parsing: $0) }
    }

    /// ``jsonLines(timeZone:)`` as the text of one JSON array: what a `json` operation stores for a result.
    public func jsonArrayText(timeZone: TimeZone = TimeZone(identifier: "UTC")!) -> String {
        // A trace of a dozen hops prints about 5 KB.
        var text = JSONLine(capacity: 8192)
        text.raw("[")
        var first = true
        for record in records {
            let mark = text.count
            if !first { text.raw(",") }
            if Self.write(record, to: &text, timeZone: timeZone) { first = false } else { text.truncate(to: mark) }
        }
        text.raw("]")
        return text.text
    }

    /// Appends the line `sc_warts2json` prints for `record`; `false` (and nothing appended) for a record it
    /// does not print.
    static func write(_ record: WartsRecord, to line: inout JSONLine, timeZone: TimeZone) -> Bool {
        switch record {
        case .cycleStart(let cycle): write(cycle, event: "start", time: cycle.startTime, to: &line)
        case .cycleStop(let cycle): write(cycle, event: "stop", time: cycle.stopTime ?? 0, to: &line)
        case .trace(let trace): trace.write(to: &line, timeZone: timeZone)
        case .ping(let ping): ping.write(to: &line)
        default: return false
        }
        return true
    }

    static func write(_ cycle: WartsCycle, event: String, time: UInt32, to line: inout JSONLine) {
        line.field(#"{"type":"#, string: "cycle-\(event)")
        line.field(#", "list_name":"#, string: cycle.list?.name ?? "")
        line.field(#", "id":"#, cycle.id)
        if let hostname = cycle.hostname { line.field(#", "hostname":"#, string: hostname) }
        line.field(event == "start" ? #", "start_time":"# : #", "stop_time":"#, time)
        line.raw("}")
    }
}

extension Trace {
    /// `scamper_file_json_trace_write`.
    func write(to line: inout JSONLine, timeZone: TimeZone) {
        line.field(#"{"type":"trace","version":"0.1", "userid":"#, userID)
        line.field(#", "method":"#, string: methodName)
        if let source { line.field(#", "src":"#, string: source.description) }
        line.field(#", "dst":"#, string: destination?.description ?? "")
        if let router { line.field(#", "rtr":"#, string: router.description) }
        if isUDP || isTCP {
            line.field(#", "sport":"#, sourcePort)
            line.field(#", "dport":"#, destinationPort)
        } else if flags & 0x20 != 0 {
            line.field(#", "icmp_sum":"#, destinationPort)
        }
        line.field(#", "stop_reason":"#, string: stopReasonName)
        line.field(#", "stop_data":"#, stopData)
        line.field(#", "start":{"sec":"#, start.seconds)
        line.field(#", "usec":"#, start.microseconds)
        line.field(#", "ftime":"#, string: Self.format(seconds: start.seconds, timeZone: timeZone))
        line.field(#"}, "hop_count":"#, hopCount)
        line.field(#", "attempts":"#, attempts)
        line.field(#", "hoplimit":"#, hopLimit)
        line.field(#", "firsthop":"#, firstHop)
        line.field(#", "wait":"#, wait)
        line.field(#", "wait_probe":"#, waitProbe)
        line.field(#", "tos":"#, tos)
        line.field(#", "probe_size":"#, probeSize)
        line.field(#", "probe_count":"#, probeCount)
        let replies = hops.dropFirst(Int(firstHop) - 1).joined()
        if !replies.isEmpty {
            line.raw(#", "hops":"#)
            let receiveErrors = flags & 0x80 != 0
            line.array(replies) { line, hop in hop.write(to: &line, receiveErrors: receiveErrors) }
        }
        line.raw("}")
    }

    /// `%Y-%m-%d %H:%M:%S` of `seconds` since the epoch, in `timeZone`.
    static func format(seconds: UInt32, timeZone: TimeZone) -> String {
        let local = Int64(seconds) + Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds))))
        let (days, time) = (local.floorDivided(by: 86_400), local - local.floorDivided(by: 86_400) * 86_400)
        // Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's civil_from_days).
        let shifted = days + 719_468
        let era = shifted.floorDivided(by: 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day)) \(two(time / 3600)):\(two(time / 60 % 60)):\(two(time % 60))"
    }
}

extension Int64 {
    /// The quotient rounded towards minus infinity.
    fileprivate func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

extension Trace.Hop {
    func write(to line: inout JSONLine, receiveErrors: Bool) {
        line.field(#"{"addr":"#, string: address.description)
        if let name { line.field(#", "name":"#, string: name) }
        line.field(#", "probe_ttl":"#, probeTTL)
        line.field(#", "probe_id":"#, probeID)
        line.field(#", "probe_size":"#, probeSize)
        if let tx, tx.seconds != 0 { line.field(#", "tx":{"sec":"#, timeval: tx) }
        line.field(#", "rtt":"#, milliseconds: rtt)
        line.field(#", "reply_ttl":"#, replyTTL)
        line.field(#", "reply_tos":"#, replyTOS)
        if !receiveErrors {
            line.field(#", "reply_ipid":"#, replyIPID)
            line.field(#", "reply_size":"#, replySize)
        }
        if isICMP {
            line.field(#", "icmp_type":"#, icmpType)
            line.field(#", "icmp_code":"#, icmpCode)
            if isICMPQuoting && !receiveErrors {
                line.field(#", "icmp_q_ttl":"#, quotedTTL)
                line.field(#", "icmp_q_ipl":"#, quotedIPLength)
                if address.isIPv4 { line.field(#", "icmp_q_tos":"#, quotedTOS) }
            }
            // scamper's own key, colon included.
            if isICMPPacketTooBig { line.field(#", "icmp_nhmtu:":"#, nextHopMTU) }
        } else if isTCP {
            line.field(#", "tcp_flags":"#, tcpFlags)
        }
        if !icmpExtensions.isEmpty {
            line.raw(#", "icmpext":"#)
            line.array(icmpExtensions) { line, ext in
                line.field(#"{"ie_cn":"#, ext.classNumber)
                line.field(#","ie_ct":"#, ext.classType)
                line.field(#","ie_dl":"#, ext.data.count)
                if ext.isMPLS {
                    line.raw(#","mpls_labels":"#)
                    line.array(ext.mplsLabels) { line, label in
                        line.field(#"{"mpls_ttl":"#, label.ttl)
                        line.field(#","mpls_s":"#, label.bottomOfStack)
                        line.field(#","mpls_exp":"#, label.exp)
                        line.field(#","mpls_label":"#, label.label)
                        line.raw("}")
                    }
                }
                line.raw("}")
            }
        }
        line.raw("}")
    }
}

extension Ping {
    /// `scamper_file_json_ping_write` of scamper 20211212.
    func write(to line: inout JSONLine) {
        line.field(#"{"type":"ping", "version":"0.4", "method":"#, string: methodName)
        if let source { line.field(#", "src":"#, string: source.description) }
        if let destination { line.field(#", "dst":"#, string: destination.description) }
        if let router { line.field(#", "rtr":"#, string: router.description) }
        line.field(#", "start":{"sec":"#, start.seconds)
        line.field(#","usec":"#, start.microseconds)
        line.field(#"}, "ping_sent":"#, pingSent)
        line.field(#", "probe_size":"#, probeSize)
        line.field(#", "userid":"#, userID)
        line.field(#", "ttl":"#, ttl)
        line.field(#", "wait":"#, waitProbe.seconds)
        if waitProbe.microseconds != 0 { line.field(#", "wait_us":"#, waitProbe.microseconds) }
        line.field(#", "timeout":"#, waitTimeout.seconds)
        if waitTimeout.microseconds != 0 { line.field(#", "timeout_us":"#, waitTimeout.microseconds) }
        if isUDP || isTCP {
            line.field(#", "sport":"#, sourcePort)
            line.field(#", "dport":"#, destinationPort)
        }
        if isTCP {
            line.field(#", "tcp_seq":"#, tcpSeq)
            line.field(#", "tcp_ack":"#, tcpAck)
        }
        if !probeData.isEmpty {
            let hex = probeData.map { String(format: "%02x", $0) }.joined()
            line.field(flags & 0x04 != 0 ? #", "payload":"# : #", "pattern":"#, string: hex)
        }
        if flags != 0 {
            let names = ["v4rr", "spoof", "payload", "tsonly", "tsandaddr", "icmpsum", "dl", "tbt", "nosrc", "raw"]
            line.raw(#", "flags":"#)
            line.array(names.indices.filter { flags & (1 << $0) != 0 }) { line, index in
                line.string(names[index])
            }
        }
        // scamper's own spacing, blank after the colon included.
        if isICMP && flags & 0x20 != 0 { line.field(#", "icmp_csum": "#, icmpChecksum) }
        if let stamps = prespecifiedTimestamps {
            line.raw(#", "probe_tsps":"#)
            line.array(stamps) { line, address in line.string(address.description) }
        }
        line.raw(#", "responses":"#)
        line.array(replies.joined()) { line, reply in write(reply, to: &line) }
        line.raw(",")
        writeStatistics(to: &line)
        line.raw("}")
    }

    func write(_ reply: Reply, to line: inout JSONLine) {
        line.field(#"{"from":"#, string: reply.address.description)
        line.field(#", "seq":"#, reply.probeID)
        line.field(#", "reply_size":"#, reply.replySize)
        line.field(#", "reply_ttl":"#, reply.replyTTL)
        switch reply.replyProtocol {
        case 1, 58: line.raw(#", "reply_proto":"icmp""#)
        case 6: line.raw(#", "reply_proto":"tcp""#)
        case 17: line.raw(#", "reply_proto":"udp""#)
        default: line.field(#", "reply_proto":"#, reply.replyProtocol)
        }
        if let tx = reply.tx, tx.seconds != 0 {
            line.field(#", "tx":{"sec":"#, timeval: tx)
            let rx = tx.totalMicroseconds + reply.rtt.totalMicroseconds
            line.field(#", "rx":{"sec":"#, timeval: Timeval(seconds: UInt32(rx / 1_000_000), microseconds: UInt32(rx % 1_000_000)))
        }
        line.field(#", "rtt":"#, milliseconds: reply.rtt)
        if reply.address.isIPv4 {
            line.field(#", "probe_ipid":"#, reply.probeIPID)
            line.field(#", "reply_ipid":"#, reply.replyIPID)
        } else if reply.address.isIPv6 && reply.flags & 0x02 != 0 {
            line.field(#", "reply_ipid":"#, reply.replyIPID32)
        }
        if reply.isICMP {
            line.field(#", "icmp_type":"#, reply.icmpType)
            line.field(#", "icmp_code":"#, reply.icmpCode)
        } else if reply.isTCP {
            line.field(#", "tcp_flags":"#, reply.tcpFlags)
        }
        if let route = reply.recordRoute {
            line.raw(#", "RR":"#)
            line.array(route) { line, address in line.string(address.description) }
        }
        if let timestamps = reply.timestamps {
            if flags & 0x08 == 0 {
                line.raw(#", "tsandaddr":"#)
                line.array(zip(timestamps.addresses, timestamps.stamps)) { line, stamp in
                    line.field(#"{"ip":"#, string: stamp.0.description)
                    line.field(#","ts":"#, stamp.1)
                    line.raw("}")
                }
            } else {
                line.raw(#", "tsonly":"#)
                line.array(timestamps.stamps) { line, stamp in line.number(stamp) }
            }
        }
        line.raw("}")
    }

    /// `scamper_ping_stats` as scamper 20211212 computes it: a probe counts as answered when any reply came
    /// back (a TTL-expired message too), and every reply's RTT, duplicates included, enters min, max, avg
    /// and stddev.
    func writeStatistics(to line: inout JSONLine) {
        let answered = replies.filter { !$0.isEmpty }.count
        let rtts = replies.flatMap { $0.map(\.rtt.totalMicroseconds) }
        line.field(#""statistics":{"replies":"#, answered)
        if pingSent != 0 {
            line.raw(#", "loss":"#)
            if answered == 0 {
                line.raw("1")
            } else if answered == Int(pingSent) {
                line.raw("0")
            } else {
                let loss = Float(Int(pingSent) - answered) / Float(pingSent)
                line.raw(String(format: "%.2f", loss))
            }
        }
        if answered > 0, let min = rtts.min(), let max = rtts.max() {
            let sum = rtts.reduce(0.0) { $0 + Double($1) }
            let mean = sum / Double(rtts.count)
            let variance = rtts.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(rtts.count)
            func time(_ micros: UInt64) -> Timeval {
                Timeval(seconds: UInt32(micros / 1_000_000), microseconds: UInt32(micros % 1_000_000))
            }
            line.field(#", "min":"#, milliseconds: time(min))
            line.field(#", "max":"#, milliseconds: time(max))
            line.field(#", "avg":"#, milliseconds: time(UInt64(UInt32(truncatingIfNeeded: UInt64(mean)))))
            line.field(#", "stddev":"#, milliseconds: time(UInt64(UInt32(truncatingIfNeeded: UInt64(variance.squareRoot())))))
        }
        line.raw("}")
    }
}
