import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore

/// One Engine.IO session, over HTTP long-polling (possibly upgraded to a WebSocket) or over a WebSocket from
/// the start: the open packet, heartbeats, Socket.IO packet decoding with binary attachments, namespace
/// connections, events and acks in both directions, and the per-session limits. Any protocol violation
/// closes the session; the server goes on serving everyone else.
actor EngineConnection: AckWaiting {
    /// How packets currently travel.
    private enum Transport {
        case polling
        case websocket(WebSocketOutboundWriter)
    }

    nonisolated let sessionID: String
    private let server: SocketIOServer
    private let handshake: Handshake
    private let logger: Logger

    private var transport: Transport
    private var sockets: [String: Socket] = [:]
    private var assembler: PacketAssembler
    private var pongReceived = true
    var acks = AckWaiters()
    private var closed = false
    private var timers: [Task<Void, Never>] = []

    // Polling: packets waiting for the next GET, the GET waiting for packets, a POST being read.
    private var outbox: [EngineFrame] = []
    private var poller: CheckedContinuation<[EngineFrame], Never>?
    private var flushScheduled = false
    private var posting = false
    private var upgrading = false
    /// Bytes queued for the client and not yet handed to the network (the buffered-bytes cap applies to it).
    private var bufferedBytes = 0

    /// A session on `transport`; `nil` writer means HTTP long-polling.
    init(server: SocketIOServer, handshake: Handshake, webSocket writer: WebSocketOutboundWriter?) {
        self.server = server
        self.handshake = handshake
        self.transport = writer.map(Transport.websocket) ?? .polling
        self.sessionID = Self.makeID()
        self.assembler = PacketAssembler(maxAttachments: server.configuration.maxAttachments)
        var logger = server.logger
        logger[metadataKey: "sid"] = "\(sessionID)"
        self.logger = logger
    }

    static func makeID() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        return String((0..<20).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }

    /// The open packet, and the heartbeat and connect timers started.
    func open() -> EngineFrame {
        let configuration = server.configuration
        let upgrades: [SocketIOValue] = if case .polling = transport { [.string("websocket")] } else { [] }
        let packet = SocketIOValue.object([
            "sid": .string(sessionID), "upgrades": .array(upgrades),
            "pingInterval": .int(configuration.pingInterval.milliseconds),
            "pingTimeout": .int(configuration.pingTimeout.milliseconds),
            "maxPayload": .int(configuration.maxPayload),
        ])
        startTimers()
        return .text("0" + packet.jsonText)
    }

    // MARK: WebSocket

    /// Serves a session that began on a WebSocket until either side closes it.
    func run(_ inbound: WebSocketInboundStream) async {
        await write(open())
        var frames = inbound.messages(maxSize: server.configuration.maxPayload).makeAsyncIterator()
        await serve(&frames)
        await finish(reason: "transport close")
    }

    /// Takes over a polling session with a WebSocket: answers `2probe` with `3probe`, releases the pending
    /// GET with a noop, and switches transports on `5`. A WebSocket that ends before `5` leaves the session on
    /// polling.
    func upgrade(_ inbound: WebSocketInboundStream, writer: WebSocketOutboundWriter) async {
        guard case .polling = transport, !upgrading, !closed else {
            try? await writer.close(.policyViolation, reason: "cannot upgrade this session")
            return
        }
        upgrading = true
        var frames = inbound.messages(maxSize: server.configuration.maxPayload).makeAsyncIterator()
        var upgraded = false
        do {
            probing: while let message = try await frames.next(isolation: self) {
                guard case .text(let text) = message else { break }
                switch text {
                case "2probe":
                    try await writer.write(.text("3probe"))
                    releasePoller(with: [.text("6")])
                case "5":
                    upgraded = true
                    break probing
                default:
                    break probing
                }
            }
        } catch {
            logger.debug("upgrade abandoned", metadata: ["error": "\(error)"])
        }
        upgrading = false
        guard upgraded, !closed else {
            try? await writer.close(.normalClosure, reason: nil)
            return
        }
        transport = .websocket(writer)
        releasePoller(with: [.text("6")])
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
                case .binary(let buffer): try await receive(binary: Array(buffer.readableBytesView))
                }
            }
        } catch let error as SocketIOProtocolError {
            logger.info("closing Socket.IO connection", metadata: ["reason": "\(error)"])
            await close(reason: "parse error")
        } catch {
            logger.debug("Socket.IO transport ended", metadata: ["error": "\(error)"])
        }
    }

    // MARK: polling

    /// Answers a polling GET: the queued packets, or those that arrive next. A second GET while one is
    /// pending closes the session.
    func poll() async -> Result<[EngineFrame], EngineRequestError> {
        guard !closed, case .polling = transport else { return .failure(.badRequest) }
        guard poller == nil else {
            logger.info("closing Socket.IO connection", metadata: ["reason": "overlapping polling GET"])
            await close(reason: "transport error")
            return .failure(.badRequest)
        }
        if !outbox.isEmpty { return .success(takeOutbox()) }
        if upgrading { return .success([.text("6")]) }
        return .success(await withCheckedContinuation { poller = $0 })
    }

    /// Reads a polling POST's packets (joined with the record separator, binary ones as `b<base64>`). A second
    /// POST while one is read, or an invalid packet, closes the session.
    func post(_ body: ByteBuffer) async -> Result<Void, EngineRequestError> {
        guard !closed, case .polling = transport else { return .failure(.badRequest) }
        guard !posting else {
            logger.info("closing Socket.IO connection", metadata: ["reason": "overlapping polling POST"])
            await close(reason: "transport error")
            return .failure(.badRequest)
        }
        posting = true
        defer { posting = false }
        do {
            for part in body.readableBytesView.split(separator: 0x1E, omittingEmptySubsequences: false) {
                if part.first == UInt8(ascii: "b") {
                    guard let bytes = Data(base64Encoded: Data(part.dropFirst())) else {
                        throw SocketIOProtocolError("invalid base64 in a binary packet")
                    }
                    try await receive(binary: Array(bytes))
                } else {
                    guard let text = String(validating: part, as: UTF8.self) else { throw SocketIOProtocolError("invalid UTF-8") }
                    try await receive(text: text)
                }
            }
            return .success(())
        } catch {
            logger.info("closing Socket.IO connection", metadata: ["reason": "\(error)"])
            await close(reason: "parse error")
            return .failure(.badRequest)
        }
    }

    private func takeOutbox() -> [EngineFrame] {
        defer {
            outbox = []
            bufferedBytes = 0
        }
        return outbox
    }

    private func releasePoller(with frames: [EngineFrame]) {
        guard let poller else { return }
        self.poller = nil
        poller.resume(returning: frames)
    }

    /// Hands the queue to a waiting GET once the current packet (and its attachments) is queued.
    private func schedulePollerFlush() {
        guard poller != nil, !flushScheduled else { return }
        flushScheduled = true
        Task { await self.flushPoller() }
    }

    private func flushPoller() {
        flushScheduled = false
        guard poller != nil, !outbox.isEmpty else { return }
        releasePoller(with: takeOutbox())
    }

    // MARK: receiving

    private func receive(text: String) async throws {
        switch try EnginePacket(text: Substring(text)) {
        case .pong: pongReceived = true
        case .ping(let payload): await write(.text(EnginePacket.pong(payload).text!))
        case .close: await close(reason: "transport close", lastFrame: .text("6"))
        case .noop, .upgrade: break
        case .open, .binary: throw SocketIOProtocolError("unexpected Engine.IO packet from a client")
        case .message(let payload):
            if let (packet, attachments) = try assembler.receive(text: payload) {
                try await handle(packet, attachments: attachments)
            }
        }
    }

    private func receive(binary: [UInt8]) async throws {
        if let (packet, attachments) = try assembler.receive(binary: binary) {
            try await handle(packet, attachments: attachments)
        }
    }

    private func handle(_ packet: SocketPacket, attachments: [[UInt8]]) async throws {
        if sockets.isEmpty && packet.kind != .connect {
            throw SocketIOProtocolError("the first packet must be a CONNECT")
        }
        switch packet.kind {
        case .connect: await connect(packet)
        case .disconnect: await disconnect(namespace: packet.namespace, reason: "client namespace disconnect", notifyClient: false)
        case .event, .binaryEvent:
            guard let socket = sockets[packet.namespace] else { return }
            guard case .array(var values) = try packet.data?.reconstructed(with: attachments) ?? .array([]),
                  !values.isEmpty, case .string(let event) = values.removeFirst()
            else { throw SocketIOProtocolError("event without a name") }
            let ack = packet.ackID.map { id in
                let sent = Locked(false)
                return Acknowledgement { [weak self] values in
                    guard sent.withLock({ was in defer { was = true }; return !was }) else { return }
                    await self?.send(kind: .ack, namespace: socket.namespace, ackID: id, values: values)
                }
            }
            let handlers = server.registeredNamespace(packet.namespace)?.current
            Task {
                if let handler = handlers?.events[event] { await handler(socket, values, ack) }
            }
        case .ack, .binaryAck:
            guard let id = packet.ackID, case .array(let values) = try packet.data?.reconstructed(with: attachments) ?? .array([]) else { return }
            acks.answer(id, with: values)
        case .connectError:
            throw SocketIOProtocolError("CONNECT_ERROR from a client")
        }
    }

    private func connect(_ packet: SocketPacket) async {
        let prefix = packet.namespace == "/" ? "" : packet.namespace + ","
        guard let namespace = server.registeredNamespace(packet.namespace) else {
            await write(.text("44" + prefix + SocketIOValue.object(["message": .string("Invalid namespace")]).jsonText))
            return
        }
        guard sockets[packet.namespace] == nil else { return }
        var presented = handshake
        presented.auth = packet.data
        let handlers = namespace.current
        if case .refuse(let message, let data) = await handlers.authorize?(presented) ?? .accept {
            var payload: [String: SocketIOValue] = ["message": .string(message)]
            if let data { payload["data"] = data }
            await write(.text("44" + prefix + SocketIOValue.object(payload).jsonText))
            logger.info("Socket.IO connect refused", metadata: ["namespace": "\(packet.namespace)", "reason": "\(message)"])
            return
        }
        let socket = Socket(id: Self.makeID(), namespace: namespace, handshake: presented, connection: self)
        sockets[packet.namespace] = socket
        namespace.add(socket)
        await write(.text("40" + prefix + SocketIOValue.object(["sid": .string(socket.id)]).jsonText))
        if let connection = handlers.connection { await connection(socket) }
    }

    // MARK: sending

    /// Sends an event or ack, followed by its attachments, without interleaving other packets.
    func send(kind: SocketPacket.Kind, namespace: String, ackID: Int?, values: [SocketIOValue]) async {
        guard !closed, sockets[namespace] != nil || kind == .ack else { return }
        let (packet, attachments) = SocketPacket.encode(kind: kind, namespace: namespace, ackID: ackID, values: values)
        await write(.text("4" + packet.text))
        for attachment in attachments {
            await write(.binary(attachment))
        }
    }

    /// Sends an event asking for an ack, and waits for it (see ``AckWaiters``).
    func request(namespace: String, values: [SocketIOValue], timeout: Duration) async throws -> [SocketIOValue] {
        guard !closed, sockets[namespace] != nil else { throw SocketIOError.disconnected }
        let id = acks.begin()
        await send(kind: .event, namespace: namespace, ackID: id, values: values)
        guard !closed else {
            acks.abandon(id)
            throw SocketIOError.disconnected
        }
        return try await waitForAck(id, until: ContinuousClock.now + timeout)
    }

    /// Queues (polling) or writes (WebSocket) one packet, closing the session when more than
    /// `maxBufferedBytes` would wait for a slow client.
    private func write(_ frame: EngineFrame) async {
        guard !closed else { return }
        bufferedBytes += frame.size
        guard bufferedBytes <= server.configuration.maxBufferedBytes else {
            logger.warning("closing Socket.IO connection", metadata: [
                "reason": "more than \(server.configuration.maxBufferedBytes) bytes buffered for a slow client",
            ])
            await close(reason: "transport error")
            return
        }
        switch transport {
        case .polling:
            outbox.append(frame)
            schedulePollerFlush()
        case .websocket(let writer):
            defer { bufferedBytes -= frame.size }
            do {
                try await writer.write(frame.webSocketFrame)
            } catch {
                await close(reason: "transport error")
            }
        }
    }

    // MARK: lifecycle

    private func startTimers() {
        let configuration = server.configuration
        timers.append(Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: configuration.pingInterval)
                guard let self, await self.sendPing() else { return }
                try? await Task.sleep(for: configuration.pingTimeout)
                guard await self.checkPong() else { return }
            }
        })
        timers.append(Task { [weak self] in
            try? await Task.sleep(for: configuration.connectTimeout)
            await self?.closeIfNotConnected()
        })
    }

    private func sendPing() async -> Bool {
        guard !closed else { return false }
        pongReceived = false
        await write(.text("2"))
        return true
    }

    private func checkPong() async -> Bool {
        guard !closed else { return false }
        guard pongReceived else {
            logger.info("Socket.IO ping timeout")
            await close(reason: "ping timeout")
            return false
        }
        return true
    }

    private func closeIfNotConnected() async {
        if sockets.isEmpty && !closed {
            logger.info("Socket.IO connect timeout")
            await close(reason: "connect timeout")
        }
    }

    func disconnect(namespace: String, reason: String, notifyClient: Bool) async {
        guard let socket = sockets.removeValue(forKey: namespace) else { return }
        if notifyClient {
            await write(.text("41" + (namespace == "/" ? "" : namespace + ",")))
        }
        server.registeredNamespace(namespace)?.remove(socket)
        if let handler = server.registeredNamespace(namespace)?.current.disconnect { await handler(socket, reason) }
    }

    /// Closes the session: the WebSocket is closed, or a pending GET receives what is queued and
    /// `lastFrame` (a close packet when the server ends the session, a noop when the client did).
    func close(reason: String, lastFrame: EngineFrame = .text("1")) async {
        guard !closed else { return }
        closed = true
        switch transport {
        case .polling: releasePoller(with: takeOutbox() + [lastFrame])
        case .websocket(let writer): try? await writer.close(.normalClosure, reason: nil)
        }
        await finish(reason: reason)
    }

    private var finished = false

    private func finish(reason: String) async {
        closed = true
        guard !finished else { return }
        finished = true
        server.forget(self)
        timers.forEach { $0.cancel() }
        timers = []
        releasePoller(with: [.text("1")])
        acks.failAll(.disconnected)
        for namespace in Array(sockets.keys) {
            await disconnect(namespace: namespace, reason: reason, notifyClient: false)
        }
    }
}

/// An Engine.IO packet on its way to a client.
enum EngineFrame: Sendable, Equatable {
    case text(String)
    case binary([UInt8])

    var size: Int {
        switch self {
        case .text(let text): text.utf8.count
        case .binary(let bytes): bytes.count
        }
    }

    var webSocketFrame: WebSocketOutboundWriter.OutboundFrame {
        switch self {
        case .text(let text): .text(text)
        case .binary(let bytes): .binary(ByteBuffer(bytes: bytes))
        }
    }

    /// The polling payload: packets joined with the record separator, binary ones as `b<base64>`.
    static func pollingPayload(_ frames: [EngineFrame]) -> String {
        frames.map { frame in
            switch frame {
            case .text(let text): text
            case .binary(let bytes): "b" + Data(bytes).base64EncodedString()
            }
        }.joined(separator: "\u{1E}")
    }
}

extension Duration {
    var milliseconds: Int {
        Int(components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000)
    }
}
