import Foundation
import JSONValues
import Logging
import PladmedCore

/// A log handler writing one line per message to its ``LogSink``s (standard error, and `LOG_FILE`), formatted once
/// for all of them, in either of `LOG_FORMAT`'s forms:
/// - `text`: swift-log's `StreamLogHandler` layout, `2026-01-15T08:00:00+0000 info pladmed: key=value [Module]
///   message`, the time in UTC, made once a second;
/// - `json`: one object, `{"time", "level", "label", "message", "metadata"}`, the time in ISO 8601 UTC with
///   milliseconds.
public struct LineLogHandler: LogHandler {
    private let label: String
    private let sinks: [LogSink]
    private let format: ServerConfiguration.LogFormat
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info

    /// A handler labelled `label` writing `format` lines to each of `sinks`.
    public init(label: String, sinks: [LogSink], format: ServerConfiguration.LogFormat) {
        self.label = label
        self.sinks = sinks
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let line = switch format {
        case .text: Self.textLine(level: event.level, label: label, source: event.source, message: "\(event.message)", metadata: merged)
        case .json: Self.jsonLine(time: Date(), level: event.level, label: label, message: "\(event.message)", metadata: merged)
        }
        for sink in sinks { sink.write(line, urgent: event.level >= .warning) }
    }

    /// The text line (with its newline) of one message.
    static func textLine(level: Logger.Level, label: String, source: String, message: String, metadata: Logger.Metadata) -> [UInt8] {
        var line = timestamp() + " \(level) \(label):"
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        line += " [\(source)] \(message)\n"
        return Array(line.utf8)
    }

    /// The JSON line (with its newline) of one message.
    static func jsonLine(time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> [UInt8] {
        var object: [String: JSONValue] = [
            "time": .string(timeStyle.format(time)),
            "level": .string(level.rawValue), "label": .string(label), "message": .string(message),
        ]
        if !metadata.isEmpty { object["metadata"] = .object(metadata.mapValues(Self.value)) }
        var bytes = [UInt8]((try? JSONValue.object(object).serialized()) ?? Data("{}".utf8))
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    private static let timeStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
    private static let cachedTimestamp = Mutex<(second: Int, text: String)>((-1, ""))

    /// `%Y-%m-%dT%H:%M:%S+0000` for now, formatted once per second.
    static func timestamp() -> String {
        let now = time(nil)
        return cachedTimestamp.withLock { cached in
            if cached.second != now {
                var parts = tm()
                var seconds = now
                gmtime_r(&seconds, &parts)
                var buffer = [Int8](repeating: 0, count: 32)
                let length = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S+0000", &parts)
                cached = (now, String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            return cached.text
        }
    }

    private static func value(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(Self.value))
        case .dictionary(let values): .object(values.mapValues(Self.value))
        }
    }
}
