import Foundation
import HTTPTypes
import PladmedCore
import SocketIO

/// A probe on our own Socket.IO client, speaking as python-socketio probes do.
final class SwiftProbe: TestProbe {
    private let observations = ObservationQueue()
    private let client = Mutex<SocketIOClient?>(nil)

    func connect(port: Int, token: String?, headers: [String: String]) async throws -> JSONValue? {
        var fields = HTTPFields()
        for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
        let client = SocketIOClient(options: .init(url: "http://127.0.0.1:\(port)", query: token.map { ["token": $0] } ?? [:], headers: fields))
        let observations = self.observations
        for name in ["traceroute", "ping", "dns"] {
            await client.on(name) { arguments, _ in
                observations.append(.object(["event": .string("job"), "name": .string(name), "data": arguments.first?.json ?? .null]))
            }
        }
        self.client.withLock { $0 = client }
        do {
            try await client.connect()
            return .object(["event": .string("connected")])
        } catch SocketIOClient.ConnectError.refused(let data) {
            return .object(["event": .string("connect_error"), "data": data.json ?? .null])
        }
    }

    func next(within seconds: Double) async -> JSONValue? {
        await observations.next(within: seconds)
    }

    func upload(operation: String, path: String, code: String, format: String) async throws -> JSONValue? {
        let content = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        guard let client = client.withLock({ $0 }) else { return nil }
        do {
            let ack = try await client.emitWithAck("results", [.object([
                "operation_id": .string(operation), "content": .binary(content), "unique_code": .string(code), "format": .string(format),
            ])], timeout: .seconds(5))
            return .object(["event": .string("ack"), "data": .array(ack.map { $0.json ?? .null })])
        } catch SocketIOError.ackTimeout {
            return .object(["event": .string("no_ack")])
        }
    }

    func emit(_ event: String, _ data: JSONValue) async throws {
        try await client.withLock({ $0 })?.emit(event, [SocketIOValue(data)])
    }

    func disconnect() async throws -> JSONValue? {
        await client.withLock({ $0 })?.disconnect()
        return .object(["event": .string("disconnected")])
    }
}
