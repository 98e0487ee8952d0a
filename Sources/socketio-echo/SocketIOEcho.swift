import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import SocketIO

/// `socketio-echo [PORT [PING_INTERVAL_MS PING_TIMEOUT_MS]]`: a Socket.IO server configured as the official
/// engine.io-protocol and socket.io-protocol test suites expect (pingInterval 300 ms, pingTimeout 200 ms,
/// maxPayload 1000000, connectTimeout 1000 ms, CORS `*`; `auth`, `message` -> `message-back`,
/// `message-with-ack`, namespace `/custom`). Other heartbeats can be given for slow machines.
@main
struct SocketIOEcho {
    static func main() async throws {
        let arguments = CommandLine.arguments.dropFirst().map { Int($0) }
        let port = arguments.first.flatMap { $0 } ?? 3000
        let pingInterval = arguments.count > 1 ? arguments[1] ?? 300 : 300
        let pingTimeout = arguments.count > 2 ? arguments[2] ?? 200 : 200
        let server = SocketIOServer(configuration: .init(
            pingInterval: .milliseconds(pingInterval), pingTimeout: .milliseconds(pingTimeout), maxPayload: 1_000_000,
            connectTimeout: .milliseconds(1000)))
        server.installEchoHandlers()
        let router = Router()
        router.add(middleware: server.middleware())
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(configuration: server.webSocketConfiguration, shouldUpgrade: server.shouldUpgrade),
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "socketio-echo"),
            onServerRunning: { channel in
                FileHandle.standardOutput.write(Data("listening on 127.0.0.1:\(channel.localAddress?.port ?? port)\n".utf8))
            })
        try await app.runService()
    }
}
