import Foundation
import HTTPTypes
import Logging
import NIOCore

/// A Socket.IO 5 client over WebSocket (Engine.IO 4): connects to one namespace with query, headers and an
/// auth payload, answers heartbeats, sends events with and without acks, binary both ways, and (when
/// ``Options/reconnection`` is set) reconnects after losing an established connection.
public final class SocketIOClient: Sendable {
    /// Where and how to connect.
    public struct Options: Sendable {
        /// `http://host:port` (or `ws://`).
        public var url: String
        public var path: String = "/socket.io/"
        public var query: [String: String] = [:]
        public var headers: HTTPFields = [:]
        /// An `Origin` header for the WebSocket upgrade; none by default, as python-socketio sends none.
        public var origin: String?
        /// The CONNECT packet's payload.
        public var auth: SocketIOValue?
        public var namespace: String = "/"
        public var maxFrameSize: Int = 16 << 20
        /// Reconnecting after an established connection is lost; `nil` (the default) never reconnects.
        public var reconnection: ReconnectionPolicy?
        /// Sees every Engine.IO message as it is read off the WebSocket, with the time it was read, before it is
        /// decoded and handed to a handler (for timing what a server sends: a handler runs two task hops later).
        public var observer: WebSocketClientConnection.Observer?

        public init(
            url: String, query: [String: String] = [:], headers: HTTPFields = [:], origin: String? = nil, auth: SocketIOValue? = nil,
            namespace: String = "/", reconnection: ReconnectionPolicy? = nil
        ) {
            self.url = url
            self.query = query
            self.headers = headers
            self.origin = origin
            self.auth = auth
            self.namespace = namespace
            self.reconnection = reconnection
        }

        var webSocketURL: String {
            let base = url.replacingOccurrences(of: "http://", with: "ws://").replacingOccurrences(of: "https://", with: "wss://")
            let parameters = (["EIO": "4", "transport": "websocket"].merging(query) { $1 }).sorted { $0.key < $1.key }
                .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+"))) ?? $0.value)" }
            return base + path + "?" + parameters.joined(separator: "&")
        }
    }

    /// Why connecting failed.
    public enum ConnectError: Error, Equatable, Sendable {
        /// The server answered CONNECT_ERROR with this payload.
        case refused(SocketIOValue)
        /// The connection closed before the namespace was joined.
        case closed
    }

    public let options: Options
    let connection: ClientConnection

    public init(options: Options, logger: Logger = Logger(label: "socket.io-client")) {
        self.options = options
        self.connection = ClientConnection(options: options, logger: logger)
    }

    /// Handles event `event` (arguments after the name, and the ack when the server asked for one).
    public func on(_ event: String, _ handler: @escaping @Sendable ([SocketIOValue], Acknowledgement?) async -> Void) async {
        await connection.on(event, handler)
    }

    /// Connects and joins the namespace; returns the socket id, or throws ``ConnectError``.
    @discardableResult
    public func connect() async throws -> String {
        try await connection.connect()
    }

    /// Sends event `event`.
    public func emit(_ event: String, _ arguments: [SocketIOValue] = []) async throws {
        try await connection.send(kind: .event, ackID: nil, values: [.string(event)] + arguments)
    }

    /// Sends event `event` and waits for the server's acknowledgement.
    public func emitWithAck(_ event: String, _ arguments: [SocketIOValue] = [], timeout: Duration = .seconds(10)) async throws -> [SocketIOValue] {
        try await connection.request(values: [.string(event)] + arguments, timeout: timeout)
    }

    /// Leaves the namespace and closes the connection.
    public func disconnect() async {
        await connection.disconnect()
    }

    /// Whether the namespace is joined.
    public var isConnected: Bool {
        get async { await connection.isConnected }
    }

    /// How many times the client has joined the namespace again after losing its connection.
    public var reconnections: Int {
        get async { await connection.reconnections }
    }
}

/// When and how often a client tries to reconnect: exponential backoff from `initialDelay`, doubling up to
/// `maxDelay`, each delay randomised by ±`jitter` (a fraction), at most `maxAttempts` tries in a row.
public struct ReconnectionPolicy: Sendable, Equatable {
    public var maxAttempts: Int
    public var initialDelay: Duration
    public var maxDelay: Duration
    public var jitter: Double

    public init(maxAttempts: Int = .max, initialDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(5), jitter: Double = 0.5) {
        self.maxAttempts = maxAttempts
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
    }

    /// The wait before try number `attempt` (from 1).
    public func delay(before attempt: Int, random: Double = Double.random(in: -1...1)) -> Duration {
        let doubled = initialDelay * Double(1 << min(max(attempt - 1, 0), 30))
        let capped = min(doubled, maxDelay)
        return capped * max(0, 1 + jitter * random)
    }
}

