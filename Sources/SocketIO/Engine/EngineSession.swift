import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore

/// One Engine.IO 4 session, over HTTP long-polling (possibly upgraded to a WebSocket) or over a WebSocket from
/// the start: the open packet, heartbeats, message packets in both directions, the upgrade, and the per-session
/// limits. Messages go to the session's ``EngineSessionHandler``. Any protocol violation closes the session;
/// the server goes on serving everyone else.
public actor EngineSession {
    /// How packets currently travel.
    private enum Transport {
        case polling
        /// The writer, and the channel under it (whose event loop carries out the writer's writes in order).
        case websocket(WebSocketOutboundWriter, any Channel)
    }

    /// The session id (`sid`).
    public nonisolated let id: String
    /// What the client presented when it opened the session.
    public nonisolated let handshake: Handshake
    private let server: EngineIOServer
    private let logger: Logger
    private var handler: (any EngineSessionHandler)?

    private var transport: Transport
    private var closed = false
    private var finished = false
    private var heartbeat: Task<Void, Never>?
    /// When the last ping went out unanswered; a request that finds its timeout passed closes the session even
    /// if the heartbeat task has not woken up yet.
    private var unansweredPingSince: ContinuousClock.Instant?

    // Polling: packets waiting for the next GET, the GET waiting for packets (released with `nil` for a 400),
    // a POST being read.
    private var outbox: [EngineFrame] = []
    private var poller: CheckedContinuation<[EngineFrame]?, Never>?
    private var pollerGeneration = 0
    private var flushScheduled = false
    private var posting = false
    private var upgrading = false
    /// WebSockets that asked to take this session over and have not sent their probe yet: the one that probes
    /// first upgrades the session, and the others are closed once it has.
    private var candidates: [Int: WebSocketOutboundWriter] = [:]
    private var nextCandidate = 0
    /// Bytes queued for the client and not yet handed to the network (the buffered-bytes cap applies to it).
    private var bufferedBytes = 0
    /// The client closed a polling session with no GET pending: the GET it may have sent alongside still gets
    /// its noop (as when the GET is pending), once, within `pingTimeout`.
    private var noopOwed = false

    /// A session on a WebSocket (`writer` on `channel`), or on HTTP long-polling when `webSocket` is `nil`.
    init(server: EngineIOServer, handshake: Handshake, webSocket: (writer: WebSocketOutboundWriter, channel: any Channel)?) {
        self.server = server
        self.handshake = handshake
        self.transport = webSocket.map { Transport.websocket($0.writer, $0.channel) } ?? .polling
        self.id = server.configuration.sessionIDPrefix + Self.makeID()
        var logger = server.logger
        logger[metadataKey: "sid"] = "\(id)"
        self.logger = logger
    }

    static func makeID() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        return String((0..<20).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }

    /// Whether the session has ended.
    public var isClosed: Bool { closed }

    /// Sends a message packet.
    public func send(_ message: EngineMessage) async {
        switch message {
        case .text(let text): await write(.text("4" + text))
        case .binary(let bytes): await write(.binary(bytes))
        }
    }

    /// Returns once what was sent so far has been handed to the network (on a WebSocket: the channel's event loop
    /// has carried out the writes queued before it), so that what is sent next travels in a later write. The
    /// reference server writes a packet only once the previous one has drained; a client that reads one message
    /// per event (the official suite's) needs the CONNECT answer apart from the events that follow it.
    public func flush() async {
        guard case .websocket(_, let channel) = transport else { return }
        try? await channel.eventLoop.submit {}.get()
    }

    /// Ends the session from the server's side: a WebSocket is closed; a pending GET receives what is queued and
    /// a close packet.
    public func close(reason: String) async {
        await close(reason: reason, lastFrame: .text("1"))
    }

    /// Ends the session because the server stops, so that the client reconnects: a WebSocket is closed with 1001
    /// (going away) and `reason`; a pending polling GET receives what is queued (or a noop), and the session is
    /// forgotten, so the client's next request finds it gone. No Engine.IO close packet is sent: a client takes that
    /// for a deliberate disconnect and does not reconnect.
    public func goAway(reason: String) async {
        guard !closed else { return }
        closed = true
        logger.info("Engine.IO session closed", metadata: ["reason": "\(reason)"])
        switch transport {
        case .polling:
            let queued = takeOutbox()
            releasePoller(with: queued.isEmpty ? [.text("6")] : queued)
        case .websocket(let writer, _): try? await writer.close(.goingAway, reason: reason)
        }
        await finish(reason: reason)
    }

    /// Opens a polling session: the open packet its handshake GET answers.
    func openPolling() async -> EngineFrame {
        let packet = open()
        await handler?.opened()
        return packet
    }

    /// The open packet (the handler is created and the heartbeat started first).
    private func open() -> EngineFrame {
        handler = server.makeHandler(self)
        let configuration = server.configuration
        let upgrades: [SocketIOValue] = if case .polling = transport { [.string("websocket")] } else { [] }
        let packet = SocketIOValue.object([
            "sid": .string(id), "upgrades": .array(upgrades),
            "pingInterval": .int(configuration.pingInterval.milliseconds),
            "pingTimeout": .int(configuration.pingTimeout.milliseconds),
            "maxPayload": .int(configuration.maxPayload),
        ])
        startHeartbeat()
        return .text("0" + packet.jsonText)
    }

    // MARK: WebSocket

    /// Serves a session that began on a WebSocket until either side closes it.
    func run(_ inbound: WebSocketInboundStream) async {
        await write(open())
        await handler?.opened()
        var frames = inbound.messages(maxSize: server.configuration.maxPayload).makeAsyncIterator()
        await serve(&frames)
        await finish(reason: "transport close")
    }

    /// Takes over a polling session with a WebSocket: answers `2probe` with `3probe`, releases the pending GET
    /// with a noop, and switches transports on `5`. The first WebSocket to probe claims the upgrade; any other is
    /// closed once the upgrade has ended (so that the client hears `3probe` first), and a WebSocket that ends
    /// before `5` leaves the session on polling.
    func upgrade(_ inbound: WebSocketInboundStream, writer: WebSocketOutboundWriter, channel: any Channel) async {
        guard case .polling = transport, !closed else {
            try? await writer.close(.policyViolation, reason: "cannot upgrade this session")
            return
        }
        let candidate = nextCandidate
        nextCandidate += 1
        candidates[candidate] = writer
        var frames = inbound.messages(maxSize: server.configuration.maxPayload).makeAsyncIterator()
        var claimed = false, upgraded = false
        do {
            probing: while let message = try await frames.next(isolation: self) {
                guard case .text(let text) = message, case .polling = transport, !closed else { break }
                switch text {
                case "2probe" where claimed || !upgrading:
                    claimed = true
                    upgrading = true
                    try await writer.write(.text("3probe"))
                    releasePoller(with: [.text("6")])
                case "5" where claimed:
                    upgraded = true
                    break probing
                default:
                    break probing
                }
            }
        } catch {
            logger.debug("upgrade abandoned", metadata: ["error": "\(error)"])
        }
        candidates[candidate] = nil
        if claimed { upgrading = false }
        guard upgraded, !closed else {
            if claimed { releasePoller(with: [.text("6")]) }
            try? await writer.close(.policyViolation, reason: "cannot upgrade this session")
            return
        }
        transport = .websocket(writer, channel)
        for (_, other) in candidates { try? await other.close(.policyViolation, reason: "the session was upgraded") }
        candidates = [:]
        // A GET held during the upgrade came after the client moved on: it is refused, as polling is over.
        releasePoller(with: nil)
        let queued = outbox
        outbox = []
        bufferedBytes = 0
        for frame in queued { await write(frame) }
        logger.debug("upgraded to websocket")
        await serve(&frames)
        await finish(reason: "transport close")
    }

    private func serve(_ frames: inout WebSocketInboundMessageStream.AsyncIterator) async {
        do {
            while let message = try await frames.next(isolation: self) {
                guard !closed else { break }
                switch message {
                case .text(let text): try await receive(text: text)
                case .binary(let buffer): await handler?.received(.binary(Array(buffer.readableBytesView)))
                }
            }
        } catch let error as SocketIOProtocolError {
            logger.info("closing Engine.IO session", metadata: ["reason": "\(error)"])
            await close(reason: "parse error")
        } catch {
            logger.debug("Engine.IO transport ended", metadata: ["error": "\(error)"])
        }
    }

    // MARK: polling

    /// Answers a polling GET: the queued packets, or those that arrive next; `nil` for a 400. A second GET
    /// while one is pending closes the session. A GET during an upgrade is held until the upgrade ends (then
    /// refused, as the session moved to the WebSocket) or for 100 ms (then answered with a noop), as the
    /// reference server's upgrade check does.
    func poll() async -> [EngineFrame]? {
        if noopOwed {
            noopOwed = false
            server.forget(self)
            return [.text("6")]
        }
        guard await isAlive(), case .polling = transport else { return nil }
        guard poller == nil else {
            logger.info("closing Engine.IO session", metadata: ["reason": "overlapping polling GET"])
            await close(reason: "transport error", lastFrame: .text("1"))
            return nil
        }
        if !outbox.isEmpty { return takeOutbox() }
        let generation = pollerGeneration + 1
        pollerGeneration = generation
        if upgrading {
            Task {
                try? await Task.sleep(for: .milliseconds(100))
                self.releaseHeldPoller(generation)
            }
        }
        return await withCheckedContinuation { poller = $0 }
    }

    private func releaseHeldPoller(_ generation: Int) {
        guard generation == pollerGeneration, upgrading else { return }
        releasePoller(with: [.text("6")])
    }

    /// Reads a polling POST's packets (joined with the record separator, binary ones as `b<base64>`); `false`
    /// for a 400. A second POST while one is read, or an invalid packet, closes the session.
    func post(_ body: ByteBuffer) async -> Bool {
        guard await isAlive(), case .polling = transport else { return false }
        guard !posting else {
            logger.info("closing Engine.IO session", metadata: ["reason": "overlapping polling POST"])
            await close(reason: "transport error", lastFrame: .text("1"))
            return false
        }
        posting = true
        defer { posting = false }
        do {
            for part in body.readableBytesView.split(separator: 0x1E, omittingEmptySubsequences: false) {
                if part.first == UInt8(ascii: "b") {
                    guard let bytes = Data(base64Encoded: Data(part.dropFirst())) else {
                        throw SocketIOProtocolError("invalid base64 in a binary packet")
                    }
                    await handler?.received(.binary(Array(bytes)))
                } else {
                    guard let text = String(validating: part, as: UTF8.self) else { throw SocketIOProtocolError("invalid UTF-8") }
                    try await receive(text: text)
                }
            }
            return true
        } catch {
            logger.info("closing Engine.IO session", metadata: ["reason": "\(error)"])
            await close(reason: "parse error", lastFrame: .text("1"))
            return false
        }
    }

    /// Whether the session still lives; one whose ping went unanswered past the timeout is closed here.
    private func isAlive() async -> Bool {
        if let since = unansweredPingSince, ContinuousClock.now >= since + server.configuration.pingTimeout {
            await pingTimedOut()
        }
        return !closed
    }

    private func takeOutbox() -> [EngineFrame] {
        defer {
            outbox = []
            bufferedBytes = 0
        }
        return outbox
    }

    private func releasePoller(with frames: [EngineFrame]?) {
        guard let poller else { return }
        self.poller = nil
        poller.resume(returning: frames)
    }

    /// Hands the queue to a waiting GET once the current packet (and the ones queued with it) are in.
    private func schedulePollerFlush() {
        guard poller != nil, !flushScheduled else { return }
        flushScheduled = true
        Task { self.flushPoller() }
    }

    private func flushPoller() {
        flushScheduled = false
        guard poller != nil, !outbox.isEmpty else { return }
        releasePoller(with: takeOutbox())
    }

    private func forgetOwedNoop() {
        guard noopOwed else { return }
        noopOwed = false
        server.forget(self)
    }

    // MARK: receiving

    private func receive(text: String) async throws {
        switch try EnginePacket(text: Substring(text)) {
        case .pong: pongReceived()
        case .ping(let payload): await write(.text(EnginePacket.pong(payload).text!))
        case .close:
            if case .polling = transport, poller == nil { noopOwed = true }
            await close(reason: "transport close", lastFrame: .text("6"))
        case .noop, .upgrade: break
        case .open, .binary: throw SocketIOProtocolError("unexpected Engine.IO packet from a client")
        case .message(let payload): await handler?.received(.text(payload))
        }
    }

    // MARK: sending

    /// Queues (polling) or writes (WebSocket) one packet, closing the session when more than
    /// `maxBufferedBytes` would wait for a slow client.
    private func write(_ frame: EngineFrame) async {
        guard !closed else { return }
        bufferedBytes += frame.size
        guard bufferedBytes <= server.configuration.maxBufferedBytes else {
            logger.warning("closing Engine.IO session", metadata: [
                "reason": "more than \(server.configuration.maxBufferedBytes) bytes buffered for a slow client",
            ])
            await close(reason: "transport error")
            return
        }
        switch transport {
        case .polling:
            outbox.append(frame)
            schedulePollerFlush()
        case .websocket(let writer, _):
            defer { bufferedBytes -= frame.size }
            do {
                try await writer.write(frame.webSocketFrame)
            } catch {
                await close(reason: "transport error")
            }
        }
    }

    // MARK: lifecycle

    /// The heartbeat, as the reference server beats: a ping `pingInterval` after the open packet and after each
    /// pong; a session whose ping goes unanswered for `pingTimeout` is closed.
    private func startHeartbeat() {
        schedulePing()
    }

    private func schedulePing() {
        let interval = server.configuration.pingInterval
        heartbeat?.cancel()
        heartbeat = Task { [weak self] in
            try? await Task.sleep(for: interval)
            guard !Task.isCancelled else { return }
            await self?.sendPing()
        }
    }

    private func sendPing() async {
        guard !closed else { return }
        unansweredPingSince = .now
        await write(.text("2"))
        let timeout = server.configuration.pingTimeout
        heartbeat = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            await self?.pingTimedOut()
        }
    }

    private func pongReceived() {
        guard unansweredPingSince != nil, !closed else { return }
        unansweredPingSince = nil
        schedulePing()
    }

    private func pingTimedOut() async {
        guard !closed, unansweredPingSince != nil else { return }
        logger.info("Engine.IO ping timeout")
        await close(reason: "ping timeout")
    }

    /// Closes the session: the WebSocket is closed, or a pending GET receives what is queued and `lastFrame`
    /// (a close packet when the server ends the session, a noop when the client did).
    private func close(reason: String, lastFrame: EngineFrame) async {
        guard !closed else { return }
        closed = true
        switch transport {
        case .polling: releasePoller(with: takeOutbox() + [lastFrame])
        case .websocket(let writer, _): try? await writer.close(.normalClosure, reason: nil)
        }
        await finish(reason: reason)
    }

    private func finish(reason: String) async {
        closed = true
        guard !finished else { return }
        finished = true
        if noopOwed {
            let grace = server.configuration.pingTimeout
            Task {
                try? await Task.sleep(for: grace)
                self.forgetOwedNoop()
            }
        } else {
            server.forget(self)
        }
        heartbeat?.cancel()
        heartbeat = nil
        releasePoller(with: [.text("1")])
        for (_, candidate) in candidates { try? await candidate.close(.goingAway, reason: nil) }
        candidates = [:]
        await handler?.closed(reason: reason)
        handler = nil
    }
}
