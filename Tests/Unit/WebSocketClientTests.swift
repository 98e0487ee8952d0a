import Foundation
import NIOCore
import NIOPosix
import SocketIO
import Testing

/// The WebSocket client of the SocketIO module: the upgrade request it sends (no `Origin` unless asked, as
/// python-socketio), and messages both ways through a real server.
@Suite("WebSocket client")
struct WebSocketClientTests {
    /// A listener that answers one upgrade request with 400 and hands back the request head it received.
    static func upgradeHead(origin: String?) async throws -> String {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.pipeline.addHandler(HeadRecorder(continuation: continuation))
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let port = try #require(server.localAddress?.port)
        await #expect(throws: WebSocketClientConnection.ConnectError.upgradeRefused) {
            _ = try await WebSocketClientConnection.connect(
                url: "ws://127.0.0.1:\(port)/socket.io/?EIO=4&transport=websocket", headers: [("total_credits", "10")], origin: origin)
        }
        var heads = stream.makeAsyncIterator()
        return await heads.next() ?? ""
    }

    final class HeadRecorder: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let continuation: AsyncStream<String>.Continuation
        var received = ""

        init(continuation: AsyncStream<String>.Continuation) { self.continuation = continuation }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += String(buffer: unwrapInboundIn(data))
            guard received.contains("\r\n\r\n") else { return }
            continuation.yield(received)
            let answer = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: answer))).whenComplete { _ in context.close(promise: nil) }
        }
    }

    @Test("the upgrade request carries no Origin unless one is asked for, and the headers it is given")
    func origin() async throws {
        let plain = try await Self.upgradeHead(origin: nil).lowercased()
        #expect(!plain.contains("\r\norigin:"), "\(plain)")
        #expect(plain.hasPrefix("get /socket.io/?eio=4&transport=websocket http/1.1\r\n"))
        #expect(plain.contains("\r\nhost: 127.0.0.1:") && plain.contains("\r\ntotal_credits: 10\r\n") && plain.contains("\r\nupgrade: websocket\r\n"))
        let asked = try await Self.upgradeHead(origin: "http://127.0.0.1:5055")
        #expect(asked.contains("\r\nOrigin: http://127.0.0.1:5055\r\n"), "\(asked)")
    }

    @Test("a URL it cannot use is refused before connecting")
    func invalidURL() async {
        for url in ["ftp://127.0.0.1/x", "ws:///nohost", "not a url"] {
            await #expect(throws: WebSocketClientConnection.ConnectError.self) { _ = try await WebSocketClientConnection.connect(url: url) }
        }
    }
}
