import Foundation
import Logging
import PladmedCore

/// A log handler writing swift-log's `StreamLogHandler` lines (`2026-01-15T08:00:00+0000 info pladmed: key=value
/// [Module] message`, the time in UTC) to a ``LogSink``, with the timestamp made once a second.
public struct TextLogHandler: LogHandler {
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
        var line = Self.timestamp() + " \(event.level) \(label):"
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        line += " [\(event.source)] \(event.message)\n"
        sink.write(Array(line.utf8), urgent: event.level >= .warning)
    }

    private static let cached = Mutex<(second: Int, text: String)>((-1, ""))

    /// `%Y-%m-%dT%H:%M:%S+0000` for now, formatted once per second.
    static func timestamp() -> String {
        let now = time(nil)
        return cached.withLock { cached in
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
}
