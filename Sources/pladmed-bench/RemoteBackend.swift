import Foundation
import HTTPTypes
import Logging
import PladmedConformance
import PladmedCore
import SocketIO

/// A pladmed backend reached only over HTTP and Socket.IO (ours, the original, anyone's), as the benchmark sets it up:
/// a superuser (created with a `--create-superuser` command when one is given), accounts with credits, probes, and
/// probes connected on our Swift Socket.IO client whose jobs are timed as they arrive.
final class RemoteBackend: Sendable {
    let baseURL: String
    let host: String
    let port: Int
    private let target: HTTPTarget
    private let superuser: (email: String, password: String)
    private let createSuperuser: SuperuserCommand?
    /// When each job (by operation id) reached a probe.
    let arrivals = JobArrivals()

    init(baseURL: String, superuser: String?, createSuperuser: String?) throws {
        guard let components = URLComponents(string: baseURL), let host = components.host else {
            throw BenchError("--base-url must look like http://host:port, not '\(baseURL)'")
        }
        self.baseURL = baseURL
        self.host = host
        self.port = components.port ?? 80
        self.target = try HTTPTarget(baseURL: baseURL, timeout: .seconds(30))
        if let superuser {
            guard let colon = superuser.firstIndex(of: ":") else { throw BenchError("--superuser is EMAIL:PASSWORD") }
            self.superuser = (String(superuser[..<colon]), String(superuser[superuser.index(after: colon)...]))
        } else {
            self.superuser = ("bench-super@example.com", "B3nch!super")
        }
        self.createSuperuser = createSuperuser.map(SuperuserCommand.init)
    }

    /// Waits until the backend answers HTTP.
    func waitUntilAnswering() async throws {
        try await target.waitUntilAnswering(deadline: .seconds(60))
    }

    /// Runs `body` with a kept-alive connection to the backend (see ``HTTPTarget/Session``).
    func withSession<Value: Sendable>(_ body: (HTTPTarget.Session) async throws -> Value) async throws -> Value {
        try await target.withSession(body)
    }

    /// Sends a JSON request on `session`; the status and the parsed answer.
    func call(
        on session: HTTPTarget.Session, _ method: String, _ path: String, _ body: String? = nil, token: String? = nil
    ) async throws -> (status: Int, json: JSONValue?) {
        let answer = try await session.send(
            method, path, headers: token.map { [("access_token", $0)] } ?? [], body: body.map { Data($0.utf8) })
        return (answer.status, try? JSONValue(parsing: answer.body))
    }

    /// Sends a JSON request on a connection of its own; the status and the parsed answer.
    func call(_ method: String, _ path: String, _ body: String? = nil, token: String? = nil) async throws -> (status: Int, json: JSONValue?) {
        try await withSession { session in try await call(on: session, method, path, body, token: token) }
    }

    /// A token of the superuser; when it cannot log in and a command is given, it is created first.
    func superuserToken() async throws -> String {
        if let token = try? await login(superuser.email, superuser.password) { return token }
        guard let createSuperuser else { return try await login(superuser.email, superuser.password) }
        try createSuperuser.run(email: superuser.email, password: superuser.password)
        return try await login(superuser.email, superuser.password)
    }

    func login(_ email: String, _ password: String) async throws -> String {
        let answer = try await call("POST", "/login", #"{"email":"\#(email)","password":"\#(password)"}"#)
        guard let token = answer.json?["access_token"]?.string else { throw BenchError("login of \(email) answered \(answer.status)") }
        return token
    }

    /// A new account with `credits` granted by the superuser; its token and id.
    func account(credits: Double) async throws -> (token: String, id: String) {
        let email = "bench-\(UUID().uuidString.prefix(8).lowercased())@example.com"
        _ = try await call("POST", "/register", #"{"email":"\#(email)","password":"Secure_Pass1"}"#)
        let token = try await login(email, "Secure_Pass1")
        guard let id = try await call("GET", "/users/me", token: token).json?["_id"]?.string else { throw BenchError("no /users/me") }
        if credits > 0 {
            let granted = try await call("POST", "/credits", #"{"id":"\#(id)","credits":\#(credits)}"#, token: try await superuserToken())
            guard granted.status == 200 else { throw BenchError("granting credits answered \(granted.status)") }
        }
        return (token, id)
    }

    /// Registers `count` probes of the account `token`; their ids and probe tokens, in registration order.
    func probes(_ count: Int, token: String) async throws -> [(id: String, token: String)] {
        var tokens: [String] = []
        for index in 0..<count {
            let answer = try await call("POST", "/probes", #"{"location":{"latitude":\#(index % 90),"longitude":\#(index % 180)}}"#, token: token)
            guard let probeToken = answer.json?["token"]?.string else { throw BenchError("registering a probe answered \(answer.status)") }
            tokens.append(probeToken)
        }
        let mine = try await call("GET", "/probes/me", token: token).json?.array ?? []
        let ids = mine.suffix(count).compactMap { $0["identifier"]?.string }
        guard ids.count == count else { throw BenchError("GET /probes/me listed \(ids.count) of \(count) probes") }
        return Array(zip(ids, tokens))
    }

    /// Connects a probe on our Swift client, offering `credits`; its jobs are recorded in ``arrivals`` with the time
    /// their message was read off the WebSocket.
    func connect(probeToken: String, credits: Int = 1_000_000_000) async throws -> SocketIOClient {
        var headers = HTTPFields()
        headers[HTTPField.Name("total_credits")!] = String(credits)
        headers[HTTPField.Name("in_use_credits")!] = "0"
        var options = SocketIOClient.Options(url: baseURL, query: ["token": probeToken], headers: headers)
        let arrivals = self.arrivals
        options.observer = { message, instant in
            if let id = Self.jobID(message) { arrivals.arrived(id, at: instant) }
        }
        let client = SocketIOClient(options: options, logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await client.connect()
        return client
    }

    /// The operation id of a job's message (`42["ping",{"_id":...}]` on the default namespace), or `nil`.
    static func jobID(_ message: WebSocketClientConnection.Message) -> String? {
        guard case .text(let text) = message, text.hasPrefix("42["), let event = try? JSONValue(parsing: text.dropFirst(2)),
              let values = event.array, values.count == 2, let kind = values[0].string, ["traceroute", "ping", "dns"].contains(kind)
        else { return nil }
        return values[1]["_id"]?.string
    }
}

/// When each job arrived, by operation id, and a wait for one.
final class JobArrivals: Sendable {
    private struct State {
        var arrivals: [String: ContinuousClock.Instant] = [:]
        var waiters: [String: CheckedContinuation<ContinuousClock.Instant, Never>] = [:]
    }
    private let state = Mutex(State())

    func arrived(_ id: String, at instant: ContinuousClock.Instant) {
        let waiter = state.withLock { state in
            state.arrivals[id] = instant
            return state.waiters.removeValue(forKey: id)
        }
        waiter?.resume(returning: instant)
    }

    func arrival(of id: String) async -> ContinuousClock.Instant {
        await withCheckedContinuation { continuation in
            let instant = state.withLock { state -> ContinuousClock.Instant? in
                if let instant = state.arrivals[id] { return instant }
                state.waiters[id] = continuation
                return nil
            }
            if let instant { continuation.resume(returning: instant) }
        }
    }
}

/// A benchmark that cannot run, with the reason.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
