import Foundation
#if canImport(Glibc)
import Glibc
#endif
import JSONValues
import PladmedTestSupport
import Testing
import Warts

/// New warts files made at test time by Debian's scamper across network namespaces (Tests/Helpers/oracles/warts-oracle.sh):
/// multi-hop traces with a silent hop, unreachable codes, a loop, gap and hop limits, several attempts per hop,
/// IPv6, and pings with TTL-expired replies and loss; each decoded here and by scamper's own tools.
@Suite("Warts decoder against scamper on live namespaces", .enabled(if: LiveNamespaces.available,
    "network namespaces cannot be created here (needs root and iproute2); the live scamper oracle is skipped"))
struct WartsOracleTests {
    @Test("every generated file decodes as sc_warts2json and sc_analysis_dump print it")
    func generated() async throws {
        let folder = TemporaryDirectory()
        let made = try await ChildProcess.run(URL(fileURLWithPath: "/bin/bash"), [Repository.file("Tests/Helpers/oracles/warts-oracle.sh").path, folder.url.path])
        #expect(made.status == 0, "\(String(decoding: made.errors, as: UTF8.self).suffix(2000))")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0.hasSuffix(".warts") }.sorted()
        #expect(names.count == 15)
        var traceLines = 0, stopReasons = Set<String>(), silentHops = false
        for name in names {
            let base = folder.url.appendingPathComponent(String(name.dropLast(6)))
            let data = Array(try Data(contentsOf: folder.url.appendingPathComponent(name)))
            let printed = try String(contentsOf: base.appendingPathExtension("json"), encoding: .utf8).split(separator: "\n").map(String.init)
            let expectedJSON = try printed.map { try JSONValue(parsing: Data($0.utf8)) }
            let file = WartsFile(decoding: data)
            #expect(file.error == nil, "\(name): \(String(describing: file.error))")
            #expect(file.jsonLines() == printed, "\(name)")
            #expect(file.jsonValues() == expectedJSON, "\(name)")
            let dump = try String(contentsOf: base.appendingPathExtension("dump"), encoding: .utf8)
            #expect(ScamperTools.analysisDump([(name, data)]).standardOutput == dump, "\(name)")
            traceLines += dump.split(separator: "\n").filter { $0.hasPrefix("T\t") }.count
            silentHops = silentHops || dump.contains("\tq\t")
            for value in expectedJSON where value["type"] == .string("trace") {
                if let reason = value["stop_reason"]?.string { stopReasons.insert(reason) }
            }
        }
        // The namespaces produced what they were built for.
        #expect(traceLines >= 10)
        #expect(silentHops)
        #expect(stopReasons.isSuperset(of: ["COMPLETED", "UNREACH", "LOOP", "GAPLIMIT", "HOPLIMIT"]), "\(stopReasons)")
    }
}

/// Whether this machine lets the tests build network namespaces, and a quiet process runner.
enum LiveNamespaces {
    static let available: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/scamper") else { return false }
        let name = "plwcheck\(getpid())"
        return run("/usr/sbin/ip", ["netns", "add", name]) == 0 && run("/usr/sbin/ip", ["netns", "del", name]) == 0
    }()

    static func run(_ tool: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
