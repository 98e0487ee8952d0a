import Foundation
import HummingbirdTesting
import PladmedCore
import PladmedServer
import PladmedStorage
import PladmedTestSupport
import Testing

/// An operation's results on MongoDB are documents of their own, bounded by the disk: past the 16 MiB an operation
/// document could hold, they are stored, streamed back whole and paged, in order.
@Suite("MongoDB: results past 16 MiB")
struct MongoResultsScaleTests {
    @Test("3 MiB results: the sixth and later uploads are stored like the first")
    func largeResults() async throws {
        let store = MongoStore(connection: try MongoConnection(uri: try SecantusServer.shared().uri()))
        try await store.prepare()
        let owner = try await store.createUser(email: "large@example.com", passwordHash: "h", isSuperuser: false)
        let probe = try await store.createProbe(owner: owner.id, location: Location(latitude: 1, longitude: 2))
        _ = try await store.addCredits(10, to: owner.id)
        let operation = try await store.createOperation(NewOperation(
            kind: .ping, owner: owner.id, params: .object([:]), probes: [probe], credits: 10, resultFormat: "text"))
        let large = String(repeating: "x", count: 3 << 20)
        for index in 0..<8 {
            let result = OperationResult(probe: probe.id, content: JSONPayload(.string("\(index) " + large)), uniqueCode: "large-\(index)")
            #expect(try await store.addResult(result, to: operation.id, reward: 1, limit: 8) == .stored, "upload \(index + 1)")
        }
        let page = try #require(try await store.results(of: operation.id, after: nil, limit: 50, maxBytes: 16 << 20))
        #expect(page.count == 5, "a page holds what fits in 16 MiB: \(page.count)")
        let rest = try #require(try await store.results(of: operation.id, after: page.last?.cursor, limit: 50, maxBytes: 16 << 20))
        #expect((page + rest).map(\.result.uniqueCode) == (0..<8).map { "large-\($0)" })
        #expect(try await store.user(id: owner.id)?.credits == 8)
    }

