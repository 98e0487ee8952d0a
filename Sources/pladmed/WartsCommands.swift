import ArgumentParser
import Foundation
import Warts

/// Reads the named files, or standard input when there are none.
private func readInputs(_ files: [String]) throws -> [(name: String, data: [UInt8])] {
    if files.isEmpty {
        return [("-", Array(FileHandle.standardInput.readDataToEndOfFile()))]
    }
    return try files.map { path in
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read \(path)")
        }
        return (path, Array(data))
    }
}

private func emit(_ output: ScamperTools.Output) throws {
    FileHandle.standardOutput.write(Data(output.standardOutput.utf8))
    FileHandle.standardError.write(Data(output.standardError.utf8))
    if output.status != 0 { throw ExitCode(output.status) }
}

/// `pladmed warts2json`: a drop-in for scamper's `sc_warts2json`.
struct Warts2JSON: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warts2json",
        abstract: "Print warts files as JSON, one object per line, like scamper's sc_warts2json.",
        discussion: "Reads standard input when no file is given. ftime fields use the TZ time zone (UTC when unset).")

    @Argument(help: "Warts files to convert.")
    var files: [String] = []

    func run() throws {
        let zone = ProcessInfo.processInfo.environment["TZ"].flatMap { TimeZone(identifier: $0) } ?? TimeZone(identifier: "UTC")!
        try emit(ScamperTools.warts2json(try readInputs(files), timeZone: zone))
    }
}

/// `pladmed warts2dump`: a drop-in for scamper's `sc_analysis_dump`.
struct Warts2Dump: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warts2dump",
        abstract: "Print the traces of warts files as text, like scamper's sc_analysis_dump.",
        discussion: "Reads standard input when no file is given.")

    @Argument(help: "Warts files to convert.")
    var files: [String] = []

    func run() throws {
        try emit(ScamperTools.analysisDump(try readInputs(files)))
    }
}
