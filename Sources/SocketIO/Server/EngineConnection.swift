import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore

/// One Engine.IO session over a WebSocket: the open packet, heartbeats, Socket.IO packet decoding with
/// binary attachments, namespace connections, events and acks in both directions. Any protocol violation
/// closes the connection; the server goes on serving everyone else.
actor EngineConnection {
    nonisolated let sessionID: String
    private let server: SocketIOServer
    private let handshake: Handshake
    private let writer: WebSocketOutboundWriter
    private let logger: Logger

    private var sockets: [String: Socket] = [:]
    private var assembler: PacketAssembler
    private var pongReceived = true
    private var nextAckID = 0
    private var pendingAcks: [Int: CheckedContinuation<[SocketIOValue], any Error>] = [:]
    private var closed = false
    private var timers: [Task<Void, Never>] = []

    init(server: SocketIOServer, handshake: Handshake, writer: WebSocketOutboundWriter) {
        self.server = server
        self.handshake = handshake
        self.writer = writer
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

    /// Serves the session until either side closes it.
    func run(_ inbound: WebSocketInboundStream) async {
        let configuration = server.configuration
        let open = SocketIOValue.object([
            "sid": .string(sessionID), "upgrades": .array([]),
            "pingInterval": .int(Int(configuration.pingInterval.components.seconds * 1000 + configuration.pingInterval.components.attoseconds / 1_000_000_000_000_000)),
            "pingTimeout": .int(Int(configuration.pingTimeout.components.seconds * 1000 + configuration.pingTimeout.components.attoseconds / 1_000_000_000_000_000)),
            "maxPayload": .int(configuration.maxPayload),
        ])
        await write(.text("0" + open.jsonText))
        startTimers()
        do {
            for try await message in inbound.messages(maxSize: configuration.maxPayload) {
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
        await finish(reason: "transport close")
    }

    // MARK: receiving

    private func receive(text: String) async throws {
        switch try EnginePacket(text: Substring(text)) {
        case .pong: pongReceived = true
        case .ping(let payload): await write(.text(EnginePacket.pong(payload).text!))
        case .close: await close(reason: "client namespace disconnect")
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
                  case .string(let event) = values.removeFirst()
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
            guard let id = packet.ackID, let continuation = pendingAcks.removeValue(forKey: id) else { return }
            guard case .array(let values) = try packet.data?.reconstructed(with: attachments) ?? .array([]) else { return }
            continuation.resume(returning: values)
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
        let socket = Socket(id: Self.makeID(), namespace: packet.namespace, handshake: presented, connection: self)
        sockets[packet.namespace] = socket
        await write(.text("40" + prefix + SocketIOValue.object(["sid": .string(socket.id)]).jsonText))
        if let connection = handlers.connection { await connection(socket) }
    }

    // MARK: sending

    /// Sends an event or ack, followed by its attachments, without interleaving other frames.
    func send(kind: SocketPacket.Kind, namespace: String, ackID: Int?, values: [SocketIOValue]) async {
        guard !closed else { return }
        let (packet, attachments) = SocketPacket.encode(kind: kind, namespace: namespace, ackID: ackID, values: values)
        await write(.text("4" + packet.text))
        for attachment in attachments {
            await write(.binary(ByteBuffer(bytes: attachment)))
        }
    }

    /// Sends an event asking for an ack, and waits for it.
    func request(namespace: String, values: [SocketIOValue], timeout: Duration) async throws -> [SocketIOValue] {
        guard !closed, sockets[namespace] != nil else { throw SocketIOError.disconnected }
        let id = nextAckID
        nextAckID += 1
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.failAck(id, with: SocketIOError.ackTimeout)
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            pendingAcks[id] = continuation
            Task { await self.send(kind: .event, namespace: namespace, ackID: id, values: values) }
        }
    }

    private func failAck(_ id: Int, with error: any Error) {
        pendingAcks.removeValue(forKey: id)?.resume(throwing: error)
    }

    private func write(_ frame: WebSocketOutboundWriter.OutboundFrame) async {
        guard !closed else { return }
        do {
            try await writer.write(frame)
        } catch {
            await close(reason: "transport error")
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
        if let handler = server.registeredNamespace(namespace)?.current.disconnect { await handler(socket, reason) }
    }

    /// Closes the WebSocket; the run loop then finishes the session.
    func close(reason: String) async {
        guard !closed else { return }
        try? await writer.close(.normalClosure, reason: nil)
        closed = true
        await finish(reason: reason)
    }

    private func finish(reason: String) async {
        closed = true
        timers.forEach { $0.cancel() }
        timers = []
        for (id, continuation) in pendingAcks { continuation.resume(throwing: SocketIOError.disconnected); pendingAcks[id] = nil }
        for namespace in Array(sockets.keys) {
            await disconnect(namespace: namespace, reason: reason, notifyClient: false)
        }
    }
}
