import Foundation
import JSONValues
import Logging
import PladmedCore

/// A log handler writing one JSON object per line (`LOG_FORMAT=json`):
/// `{"time", "level", "label", "message", "metadata"}`, the time in ISO 8601 UTC with milliseconds, to a ``LogSink``.
public struct JSONLogHandler: LogHandler {
    private let label: String
    private let sink: LogSink
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info

    /// A handler labelled `label` writing to `sink`.
    public init(label: String, sink: LogSink) {
        self.label = label
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        sink.write(
            Self.line(time: Date(), level: event.level, label: label, message: "\(event.message)", metadata: merged),
            urgent: event.level >= .warning)
    }

    private static let timeStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// The JSON line (with its newline) of one message.
    static func line(time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> [UInt8] {
        var object: [String: JSONValue] = [
            "time": .string(timeStyle.format(time)),
            "level": .string(level.rawValue), "label": .string(label), "message": .string(message),
        ]
        if !metadata.isEmpty { object["metadata"] = .object(metadata.mapValues(Self.value)) }
        var bytes = [UInt8]((try? JSONValue.object(object).serialized()) ?? Data("{}".utf8))
        bytes.append(UInt8(ascii: "\n"))
        return bytes
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
