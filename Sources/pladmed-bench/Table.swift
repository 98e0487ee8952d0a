import Foundation

/// The benchmark's printed tables and JSON reports.
enum Table {
    static func http(_ figures: [Scenarios.HTTPFigure]) -> String {
        var lines = ["| target | path | connections | requests/s | p50 ms | p99 ms | errors |", "|---|---|---|---|---|---|---|"]
        for figure in figures {
            lines.append(String(
                format: "| %@ | %@ | %d | %.0f | %.3f | %.3f | %d |", figure.target, figure.path, figure.connections, figure.requestsPerSecond,
                figure.p50Milliseconds, figure.p99Milliseconds, figure.errors))
        }
        return lines.joined(separator: "\n")
    }

    /// Writes `value` as pretty JSON to `path`.
    static func write(_ value: some Encodable, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(value).write(to: URL(fileURLWithPath: path))
    }
}
