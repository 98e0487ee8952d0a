/// A client's connection to one namespace.
public final class Socket: Sendable {
    /// The socket id sent to the client in the CONNECT answer.
    public let id: String
    /// The namespace joined.
    public let namespace: String
    /// What the client presented.
    public let handshake: Handshake
    /// The Engine.IO session id (shared by the namespaces of one connection).
    public var sessionID: String { connection.session.id }

    let connection: SocketIOConnection
    private let home: Namespace

    init(id: String, namespace: Namespace, handshake: Handshake, connection: SocketIOConnection) {
        self.id = id
        self.namespace = namespace.name
        self.home = namespace
        self.handshake = handshake
        self.connection = connection
    }

    /// Joins `room` of its namespace (rooms are left on disconnect).
    public func join(_ room: String) {
        home.join(self, room: room)
    }

    /// Leaves `room`.
    public func leave(_ room: String) {
        home.leave(self, room: room)
    }

    /// The rooms joined.
    public var rooms: Set<String> { home.rooms(of: self) }

    /// Sends event `event` with `arguments` (binary values travel as attachments).
    public func emit(_ event: String, _ arguments: [SocketIOValue] = []) async {
        await connection.send(kind: .event, namespace: namespace, ackID: nil, values: [.string(event)] + arguments)
    }

    /// Sends event `event` and waits for the client's acknowledgement.
    public func emitWithAck(_ event: String, _ arguments: [SocketIOValue] = [], timeout: Duration = .seconds(10)) async throws -> [SocketIOValue] {
        try await connection.request(namespace: namespace, values: [.string(event)] + arguments, timeout: timeout)
    }

    /// Leaves the namespace (the client receives a DISCONNECT packet).
    public func disconnect() async {
        await connection.disconnect(namespace: namespace, reason: "server namespace disconnect", notifyClient: true)
    }

    /// Closes the whole connection.
    public func close() async {
        await connection.close(reason: "forced close")
    }
}

/// Why an `emitWithAck` failed.
public enum SocketIOError: Error, Equatable, Sendable {
    case ackTimeout
    case disconnected
}
