import ArgumentParser
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import PladmedCore
import SocketIO

#if canImport(Glibc)
import Glibc
#endif

/// `pladmed-bench socketio`: a Socket.IO server in a child process (default heartbeats, echo handlers) and
/// this process as its clients. Reports how many idle WebSocket clients it holds and the server's resident
/// memory with them, then acknowledged messages per second over 100 of those connections.
struct SocketIOBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "socketio", abstract: "Idle connections held and acked messages/s.")

    @Option(help: "Idle WebSocket clients to hold.")
    var clients = 10_000

    @Option(help: "Connections echoing messages with acks.")
    var senders = 100

    @Option(help: "Seconds of acked echoing.")
    var seconds: Double = 5

    @Option(help: "Connections opened at once.")
    var concurrency = 200

    func run() async throws {
        raiseFileLimit()
        let server = try ServerProcess()
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)"
        print("server pid \(server.pid) on port \(server.port), RSS \(server.residentKiB / 1024) MiB before any client")

        // Idle clients, opened `concurrency` at a time.
        let started = ContinuousClock.now
        var connected: [SocketIOClient] = []
        var failures = 0
        var next = 0
        while next < clients {
            let batch = min(concurrency, clients - next)
            let opened = await withTaskGroup(of: SocketIOClient?.self) { group in
                for _ in 0..<batch {
                    group.addTask {
                        let client = SocketIOClient(options: .init(url: url), logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
                        return (try? await client.connect()) != nil ? client : nil
                    }
                }
                var opened: [SocketIOClient?] = []
                for await client in group { opened.append(client) }
                return opened
            }
            connected += opened.compactMap { $0 }
            failures += opened.filter { $0 == nil }.count
            next += batch
        }
        let elapsed = inSeconds(ContinuousClock.now - started)
        try await Task.sleep(for: .seconds(2))
        let rss = server.residentKiB
        print(String(format: "idle: %d of %d clients connected in %.1f s (%d failed); server RSS %.1f MiB (%.1f KiB per connection)",
                     connected.count, clients, elapsed, failures, Double(rss) / 1024, Double(rss) / Double(max(connected.count, 1))))

        // Acked echo over `senders` connections while the others stay connected.
        let count = Mutex(0)
        let deadline = ContinuousClock.now + .seconds(seconds)
        let echoStarted = ContinuousClock.now
        await withTaskGroup(of: Void.self) { group in
            for client in connected.prefix(senders) {
                group.addTask {
                    var sent = 0
                    while ContinuousClock.now < deadline {
                        guard (try? await client.emitWithAck("message-with-ack", [.string("ping"), .int(sent)])) != nil else { return }
                        sent += 1
                    }
                    count.withLock { $0 += sent }
                }
            }
        }
        let echoSeconds = inSeconds(ContinuousClock.now - echoStarted)
        let total = count.withLock { $0 }
        print(String(format: "acked echo: %d messages over %d connections in %.1f s: %.0f messages/s (with %d idle connections held)",
                     total, min(senders, connected.count), echoSeconds, Double(total) / echoSeconds, connected.count))
        for client in connected { await client.disconnect() }
    }

    func raiseFileLimit() {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}

/// `pladmed-bench socketio-server PORT`: the benchmark's server (the official server's default heartbeats,
/// pingInterval 25 s / pingTimeout 20 s, and the echo handlers); prints "listening on 127.0.0.1:PORT".
struct SocketIOBenchServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "socketio-server", abstract: "The server of the socketio benchmark.", shouldDisplay: false)

    @Argument var port = 0

    func run() async throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        let server = SocketIOServer(logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        server.installEchoHandlers()
        let router = Router()
        router.add(middleware: server.middleware())
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(configuration: server.webSocketConfiguration, shouldUpgrade: server.shouldUpgrade),
            configuration: .init(address: .hostname("127.0.0.1", port: port), backlog: 4096),
            onServerRunning: { channel in
                FileHandle.standardOutput.write(Data("listening on 127.0.0.1:\(channel.localAddress?.port ?? 0)\n".utf8))
            },
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await app.runService()
    }
}

/// The benchmark's server child process.
final class ServerProcess {
    let process = Process()
    let port: Int
    var pid: Int32 { process.processIdentifier }

    init() throws {
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["socketio-server", "0"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        var buffer = ""
        while !buffer.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw ValidationError("the server exited: \(buffer)") }
            buffer += String(decoding: chunk, as: UTF8.self)
        }
        guard let port = buffer.split(separator: "\n").first?.split(separator: ":").last.flatMap({ Int($0) }) else {
            throw ValidationError("no port in \(buffer)")
        }
        self.port = port
    }

    /// The child's resident set size, from /proc.
    var residentKiB: Int { pladmed_bench.residentKiB(of: pid) }

    func stop() {
        kill(pid, SIGKILL)
        process.waitUntilExit()
    }
}
