import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import SocketIO

/// `socketio-echo`: the servers the official protocol suites expect, on one port of 127.0.0.1.
@main
struct SocketIOEcho: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "socketio-echo",
        abstract: "Serve the official Engine.IO and Socket.IO protocol test suites' servers on 127.0.0.1.",
        discussion: """
            /engine.io/ is a bare Engine.IO server that sends every message back (the engine.io-protocol suite). \
            /socket.io/ is a Socket.IO server that, on connection to / or /custom, emits "auth" with the CONNECT \
            payload ({} when there is none), answers "message" with "message-back" and the same arguments, and \
            acknowledges "message-with-ack" with the same arguments (the socket.io-protocol suite). Both use \
            maxPayload 1000000 and CORS origin *; Socket.IO's connect timeout is 1000 ms. The heartbeats default to \
            the suites' 300 ms / 200 ms.

            Example: socketio-echo --port 3000, then ../shared/peers/socketio-protocol-suites/run.sh engine 3000
            """)

    @Option(help: ArgumentHelp("The port to listen on (0: any free port, printed at start), e.g. --port 3000.", valueName: "port"))
    var port: Int = 3000

    @Option(help: ArgumentHelp("Milliseconds between heartbeats, e.g. --ping-interval 300.", valueName: "ms"))
    var pingInterval: Int = 300

    @Option(help: ArgumentHelp("Milliseconds a client has to answer a heartbeat, e.g. --ping-timeout 200.", valueName: "ms"))
    var pingTimeout: Int = 200

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port is 0 to 65535") }
        guard (1...3_600_000).contains(pingInterval), (1...3_600_000).contains(pingTimeout) else {
            throw ValidationError("--ping-interval and --ping-timeout are 1 to 3600000 ms")
        }
    }

    func run() async throws {
        let engine = EngineIOServer.echo(configuration: .init(
            path: "/engine.io/", pingInterval: .milliseconds(pingInterval), pingTimeout: .milliseconds(pingTimeout), maxPayload: 1_000_000))
        let socket = SocketIOServer(configuration: .init(
            path: "/socket.io/", pingInterval: .milliseconds(pingInterval), pingTimeout: .milliseconds(pingTimeout), maxPayload: 1_000_000,
            connectTimeout: .milliseconds(1000)))
        socket.installEchoHandlers()
        let router = Router()
        router.add(middleware: engine.middleware())
        router.add(middleware: socket.middleware())
        let port = self.port
        let app = Application(
            responder: ConnectionCloseResponder(router.buildResponder()),
            server: .http1WebSocketUpgrade(configuration: engine.webSocketConfiguration) { request, channel, logger in
                let answer = engine.shouldUpgrade(request, channel: channel, logger: logger)
                if case .dontUpgrade = answer { return socket.shouldUpgrade(request, channel: channel, logger: logger) }
                return answer
            },
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "socketio-echo"),
            onServerRunning: { channel in
                FileHandle.standardOutput.write(Data("listening on 127.0.0.1:\(channel.localAddress?.port ?? port)\n".utf8))
            })
        try await app.runService()
    }
}
