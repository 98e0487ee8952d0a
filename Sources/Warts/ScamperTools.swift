import Foundation
import JSONValues

/// Drop-in equivalents of scamper's `sc_warts2json` and `sc_analysis_dump` over named inputs: what they
/// print on standard output and standard error, and their exit status.
public enum ScamperTools {
    /// What a tool run produced.
    public struct Output: Sendable, Equatable {
        public var standardOutput: String
        public var standardError: String
        public var status: Int32
    }

    /// An input the tools cannot open: empty, or not starting with the warts magic number.
    static func isUnopenable(_ data: [UInt8]) -> Bool {
        data.count < 2 || data[0] != 0x12 || data[1] != 0x05
    }

    /// `sc_warts2json FILE...`: one JSON object per line, byte for byte as scamper 20211212 prints it; a file
    /// that cannot be opened ends the run with status 255.
    public static func warts2json(_ inputs: [(name: String, data: [UInt8])], timeZone: TimeZone = TimeZone(identifier: "UTC")!) -> Output {
        var output = Output(standardOutput: "", standardError: "", status: 0)
        for input in inputs {
            guard !isUnopenable(input.data) else {
                output.standardError += "could not open \(input.name): Success\n"
                output.status = 255
                return output
            }
            let file = WartsFile(decoding: input.data)
            for line in file.jsonLines(timeZone: timeZone) { output.standardOutput += line + "\n" }
            if let error = file.error { output.standardError += "\(input.name): \(error)\n" }
        }
        return output
    }

    /// `sc_analysis_dump FILE...`: the comment header, then every trace of every file; a file that cannot be
    /// opened is reported in a comment line and skipped.
    public static func analysisDump(_ inputs: [(name: String, data: [UInt8])]) -> Output {
        var output = Output(standardOutput: AnalysisDumpHeader.text, standardError: "", status: 0)
        for input in inputs {
            guard !isUnopenable(input.data) else {
                output.standardError += "unable to open \(input.name)\n"
                output.standardOutput += "# unable to open \(input.name)\n"
                continue
            }
            let file = WartsFile(decoding: input.data)
            output.standardOutput += file.traceLines()
            if let error = file.error { output.standardError += "\(input.name): \(error)\n" }
        }
        return output
    }
}
