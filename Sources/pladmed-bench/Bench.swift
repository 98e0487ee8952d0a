import ArgumentParser
import Foundation
import Warts

#if canImport(Glibc)
import Glibc
#endif

/// Benchmarks (`make bench-*`): figures for the notes, never pass/fail tests.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pladmed-bench", abstract: "Performance figures for pladmed.", subcommands: [
            WartsBench.self, IngestBench.self, HTTPBench.self, DispatchBench.self, CompareBench.self, ClusterBench.self, SocketIOBench.self,
            SocketIOBenchServer.self,
        ])
}

/// `pladmed-bench warts DIR`: results per second decoding the warts fixtures in-process (to the JSON text a result
/// stores, and to dump text) against spawning `sc_warts2json` once per file, as the original backend did.
struct WartsBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "warts", abstract: "In-process decoding vs sc_warts2json.")

    @Argument(help: "Folder of .warts files.")
    var folder: String = "Fixtures/warts"

    @Option(help: "Seconds to run each measurement.")
    var seconds: Double = 3

    @Option(help: "The scamper tool to spawn.")
    var tool: String = "/usr/bin/sc_warts2json"

    func run() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".warts") }.sorted()
        let files = try names.map { Array(try Data(contentsOf: URL(fileURLWithPath: folder).appendingPathComponent($0))) }
            .filter { !$0.isEmpty }
        let bytes = files.reduce(0) { $0 + $1.count }
        print("\(files.count) files, \(bytes) bytes")

        let json = measure { for file in files { _ = WartsFile(decoding: file).jsonArrayText() } }
        report("in-process json", rounds: json, files: files.count, bytes: bytes)
        let dump = measure { for file in files { _ = WartsFile(decoding: file).analysisDump() } }
        report("in-process dump", rounds: dump, files: files.count, bytes: bytes)

        guard FileManager.default.isExecutableFile(atPath: tool) else {
            print("\(tool) not installed: no spawn comparison")
            return
        }
        let paths = names.map { URL(fileURLWithPath: folder).appendingPathComponent($0).path }
        // posix_spawn, as a shell or Python's subprocess would; Foundation's Process costs ~50 ms more per
        // child here (it walks every possible file descriptor), which would flatter the comparison.
        let spawned = measure {
            for path in paths { spawn(tool, [path]) }
        }
        report("spawn sc_warts2json", rounds: spawned, files: paths.count, bytes: bytes)
        let ratio = (json.count / json.seconds) / (spawned.count / spawned.seconds)
        print(String(format: "in-process json is %.0fx the results/s of spawning sc_warts2json per file", ratio))
    }

    /// Runs `tool` with `arguments`, output to /dev/null, and waits for it.
    func spawn(_ tool: String, _ arguments: [String]) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([tool] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        guard posix_spawn(&pid, tool, &actions, nil, argv, environ) == 0 else { return }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    func measure(_ body: () -> Void) -> (count: Double, seconds: Double) {
        let clock = ContinuousClock()
        let start = clock.now
        var rounds = 0.0
        repeat {
            body()
            rounds += 1
        } while (clock.now - start) < .milliseconds(Int(seconds * 1000))
        let elapsed = clock.now - start
        return (rounds, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    func report(_ label: String, rounds: (count: Double, seconds: Double), files: Int, bytes: Int) {
        let perSecond = rounds.count * Double(files) / rounds.seconds
        let megabytes = rounds.count * Double(bytes) / rounds.seconds / 1_000_000
        print(String(format: "%-22@ %10.0f results/s  %8.2f MB/s  (%.0f µs per file)", label as NSString,
                     perSecond, megabytes, 1e6 / perSecond))
    }
}

/// `duration` in seconds.
func inSeconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// The resident set size of process `pid` (VmRSS, from /proc), in KiB; 0 when it cannot be read.
func residentKiB(of pid: Int32) -> Int {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
}
