import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension Pipe {
    /// Reads this pipe (a child's output) until a line matches `pattern`, whose first capture group is the port
    /// the child listens on. With `drain`, the pipe keeps being read afterwards (``FileHandle/readOnThread(_:)``)
    /// so that a chatty child never blocks on it. Throws, naming `child` and what it printed, when it exits first or
    /// has not said so within `seconds`.
    public func listeningPort(matching pattern: String, child: String, drain: Bool, within seconds: Double = 120) throws -> Int {
        let expression = try NSRegularExpression(pattern: pattern)
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        var buffer = ""
        while true {
            for line in buffer.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
                let text = String(line)
                if let match = expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
                   let range = Range(match.range(at: 1), in: text), let port = Int(text[range]) {
                    if drain { fileHandleForReading.readOnThread() }
                    return port
                }
            }
            let left = deadline - ContinuousClock.now
            var descriptor = pollfd(fd: fileHandleForReading.fileDescriptor, events: Int16(POLLIN), revents: 0)
            let milliseconds = Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)
            guard milliseconds > 0, poll(&descriptor, 1, milliseconds) > 0 else {
                throw Oracle.Failure(description: "\(child) did not say it listens within \(seconds) s: \(buffer)")
            }
            let chunk = fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw Oracle.Failure(description: "\(child) exited before listening: \(buffer)") }
            buffer += String(decoding: chunk, as: UTF8.self)
        }
    }
}
