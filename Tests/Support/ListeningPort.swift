import Foundation

extension Pipe {
    /// Reads this pipe (a child's output) until a line matches `pattern`, whose first capture group is the port
    /// the child listens on. With `drain`, the pipe keeps being read afterwards (``FileHandle/readOnThread(_:)``)
    /// so that a chatty child never blocks on it. Throws, naming `child` and what it printed,
    /// when it exits first.
    public func listeningPort(matching pattern: String, child: String, drain: Bool) throws -> Int {
        let expression = try NSRegularExpression(pattern: pattern)
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
            let chunk = fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw Oracle.Failure(description: "\(child) exited before listening: \(buffer)") }
            buffer += String(decoding: chunk, as: UTF8.self)
        }
    }
}
