extension SocketIOServer {
    /// The handlers of the official engine.io-protocol / socket.io-protocol test suites' server, on `/` and
    /// `/custom`: on connection emit `auth` with the handshake's auth payload, answer `message` with
    /// `message-back` and the same arguments, acknowledge `message-with-ack` with the same arguments.
    public func installEchoHandlers() {
        for name in ["/", "/custom"] {
            let namespace = namespace(name)
            namespace.onConnection { socket in
                await socket.emit("auth", [socket.handshake.auth ?? .object([:])])
            }
            namespace.on("message") { socket, arguments, _ in
                await socket.emit("message-back", arguments)
            }
            namespace.on("message-with-ack") { _, arguments, ack in
                await ack?(arguments)
            }
        }
    }
}
