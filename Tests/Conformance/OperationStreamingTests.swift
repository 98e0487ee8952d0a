import Foundation
import PladmedCore
import PladmedStorage
import PladmedTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `GET /operation?id=` streams: a `pladmed serve` process answers a 300 MB operation (75 results of 4 MiB, each at
/// the bound of one stored result) with its resident memory rising by at most 64 MB, and the answer carries every
/// result. `GET /operation/results` pages through the same results.
@Suite("Streaming a large operation")
struct OperationStreamingTests {
    static let results = 75
    static let resultBytes = 4 << 20

    @Test("a 300 MB operation is answered whole while the server's memory rises by at most 64 MB")
    func streamsInBoundedMemory() async throws {
        let folder = TemporaryDirectory()
        let path = folder.path("big.sqlite")
        let operationID: ObjectID
        do {
            let (store, owner, probe) = try await Self.seed(path)
            let operation = try await store.createOperation(NewOperation(
                kind: .dns, owner: owner.id, params: .object(["fqdns": .array([.string("example.com")])]), probes: [probe],
                credits: 100, resultFormat: "text"))
            let text = String(repeating: "x", count: Self.resultBytes - 2)
            for index in 0..<Self.results {
                let result = OperationResult(probe: probe.id, content: JSONPayload(.string(text)), uniqueCode: "code-\(index)")
                #expect(try await store.addResult(result, to: operation.id, reward: 0, limit: Self.results) == .stored)
            }
            operationID = operation.id
        }
        let server = try CrashTests.ServerProcess(environment: ["DATABASE": "sqlite", "PLADMED_SQLITE_PATH": path])
        defer { server.kill() }
        let (answer, rise, before) = try await Self.peakRise(of: server) {
            try await Self.download(port: server.port, path: "/operation?id=\(operationID.hex)")
        }
        #expect(answer.results == Self.results, "results in the answer")
        #expect(answer.bytes > Self.results * (Self.resultBytes - 16))
        #expect(rise <= 64 << 20, "resident memory rose by \(rise >> 20) MiB while answering \(answer.bytes >> 20) MiB")
        print("/operation: streamed \(answer.bytes >> 20) MiB; server RSS \(before >> 20) MiB before, peak rise \(rise >> 20) MiB")
        // Every spelling the router takes reaches the one streamed answer (a trailing or doubled slash once reached a
        // second implementation that built the answer in memory: 1 GB for one request of 246 MB). The first 25
        // results (100 MiB) make the point: the answer stops there.
        for spelling in ["/operation/", "//operation"] {
            let (part, rise, before) = try await Self.peakRise(of: server) {
                try await Self.download(port: server.port, path: spelling + "?id=\(operationID.hex)", results: 25)
            }
            #expect(part.results >= 25, "results in the answer to \(spelling)")
            #expect(rise <= 64 << 20, "resident memory rose by \(rise >> 20) MiB while answering \(part.bytes >> 20) MiB to \(spelling)")
            print("\(spelling): streamed \(part.bytes >> 20) MiB; server RSS \(before >> 20) MiB before, peak rise \(rise >> 20) MiB")
        }
    }

    @Test("GET /operations of 150 operations with the largest parameters allowed rises the server's memory by at most 32 MB")
    func listsInBoundedMemory() async throws {
        let folder = TemporaryDirectory()
        let path = folder.path("many.sqlite")
        let token: String
        do {
            let (store, owner, probe) = try await Self.seed(path)
            // 64 KiB of parameters each (PLADMED_MAX_PARAMS_BYTES), as the audit's 1 MB each would now be refused.
            let filler = String(repeating: "p", count: (64 << 10) - 200)
            for _ in 0..<150 {
                _ = try await store.createOperation(NewOperation(
                    kind: .dns, owner: owner.id, params: .object(["fqdns": .array([.string("example.com")]), "x": .string(filler)]),
                    probes: [probe], credits: 1, resultFormat: "text"))
            }
            token = TokenService(secret: "dev").userToken(for: owner)
        }
        let server = try CrashTests.ServerProcess(environment: ["DATABASE": "sqlite", "PLADMED_SQLITE_PATH": path, "SECRET_KEY": "dev"])
        defer { server.kill() }
        for route in ["/operations", "/operations/me"] {
            let (answer, rise, before) = try await Self.peakRise(of: server) {
                try await Self.download(port: server.port, path: route, headers: "access_token: \(token)\r\n")
            }
            #expect(answer.bytes > 150 * (64 << 10) - 150 * 256, "\(route): \(answer.bytes) bytes")
            #expect(rise <= 32 << 20, "resident memory rose by \(rise >> 20) MiB while answering \(answer.bytes >> 20) MiB to \(route)")
            print("\(route): streamed \(answer.bytes >> 20) MiB; server RSS \(before >> 20) MiB before, peak rise \(rise >> 20) MiB")
        }
    }

    /// A store at `path` with an account holding 1,000 credits and a probe of theirs.
    static func seed(_ path: String) async throws -> (SQLiteStore, User, Probe) {
        let store = try SQLiteStore(path: path)
        let owner = try await store.createUser(email: "big@example.com", passwordHash: "h", isSuperuser: false)
        let probe = try await store.createProbe(owner: owner.id, location: Location(latitude: 1, longitude: 2))
        _ = try await store.addCredits(1000, to: owner.id)
        return (store, owner, probe)
    }

    /// Runs `body` while sampling `server`'s resident memory every 2 ms; what `body` returned, the peak rise, and the
    /// memory before.
    static func peakRise<T>(of server: CrashTests.ServerProcess, _ body: () async throws -> T) async throws -> (T, Int, Int) {
        let pid = server.process.processIdentifier
        let before = try #require(Self.residentBytes(pid))
        let peak = Mutex(before)
        let sampling = Mutex(true)
        let sampler = Thread {
            while sampling.withLock({ $0 }) {
                if let now = Self.residentBytes(pid) { peak.withLock { $0 = max($0, now) } }
                usleep(2000)
            }
        }
        sampler.start()
        let value = try await body()
        sampling.withLock { $0 = false }
        return (value, peak.withLock { $0 } - before, before)
    }

    /// VmRSS of `pid`, from /proc.
    static func residentBytes(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        else { return nil }
        return kib * 1024
    }

    /// Reads a whole answer over a raw socket on a Dispatch thread, keeping only counts: the bytes, and how many
    /// results (`{"probe":`) it carries.
    /// With `results`, stops reading once that many have arrived (closing the connection).
    static func download(port: Int, path: String, headers: String = "", results: Int = .max) async throws -> (bytes: Int, results: Int) {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    let fd = try RawSockets.connect(port)
                    defer { close(fd) }
                    RawSockets.send(fd, "GET \(path) HTTP/1.1\r\nHost: x\r\n\(headers)Connection: close\r\n\r\n")
                    let marker = Array(#"{"probe":"#.utf8)
                    var buffer = [UInt8](repeating: 0, count: 1 << 16)
                    var total = 0, found = 0, matched = 0
                    while found < results {
                        let count = read(fd, &buffer, buffer.count)
                        if count <= 0 { break }
                        total += count
                        for byte in buffer[0..<count] {
                            matched = byte == marker[matched] ? matched + 1 : (byte == marker[0] ? 1 : 0)
                            if matched == marker.count { found += 1; matched = 0 }
                        }
                    }
                    return (total, found)
                })
            }
        }
    }
}
