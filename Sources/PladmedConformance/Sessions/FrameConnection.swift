import Foundation
import Logging
import SocketIO

/// One raw Engine.IO 4 connection acting as a probe: every frame the server sends is handed over as it came,
/// so that a session can hold each one against its expectation. Speaks WebSocket, or HTTP long-polling with
/// an optional upgrade to WebSocket. Heartbeat pings are answered here and never handed over, and so are the
/// NOOP packets (`6`) a server may send on either transport around an upgrade. Sends no `Origin` unless given one.
actor FrameConnection {
    /// A frame as the wire carried it (polling payloads are split into their packets).
    enum Frame: Sendable, Equatable {
        case text(String)
        case binary([UInt8])
    }

    enum Transport: String, Sendable {
        case websocket, polling
    }

    private let target: HTTPTarget
    private let query: [String: String]
    private let headers: [(String, String)]
    private let origin: String?
    private let logger: Logger
    private var inbox: [Frame] = []
    private var waiter: (id: Int, continuation: CheckedContinuation<Frame?, Never>)?
    private var waiterCount = 0
    private var finished = false
    private var webSocket: WebSocketClientConnection?
    private var webSocketTask: Task<Void, Never>?
    /// Waits for `3probe` on the WebSocket during an upgrade.
    private var probeWaiter: CheckedContinuation<Bool, Never>?
    private var pollingTask: Task<Void, Never>?
    private var sid: String?
    /// The transport frames go out on now.
    private(set) var transport: Transport

    init(target: HTTPTarget, transport: Transport, query: [String: String], headers: [(String, String)], origin: String?, logger: Logger) {
        self.target = target
        self.transport = transport
        self.query = query
        self.headers = headers
        self.origin = origin
        self.logger = logger
    }

    private func path(_ transport: Transport, sid: String? = nil) -> String {
        var parameters = query
        parameters["EIO"] = "4"
        parameters["transport"] = transport.rawValue
        if let sid { parameters["sid"] = sid }
        let allowed = CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))
        return "/socket.io/?" + parameters.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.value)" }.joined(separator: "&")
    }

    /// Opens the connection; the server's first frames (the Engine.IO open packet first) arrive through ``next(timeout:)``.
    func open() async throws {
        switch transport {
        case .websocket:
            try await openWebSocket(sid: nil)
        case .polling:
            let answer = try await target.send("GET", path(.polling), headers: headers)
            guard answer.status == 200 else { throw CollectionError("the polling handshake answered \(answer.status): \(answer.text)") }
            let packets = Self.packets(answer.text)
            if case .text(let open)? = packets.first, open.hasPrefix("0"), let payload = try? JSONSerialization.jsonObject(with: Data(open.dropFirst().utf8)),
               let sid = (payload as? [String: Any])?["sid"] as? String {
                self.sid = sid
            }
            for packet in packets { deliver(packet) }
            guard sid != nil else { throw CollectionError("the polling handshake carried no sid: \(answer.text)") }
            pollingTask = Task { await self.poll() }
        }
    }

    private func openWebSocket(sid: String?) async throws {
        let url = "ws://\(target.authority)\(target.prefix)\(path(.websocket, sid: sid))"
        let socket: WebSocketClientConnection
        do {
            socket = try await WebSocketClientConnection.connect(url: url, headers: headers, origin: origin, maxMessageSize: 64 << 20)
        } catch {
            throw CollectionError("the WebSocket to \(url) could not be opened: \(error)")
        }
        webSocket = socket
        let logger = self.logger
        webSocketTask = Task {
            do {
                for try await message in socket.messages {
                    switch message {
                    case .text(let text): await self.received(.text(text))
                    case .binary(let bytes): await self.received(.binary(bytes))
                    }
                }
            } catch {
                logger.debug("conformance probe: WebSocket ended", metadata: ["error": "\(error)"])
            }
            self.webSocketEnded()
        }
    }

    private func webSocketEnded() {
        webSocket = nil
        answerProbe(false)
        if transport == .websocket { finish() }
    }

    /// Frames from the WebSocket: pings and noops answered or dropped here, `3probe` handed to an upgrade in
    /// progress, everything else handed over.
    private func received(_ frame: Frame) async {
        switch frame {
        case .text("3probe") where probeWaiter != nil:
            answerProbe(true)
        case .text("6"):
            break
        case .text(let text) where text.hasPrefix("2") && text != "2probe":
            try? await send(.text("3" + text.dropFirst()))
        default:
            deliver(frame)
        }
    }

    private func answerProbe(_ answered: Bool) {
        probeWaiter?.resume(returning: answered)
        probeWaiter = nil
    }

    /// The long-polling loop: GET until the session ends or moves to WebSocket.
    private func poll() async {
        while transport == .polling, !finished, let sid {
            do {
                let answer = try await target.send("GET", path(.polling, sid: sid), headers: headers)
                guard answer.status == 200 else { break }
                for packet in Self.packets(answer.text) {
                    switch packet {
                    case .text(let text) where text.hasPrefix("2"):
                        _ = try? await target.send("POST", path(.polling, sid: sid), headers: headers, body: Data(("3" + text.dropFirst()).utf8))
                    case .text("6"):
                        break
                    case .text(let text) where text.hasPrefix("1"):
                        deliver(packet)
                        finish()
                    default:
                        deliver(packet)
                    }
                }
            } catch {
                break
            }
        }
        if transport == .polling { finish() }
    }

    /// The packets of a polling payload (`\u{1e}`-separated; `b` + base64 for binary).
    static func packets(_ payload: String) -> [Frame] {
        payload.split(separator: "\u{1e}", omittingEmptySubsequences: true).map { packet in
            if packet.hasPrefix("b"), let bytes = Data(base64Encoded: String(packet.dropFirst())) { return .binary(Array(bytes)) }
            return .text(String(packet))
        }
    }

    /// Moves a polling session to WebSocket: `2probe`, `3probe`, `5`.
    func upgrade(timeout: Duration) async throws {
        guard transport == .polling, let sid else { throw CollectionError("only a polling connection can be upgraded") }
        try await openWebSocket(sid: sid)
        let timer = Task {
            try? await Task.sleep(for: timeout)
            self.answerProbe(false)
        }
        defer { timer.cancel() }
        let answered = await withCheckedContinuation { continuation in
            probeWaiter = continuation
            Task { try? await self.webSocket?.send(text: "2probe") }
        }
        guard answered else { throw CollectionError("the server did not answer 2probe with 3probe") }
        transport = .websocket
        try await webSocket?.send(text: "5")
    }

    /// Sends a frame on the current transport.
    func send(_ frame: Frame) async throws {
        switch transport {
        case .websocket:
            guard let webSocket else { throw CollectionError("the connection is closed") }
            switch frame {
            case .text(let text): try await webSocket.send(text: text)
            case .binary(let bytes): try await webSocket.send(binary: bytes)
            }
        case .polling:
            guard let sid, !finished else { throw CollectionError("the connection is closed") }
            let body: String
            switch frame {
            case .text(let text): body = text
            case .binary(let bytes): body = "b" + Data(bytes).base64EncodedString()
            }
            let answer = try await target.send("POST", path(.polling, sid: sid), headers: headers, body: Data(body.utf8))
            guard answer.status == 200 else { throw CollectionError("a polling POST answered \(answer.status): \(answer.text)") }
        }
    }

    private func deliver(_ frame: Frame) {
        if let waiter {
            self.waiter = nil
            waiter.continuation.resume(returning: frame)
        } else {
            inbox.append(frame)
        }
    }

    private func finish() {
        finished = true
        if let waiter {
            self.waiter = nil
            waiter.continuation.resume(returning: nil)
        }
    }

    /// The next frame from the server, or `nil` once the connection closed or after `timeout` with nothing.
    /// ``isClosed`` tells the two apart.
    func next(timeout: Duration) async -> Frame? {
        if !inbox.isEmpty { return inbox.removeFirst() }
        if finished { return nil }
        waiterCount += 1
        let id = waiterCount
        let timer = Task {
            try? await Task.sleep(for: timeout)
            self.expire(id)
        }
        defer { timer.cancel() }
        return await withCheckedContinuation { continuation in
            waiter = (id, continuation)
        }
    }

    private func expire(_ id: Int) {
        guard let waiter, waiter.id == id else { return }
        self.waiter = nil
        waiter.continuation.resume(returning: nil)
    }

    /// Whether the server ended the connection.
    var isClosed: Bool { finished }

    /// Closes the connection from this side (on polling with an Engine.IO CLOSE, which also ends the pending GET).
    func close() async {
        if transport == .polling, !finished, let sid {
            _ = try? await target.send("POST", path(.polling, sid: sid), headers: headers, body: Data("1".utf8))
        }
        await webSocket?.close()
        finished = true
        pollingTask?.cancel()
        webSocketTask?.cancel()
    }
}