    @Test("100,000 results, more than 64 MiB: stored, uploads still taken, streamed back whole by GET /operation and paged by /operation/results")
    func hundredThousandResults() async throws {
        let database = try SecantusServer.start()
        defer { database.stop() }
        let uri = database.uri()
        let harness = try await ServerHarness(store: .mongo, environment: ["MONGODB_URI": uri])
        let store = harness.store
        let owner = try await store.createUser(email: "scale@example.com", passwordHash: "h", isSuperuser: false)
        let probe = try await store.createProbe(owner: owner.id, location: Location(latitude: 1, longitude: 2))
        _ = try await store.addCredits(100, to: owner.id)
        let operation = try await store.createOperation(NewOperation(
            kind: .traceroute, owner: owner.id,
            params: .object(["ips": .array([.string("8.8.8.8")]), "cron": .string("* * * * *"), "stop_time": .string("01/01/2100 00:00"),
                             "times_per_minute": .int(1)]),
            probes: [probe], credits: 100, resultFormat: "json"))

        // 100,000 results from 1,000 other probes, about 760 bytes each, stored through the store's bulk path.
        let count = 100_000, padding = String(repeating: "p", count: 700)
        let senders = (0..<1_000).map { _ in ObjectID() }
        var imported = try #require(try await store.operation(id: operation.id, includeResults: true))
        imported.results = (0..<count).map { index in
            OperationResult(probe: senders[index % senders.count], content: JSONPayload(.array([.object(["i": .int(index), "pad": .string(padding)])])),
                            uniqueCode: "code-\(index)")
        }
        let mongo = try #require(store as? MongoStore)
        try await mongo.connection.deleteMany("operations", ["_id": .objectID(operation.id)])
        try await store.importRecords(users: [], probes: [], operations: [imported])
        let bytes = try await mongo.connection.command(["collStats": .string("results")])["size"]?.number ?? 0
        #expect(bytes > 64 * 1024 * 1024, "the results take \(bytes) bytes")

        try await harness.run { client in
            // The probe's upload past all of them is taken, rewarded and last.
            let probeClient = SwiftProbe()
            let token = TokenService(secret: "dev").probeToken(for: probe)
            _ = try await probeClient.connect(port: client.port!, token: token, headers: ["total_credits": "100", "in_use_credits": "0"])
            let warts = Repository.file("Fixtures/warts/sample-backend-warts_example.warts").path
            #expect(try await probeClient.upload(operation: operation.id.hex, path: warts, code: "live-1")?["data"] == .array([.string(operation.id.hex)]))
            _ = try await probeClient.disconnect()
            #expect(try await store.user(id: owner.id)?.credits ?? 0 > 0)

            let whole = try await Self.body(port: client.port!, path: "/operation?id=\(operation.id.hex)")
            #expect(whole.count > 64 * 1024 * 1024, "GET /operation: \(whole.count) bytes")
            let object = try #require(try JSONSerialization.jsonObject(with: whole) as? [String: Any])
            let results = try #require(object["results"] as? [[String: Any]])
            #expect(results.count == count + 1)
            let order = results.prefix(count).map { (($0["results"] as? [[String: Any]])?.first?["i"] as? Int) ?? -1 }
            #expect(order == Array(0..<count), "in storage order")
            #expect(results.last?["probe"] as? String == probe.id.hex)

            // Pages from the first, then from a cursor near the end to the last: SecantusDB's planner scans an index
            // from a range's lower bound to the operation's end, so that a page costs it what remains (on MongoDB the
            // index {operation, _id} bounds it), and all 201 pages would take it minutes.
            func pages(from start: String?, count pages: Int) async throws -> (indexes: [Int], next: String?) {
                var cursor = start, indexes: [Int] = []
                for _ in 0..<pages {
                    let query = "/operation/results?id=\(operation.id.hex)&limit=500" + (cursor.map { "&after=\($0)" } ?? "")
                    let page = try #require(try JSONSerialization.jsonObject(with: try await Self.body(port: client.port!, path: query)) as? [String: Any])
                    indexes += (page["results"] as? [[String: Any]] ?? []).map { ($0["results"] as? [[String: Any]])?.first?["i"] as? Int ?? -1 }
                    cursor = page["next"] as? String
                    if cursor == nil { break }
                }
                return (indexes, cursor)
            }
            let head = try await pages(from: nil, count: 3)
            #expect(head.indexes == Array(0..<1_500) && head.next != nil)
            let near = try #require(try await mongo.connection.findOne(
                "results", ["operation": .objectID(operation.id), "unique_code": .string("code-\(count - 1_001)")])?["_id"]?.objectID)
            let tail = try await pages(from: near.hex, count: 10)
            #expect(tail.indexes == Array((count - 1_000)..<count) + [-1] && tail.next == nil, "\(tail.indexes.suffix(3))")
            #expect(try await Self.body(port: client.port!, path: "/operation/results?id=\(operation.id.hex)&after=nonsense", status: 400)
                == Data(#"{"Error":"after must be the next of a previous page"}"#.utf8))
        }
    }

    /// Where the head of an HTTP message ends (its blank line's `\r\n\r\n`).
    static func headEnd(_ bytes: [UInt8]) -> Int? {
        let separator = Array("\r\n\r\n".utf8)
        return (0..<max(0, bytes.count - 3)).first { bytes[$0..<($0 + 4)].elementsEqual(separator) }
    }

    /// The body of a `GET` over a raw socket, its chunks joined: the test client copies a body of many megabytes once
    /// per chunk that arrives.
    static func body(port: Int, path: String, status: Int = 200) async throws -> Data {
        let raw = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[UInt8], any Error>) in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    let fd = try RawSockets.connect(port)
                    defer { close(fd) }
                    // SecantusDB sorts the operation's results before the first batch: seconds, not RawSockets' 5.
                    var timeout = timeval(tv_sec: 120, tv_usec: 0)
                    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                    RawSockets.send(fd, "GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
                    // Until the last chunk, or the body's length when it has one.
                    var bytes: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 1 << 16), expected: Int?
                    let last = Array("\r\n0\r\n\r\n".utf8)
                    while case let count = read(fd, &buffer, buffer.count), count > 0 {
                        bytes += buffer[0..<count]
                        if bytes.count >= last.count, bytes[(bytes.count - last.count)...].elementsEqual(last) { break }
                        if expected == nil, let end = Self.headEnd(bytes) {
                            let head = String(decoding: bytes[0..<end], as: UTF8.self).lowercased()
                            if let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
                               let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) {
                                expected = end + 4 + length
                            }
                        }
                        if let expected, bytes.count >= expected { break }
                    }
                    return bytes
                })
            }
        }
        guard let headEnd = headEnd(raw) else { return Data() }
        let head = String(decoding: raw[0..<headEnd], as: UTF8.self)
        #expect(head.hasPrefix("HTTP/1.1 \(status)"), "\(head)")
        var index = headEnd + 4
        guard head.lowercased().contains("transfer-encoding: chunked") else { return Data(raw[index...]) }
        var body = Data()
        while index < raw.count {
            guard let lineEnd = (index..<raw.count - 1).first(where: { raw[$0] == 13 && raw[$0 + 1] == 10 }),
                  let size = Int(String(decoding: raw[index..<lineEnd], as: UTF8.self), radix: 16), size > 0
            else { break }
            body.append(contentsOf: raw[(lineEnd + 2)..<(lineEnd + 2 + size)])
            index = lineEnd + 2 + size + 2
        }
        return body
    }
}
