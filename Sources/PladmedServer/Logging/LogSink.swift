import Foundation
import PladmedCore

/// Where log lines go: standard error or a file. Lines below `warning` are gathered and written every 100 ms, or
/// once 64 KiB wait, so that a busy server pays no system call (and wakes no reader) per request line; a warning or
/// worse is written at once, after what was gathered. ``flush()`` writes what waits (the server calls it as it exits;
/// a process killed outright loses at most the last 100 ms of lines below `warning`).
public final class LogSink: Sendable {
    private let handle: FileHandle
    private let pending = Mutex<[UInt8]>([])
    private let flusher = Mutex(false)

    /// A sink writing to `handle`.
    public init(_ handle: FileHandle) {
        self.handle = handle
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
    public static let standardError = LogSink(FileHandle.standardError)

    /// Queues `line` (with its newline); writes it, and what waits, at once when `urgent` or when 64 KiB wait.
    func write(_ line: [UInt8], urgent: Bool) {
        let waiting = pending.withLock { pending in
            pending += line
            return pending.count
        }
        if urgent || waiting >= 65_536 {
            flush()
        } else {
            startFlusher()
        }
    }

    /// Writes every line that waits.
    public func flush() {
        pending.withLock { pending in
            guard !pending.isEmpty else { return }
            handle.write(Data(pending))
            pending.removeAll(keepingCapacity: true)
        }
    }

    /// One thread per sink writes what waits every 100 ms, from the first gathered line on.
    private func startFlusher() {
        guard flusher.withLock({ started in defer { started = true }; return !started }) else { return }
        let thread = Thread { [self] in
            while true {
                Thread.sleep(forTimeInterval: 0.1)
                flush()
            }
        }
        thread.name = "log flusher"
        thread.start()
    }
}