/// The client side of one Engine.IO session.
actor ClientConnection: AckWaiting {
    private let options: ClientOptionsSnapshot
    private let logger: Logger
    private var socket: WebSocketClientConnection?
    private var handlers: [String: @Sendable ([SocketIOValue], Acknowledgement?) async -> Void] = [:]
    private var connectWaiter: CheckedContinuation<String, any Error>?
    var acks = AckWaiters()
    private var assembler: PacketAssembler
    private(set) var isConnected = false
    private(set) var reconnections = 0
    private var runner: Task<Void, Never>?
    /// Set by ``disconnect()``: the loss was asked for, so no reconnection.
    private var closedByUser = false
    private var everConnected = false

    struct ClientOptionsSnapshot: Sendable {
        let url: String
        let namespace: String
        let auth: SocketIOValue?
        let headers: [(String, String)]
        let origin: String?
        let maxFrameSize: Int
        let reconnection: ReconnectionPolicy?
        let observer: WebSocketClientConnection.Observer?
    }

    init(options: SocketIOClient.Options, logger: Logger) {
        self.options = ClientOptionsSnapshot(
            url: options.webSocketURL, namespace: options.namespace, auth: options.auth,
            headers: options.headers.map { ($0.name.rawName, $0.value) }, origin: options.origin, maxFrameSize: options.maxFrameSize,
            reconnection: options.reconnection, observer: options.observer)
        self.assembler = PacketAssembler(maxAttachments: 64, maxBytes: options.maxFrameSize)
        self.logger = logger
    }

    func on(_ event: String, _ handler: @escaping @Sendable ([SocketIOValue], Acknowledgement?) async -> Void) {
        handlers[event] = handler
    }

    func connect() async throws -> String {
        closedByUser = false
        return try await withCheckedThrowingContinuation { continuation in
            connectWaiter = continuation
            runner = Task { await self.runSessions() }
        }
    }

    /// One session, then (when the policy allows and the loss was not asked for) new ones with backoff.
    private func runSessions() async {
        var attempt = 0
        while true {
            let joinedBefore = reconnections + (everConnected ? 1 : 0)
            await runSession()
            await finish()
            if reconnections + (everConnected ? 1 : 0) > joinedBefore { attempt = 0 }
            guard let policy = options.reconnection, everConnected, !closedByUser, attempt < policy.maxAttempts else { return }
            attempt += 1
            logger.debug("Socket.IO client reconnecting", metadata: ["attempt": "\(attempt)"])
            try? await Task.sleep(for: policy.delay(before: attempt))
            guard !closedByUser else { return }
        }
    }

    private func runSession() async {
        let options = self.options, logger = self.logger
        do {
            let socket = try await WebSocketClientConnection.connect(
                url: options.url, headers: options.headers, origin: options.origin, maxMessageSize: options.maxFrameSize,
                observer: options.observer)
            self.socket = socket
            for try await message in socket.messages {
                switch message {
                case .text(let text): try await receive(text: text)
                case .binary(let bytes): try await receive(binary: bytes)
                }
            }
        } catch {
            logger.debug("Socket.IO client transport ended", metadata: ["error": "\(error)"])
        }
        await socket?.close()
    }

    private var prefix: String { options.namespace == "/" ? "" : options.namespace + "," }

    private func receive(text: String) async throws {
        switch try EnginePacket(text: Substring(text)) {
        case .open:
            try await socket?.send(text: "40" + prefix + (options.auth?.jsonText ?? ""))
        case .ping(let payload):
            try await socket?.send(text: EnginePacket.pong(payload).text!)
        case .close:
            await finish()
        case .message(let payload):
            if let (packet, attachments) = try assembler.receive(text: payload, connected: isConnected) { try await handle(packet, attachments) }
        default:
            break
        }
    }

    private func receive(binary: [UInt8]) async throws {
        if let (packet, attachments) = try assembler.receive(binary: binary) { try await handle(packet, attachments) }
    }

    private func handle(_ packet: SocketPacket, _ attachments: [[UInt8]]) async throws {
        guard packet.namespace == options.namespace else { return }
        switch packet.kind {
        case .connect:
            isConnected = true
            if everConnected { reconnections += 1 }
            everConnected = true
            connectWaiter?.resume(returning: packet.data?["sid"]?.string ?? "")
            connectWaiter = nil
        case .connectError:
            connectWaiter?.resume(throwing: SocketIOClient.ConnectError.refused(packet.data ?? .null))
            connectWaiter = nil
            await socket?.close()
        case .disconnect:
            isConnected = false
            await socket?.close()
        case .event, .binaryEvent:
            guard case .array(var values) = try packet.data?.reconstructed(with: attachments) ?? .array([]),
                  case .string(let event) = values.removeFirst(), let handler = handlers[event]
            else { return }
            let ack = packet.ackID.map { id in
                Acknowledgement { [weak self] values in try? await self?.send(kind: .ack, ackID: id, values: values) }
            }
            Task { await handler(values, ack) }
        case .ack, .binaryAck:
            guard let id = packet.ackID, case .array(let values) = try packet.data?.reconstructed(with: attachments) ?? .array([]) else { return }
            acks.answer(id, with: values)
        }
    }

    func send(kind: SocketPacket.Kind, ackID: Int?, values: [SocketIOValue]) async throws {
        guard isConnected, let socket else { throw SocketIOError.disconnected }
        let (packet, attachments) = SocketPacket.encode(kind: kind, namespace: options.namespace, ackID: ackID, values: values)
        try await socket.send(text: "4" + packet.text)
        for attachment in attachments { try await socket.send(binary: attachment) }
    }

    /// Sends an event with an ack id and waits for the ack (see ``AckWaiters``).
    func request(values: [SocketIOValue], timeout: Duration) async throws -> [SocketIOValue] {
        let id = acks.begin()
        do {
            try await send(kind: .event, ackID: id, values: values)
        } catch {
            acks.abandon(id)
            throw error
        }
        guard isConnected else {
            acks.abandon(id)
            throw SocketIOError.disconnected
        }
        return try await waitForAck(id, until: ContinuousClock.now + timeout)
    }

    func disconnect() async {
        closedByUser = true
        if isConnected { try? await socket?.send(text: "41" + prefix) }
        await socket?.close()
        await finish()
    }

    private func finish() async {
        isConnected = false
        socket = nil
        assembler = PacketAssembler(maxAttachments: 64, maxBytes: options.maxFrameSize)
        connectWaiter?.resume(throwing: SocketIOClient.ConnectError.closed)
        connectWaiter = nil
        acks.failAll(.disconnected)
    }
}
