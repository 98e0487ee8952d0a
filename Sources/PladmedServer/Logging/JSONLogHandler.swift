import Foundation
import JSONValues
import Logging
import PladmedCore

/// A log handler writing one JSON object per line (`LOG_FORMAT=json`):
/// `{"time", "level", "label", "message", "metadata"}`, the time in ISO 8601 UTC with milliseconds.
public struct JSONLogHandler: LogHandler {
    /// Where lines go: standard error or a file, written whole under one lock.
    public final class Sink: Sendable {
        private let handle: Mutex<FileHandle>

        /// A sink writing to `handle`.
        public init(_ handle: FileHandle) {
            self.handle = Mutex(handle)
        }

        /// A sink appending to the file at `path`, created if missing (`LOG_FILE`).
        public convenience init(appendingTo path: String) throws {
            if !FileManager.default.fileExists(atPath: path) && !FileManager.default.createFile(atPath: path, contents: nil) {
                throw ConfigurationError("LOG_FILE: cannot create \(path)")
            }
            guard let handle = FileHandle(forWritingAtPath: path) else { throw ConfigurationError("LOG_FILE: cannot open \(path)") }
            handle.seekToEndOfFile()
            self.init(handle)
        }

        /// Standard error.
        public static let standardError = Sink(FileHandle.standardError)

        func write(_ line: [UInt8]) {
            handle.withLock { $0.write(Data(line)) }
        }
    }

    private let label: String
    private let sink: Sink
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info

    /// A handler labelled `label` writing to `sink`.
    public init(label: String, sink: Sink) {
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
        sink.write(Self.line(
            time: Date(), level: event.level, label: label, message: "\(event.message)", metadata: merged))
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
