import Foundation
import Logging
import PladmedCore

/// A log handler appending one line per message to a file (`LOG_FILE`).
public struct FileLogHandler: LogHandler {
    private let label: String
    private let file: SharedFile
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info

    /// A handler writing to the file at `path`, created if missing.
    public static func factory(path: String) throws -> @Sendable (String) -> FileLogHandler {
        let file = try SharedFile(path: path)
        return { label in FileLogHandler(label: label, file: file) }
    }

    init(label: String, file: SharedFile) {
        self.label = label
        self.file = file
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        file.append { timestamp in "\(timestamp) \(event.level) \(label): \(event.message)\(fields.isEmpty ? "" : " " + fields)\n" }
    }

    final class SharedFile: Sendable {
        /// The file and one timestamp formatter, used under one lock.
        private let state: Mutex<(handle: FileHandle, formatter: ISO8601DateFormatter)>

        init(path: String) throws {
            if !FileManager.default.fileExists(atPath: path) {
                guard FileManager.default.createFile(atPath: path, contents: nil) else {
                    throw ConfigurationError("LOG_FILE: cannot create \(path)")
                }
            }
            guard let handle = FileHandle(forWritingAtPath: path) else { throw ConfigurationError("LOG_FILE: cannot open \(path)") }
            handle.seekToEndOfFile()
            self.state = Mutex((handle, ISO8601DateFormatter()))
        }

        /// Appends the line `line` builds from the current timestamp.
        func append(_ line: (String) -> String) {
            state.withLock { state in state.handle.write(Data(line(state.formatter.string(from: Date())).utf8)) }
        }
    }
}
