import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PladmedCore
import PladmedServer
import PladmedStorage
import PladmedTestSupport
import Testing

/// The stores the conformance tests run against.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// A fresh SQLite file.
    case sqlite
    /// A fresh database on the shared SecantusDB server, through libmongoc (`DATABASE=mongo`).
    case mongo

    var testDescription: String { self == .sqlite ? "SQLite" : "MongoDB (SecantusDB)" }
}

/// The real server, started in-process on a free port over a fresh store, with a clock the test sets.
struct ServerHarness {
    let folder = TemporaryDirectory()
    let store: any Store
    let registry = ProbeRegistry()
    let clock = Mutex(Date())
    let configuration: ServerConfiguration

    init(store kind: StoreKind = .sqlite, production: Bool = false, environment extra: [String: String] = [:], prepare: Bool = true) async throws {
        var environment = ["SECRET_KEY": "dev", "HOST": "127.0.0.1", "PORT": "0"].merging(extra) { $1 }
        if production { environment["PLADMED_ENV"] = "production" }
        environment["DATABASE"] = kind.rawValue
        environment["PLADMED_SQLITE_PATH"] = folder.path("pladmed.sqlite")
        if kind == .mongo && environment["MONGODB_URI"] == nil { environment["MONGODB_URI"] = try SecantusServer.shared().uri() }
        configuration = try ServerConfiguration(environment: environment)
        store = try PladmedApplication.openStore(configuration)
        if prepare { try await PladmedApplication.prepare(store, logger: Logger(label: "pladmed-test"), retrying: false) }
    }

    /// Runs `body` with a client connected over a real socket to the running server, broken by `fault` if given,
    /// recording into `metrics`, reporting `clockState` (the kernel's when `nil`) and stopping through `drain`.
    func run(
        fault: Fault? = nil, metrics: PladmedMetrics = PladmedMetrics(), drain: ServerDrain? = nil,
        clockState: (@Sendable () -> ClockState?)? = nil, log: CapturedLog? = nil,
        _ body: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        var logger = log.map { log in Logger(label: "pladmed-test") { _ in log } } ?? Logger(label: "pladmed-test")
        logger.logLevel = log == nil ? .warning : .info
        let clock = self.clock
        let app = try PladmedApplication.make(
            configuration: configuration, store: fault?.wrap(store) ?? store, registry: registry, hub: fault?.hub(registry),
            middleware: fault?.middleware, metrics: metrics, drain: drain, clock: clockState ?? { ClockState.read() }, logger: logger,
            now: { clock.withLock { $0 } })
        try await app.test(.live, body)
    }
}

/// A log handler keeping every line written through it, as the line log handler would write it (message and
/// metadata), so that a test can weigh what a request made the server log.
final class CapturedLog: LogHandler, @unchecked Sendable {
    private let lines = Mutex<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = metadata.merging(event.metadata ?? [:]) { $1 }.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
        lines.withLock { $0.append("\(event.level) \(event.message) \(fields)") }
    }

    /// The lines so far.
    var all: [String] { lines.withLock { $0 } }
    /// Bytes written so far.
    var bytes: Int { all.reduce(0) { $0 + $1.utf8.count } }
}

/// A response, decoded for comparisons.
struct Answer {
    let status: Int
    let headers: HTTPFields
    let body: Data

    var json: JSONValue? { try? JSONValue(parsing: body) }

    init(_ response: TestResponse) {
        status = response.status.code
        headers = response.headers
        body = Data(buffer: response.body)
    }
}

extension TestClientProtocol {
    /// Sends a request with the given header names verbatim (such as `access_token`).
    func send(_ method: HTTPRequest.Method, _ path: String, headers: [String: String] = [:], body: String? = nil) async throws -> Answer {
        var fields = HTTPFields()
        for (name, value) in headers {
            guard let field = HTTPField.Name(name) else { continue }
            fields.append(HTTPField(name: field, value: value))
        }
        let buffer = body.map { ByteBuffer(string: $0) }
        return Answer(try await execute(uri: path, method: method, headers: fields, body: buffer))
    }
}
