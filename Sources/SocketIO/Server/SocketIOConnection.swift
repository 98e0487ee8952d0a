import Foundation
import Logging

/// The Socket.IO 5 side of one Engine.IO session: packet decoding with binary attachments, namespace connections,
/// events and acks in both directions, and the connect timeout. It runs on its session's executor, so a message
/// goes from the transport to the namespace handlers without changing threads.
actor SocketIOConnection: EngineSessionHandler, AckWaiting {
    nonisolated let session: EngineSession
    private let namespaces: Locked<[String: Namespace]>
    private let gate: EventGate
    private let configuration: SocketIOServer.Configuration
    private let logger: Logger
    private var sockets: [String: Socket] = [:]
    private var assembler: PacketAssembler
    var acks = AckWaiters()
    private var connectTimer: Task<Void, Never>?

    nonisolated var unownedExecutor: UnownedSerialExecutor { session.unownedExecutor }

    init(
        session: EngineSession, namespaces: Locked<[String: Namespace]>, gate: EventGate, configuration: SocketIOServer.Configuration,
        logger: Logger
    ) {
        self.session = session
        self.namespaces = namespaces
        self.gate = gate
        self.configuration = configuration
        self.assembler = PacketAssembler(maxAttachments: configuration.maxAttachments, maxBytes: configuration.maxPayload)
        var logger = logger
        logger[metadataKey: "sid"] = "\(session.id)"
        self.logger = logger
    }

    private func registeredNamespace(_ name: String) -> Namespace? {
        namespaces.withLock { $0[name] }
    }

    // MARK: EngineSessionHandler

    func opened() {
        let timeout = configuration.connectTimeout
        connectTimer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.closeIfNotConnected()
        }
    }

    func received(_ message: EngineMessage) async {
        do {
            let complete: (SocketPacket, [[UInt8]])?
            switch message {
            case .text(let payload): complete = try assembler.receive(text: payload, connected: !sockets.isEmpty)
            case .binary(let bytes): complete = try assembler.receive(binary: bytes)
            }
            if let (packet, attachments) = complete { try await handle(packet, attachments: attachments) }
        } catch {
            logger.info("closing Socket.IO connection", metadata: ["reason": "\(error)"])
            await session.close(reason: "parse error")
        }
    }

    func closed(reason: String) async {
        connectTimer?.cancel()
        connectTimer = nil
        acks.failAll(.disconnected)
        for namespace in Array(sockets.keys) {
            await disconnect(namespace: namespace, reason: reason, notifyClient: false)
        }
    }

    // MARK: receiving

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
            guard let handler = registeredNamespace(packet.namespace)?.current.events[event] else { return }
            // A server that is stopping starts no handler: the event goes unanswered, as if the session had closed.
            guard gate.enter() else { return }
            let gate = self.gate
            Task {
                defer { gate.leave() }
                await handler(socket, values, ack)
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
        guard let namespace = registeredNamespace(packet.namespace) else {
            await session.send(.text("4" + prefix + SocketIOValue.object(["message": .string("Invalid namespace")]).jsonText))
            return
        }
        guard sockets[packet.namespace] == nil else { return }
        var presented = session.handshake
        presented.auth = packet.data ?? .object([:])
        let handlers = namespace.current
        if case .refuse(let message, let data) = await handlers.authorize?(presented) ?? .accept {
            var payload: [String: SocketIOValue] = ["message": .string(message)]
            if let data { payload["data"] = data }
            await session.send(.text("4" + prefix + SocketIOValue.object(payload).jsonText))
            logger.info("Socket.IO connect refused", metadata: ["namespace": "\(packet.namespace)", "reason": "\(message)"])
            return
        }
        let socket = Socket(id: EngineSession.makeID(), namespace: namespace, handshake: presented, connection: self)
        sockets[packet.namespace] = socket
        namespace.add(socket)
        await session.send(.text("0" + prefix + SocketIOValue.object(["sid": .string(socket.id)]).jsonText))
        if let connection = handlers.connection {
            await session.flush()
            await connection(socket)
        }
    }

    // MARK: sending

    /// Sends an event or ack, followed by its attachments, without interleaving other packets.
    func send(kind: SocketPacket.Kind, namespace: String, ackID: Int?, values: [SocketIOValue]) async {
        guard sockets[namespace] != nil || kind == .ack else { return }
        let (packet, attachments) = SocketPacket.encode(kind: kind, namespace: namespace, ackID: ackID, values: values)
        await session.send(.text(packet.text))
        for attachment in attachments {
            await session.send(.binary(attachment))
        }
    }

    /// Sends an event asking for an ack, and waits for it (see ``AckWaiters``).
    func request(namespace: String, values: [SocketIOValue], timeout: Duration) async throws -> [SocketIOValue] {
        guard sockets[namespace] != nil else { throw SocketIOError.disconnected }
        let id = acks.begin()
        await send(kind: .event, namespace: namespace, ackID: id, values: values)
        guard sockets[namespace] != nil else {
            acks.abandon(id)
            throw SocketIOError.disconnected
        }
        return try await waitForAck(id, until: ContinuousClock.now + timeout)
    }

    // MARK: lifecycle

    private func closeIfNotConnected() async {
        guard sockets.isEmpty, !(await session.isClosed) else { return }
        logger.info("Socket.IO connect timeout")
        await session.close(reason: "connect timeout")
    }

    func disconnect(namespace: String, reason: String, notifyClient: Bool) async {
        guard let socket = sockets.removeValue(forKey: namespace) else { return }
        if notifyClient {
            await session.send(.text("1" + (namespace == "/" ? "" : namespace + ",")))
        }
        registeredNamespace(namespace)?.remove(socket)
        if let handler = registeredNamespace(namespace)?.current.disconnect { await handler(socket, reason) }
    }

    /// Closes the whole Engine.IO session.
    func close(reason: String) async {
        await session.close(reason: reason)
    }
}
