/// A message of Engine.IO: the payload of a `4` packet, or a binary packet.
public enum EngineMessage: Sendable, Equatable {
    case text(String)
    case binary([UInt8])
}

/// What a layer above Engine.IO (Socket.IO, or an application of its own) does with one session: it receives
/// the session's messages in order and learns when it closed. ``EngineIOServer`` asks for one per session.
public protocol EngineSessionHandler: Actor {
    /// The session's open packet has been sent.
    func opened() async
    /// A message from the client.
    func received(_ message: EngineMessage) async
    /// The session ended, for `reason` (`transport close`, `ping timeout`, `parse error`, ...).
    func closed(reason: String) async
}
