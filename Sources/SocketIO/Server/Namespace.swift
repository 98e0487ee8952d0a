import Foundation
import HTTPTypes

/// A Socket.IO namespace: the handlers its sockets run.
public final class Namespace: Sendable {
    /// What a connect handler decides.
    public enum ConnectDecision: Sendable {
        case accept
        /// Refuse with a CONNECT_ERROR whose payload is `{"message": message}` plus `data` when given.
        case refuse(message: String, data: SocketIOValue? = nil)
    }

    /// An event handler: the socket, the arguments after the event name, and the ack to call when the sender
    /// asked for one.
    public typealias EventHandler = @Sendable (Socket, [SocketIOValue], Acknowledgement?) async -> Void

    public let name: String
    private let handlers = Locked(Handlers())
    private let members = Locked(Members())

    /// The sockets joined, and the rooms they are in.
    struct Members {
        var sockets: [String: Socket] = [:]
        var rooms: [String: Set<String>] = [:]
    }

    struct Handlers {
        var authorize: (@Sendable (Handshake) async -> ConnectDecision)?
        var connection: (@Sendable (Socket) async -> Void)?
        var disconnect: (@Sendable (Socket, String) async -> Void)?
        var events: [String: EventHandler] = [:]
        var anyEvent: (@Sendable (Socket, String, [SocketIOValue], Acknowledgement?) async -> Void)?
    }

    init(name: String) {
        self.name = name
    }

    /// Decides whether a client may join (default: everyone may).
    public func onAuthorize(_ handler: @escaping @Sendable (Handshake) async -> ConnectDecision) {
        handlers.withLock { $0.authorize = handler }
    }

    /// Runs when a socket has joined.
    public func onConnection(_ handler: @escaping @Sendable (Socket) async -> Void) {
        handlers.withLock { $0.connection = handler }
    }

    /// Runs when a socket has left, with the reason.
    public func onDisconnect(_ handler: @escaping @Sendable (Socket, String) async -> Void) {
        handlers.withLock { $0.disconnect = handler }
    }

    /// Handles event `event`.
    public func on(_ event: String, _ handler: @escaping EventHandler) {
        handlers.withLock { $0.events[event] = handler }
    }

    var current: Handlers { handlers.withLock { $0 } }

    // MARK: sockets and rooms

    /// The sockets currently joined.
    public var sockets: [Socket] { members.withLock { Array($0.sockets.values) } }

    /// The ids of the sockets in `room`.
    public func socketIDs(in room: String) -> Set<String> {
        members.withLock { $0.rooms[room] ?? [] }
    }

    /// Sends event `event` to every socket of the namespace, or only to those in `room`, except `excluded`.
    public func emit(_ event: String, _ arguments: [SocketIOValue] = [], to room: String? = nil, except excluded: Socket? = nil) async {
        let targets = members.withLock { members in
            let ids = room.map { members.rooms[$0] ?? [] } ?? Set(members.sockets.keys)
            return ids.compactMap { members.sockets[$0] }.filter { $0.id != excluded?.id }
        }
        await withTaskGroup(of: Void.self) { group in
            for socket in targets {
                group.addTask { await socket.emit(event, arguments) }
            }
        }
    }

    func add(_ socket: Socket) {
        members.withLock { $0.sockets[socket.id] = socket }
    }

    func remove(_ socket: Socket) {
        members.withLock { members in
            members.sockets.removeValue(forKey: socket.id)
            for room in members.rooms.keys {
                members.rooms[room]?.remove(socket.id)
                if members.rooms[room]?.isEmpty == true { members.rooms.removeValue(forKey: room) }
            }
        }
    }

    func join(_ socket: Socket, room: String) {
        members.withLock { members in
            guard members.sockets[socket.id] != nil else { return }
            members.rooms[room, default: []].insert(socket.id)
        }
    }

    func leave(_ socket: Socket, room: String) {
        members.withLock { members in
            members.rooms[room]?.remove(socket.id)
            if members.rooms[room]?.isEmpty == true { members.rooms.removeValue(forKey: room) }
        }
    }

    func rooms(of socket: Socket) -> Set<String> {
        members.withLock { members in Set(members.rooms.filter { $0.value.contains(socket.id) }.keys) }
    }
}

/// Answers an event that asked for an acknowledgement; only the first call is sent.
public struct Acknowledgement: Sendable {
    let send: @Sendable ([SocketIOValue]) async -> Void

    public func callAsFunction(_ values: [SocketIOValue]) async {
        await send(values)
    }
}
