import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import PladmedCore
import PladmedServer
import PladmedStorage
import Testing

/// A deliberately broken behaviour of the server, for checking that the conformance suite notices it. Faults
/// exist only in this test target: they wrap the store, the probe hub or the HTTP answers through the seams
/// `PladmedApplication.make` offers, and the server itself has no switch for them.
enum Fault: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// `POST /register` answers 200 instead of 201.
    case wrongStatus
    /// `GET /users/me` leaves out `is_superuser`.
    case missingField
    /// Storing a result never finishes in time, so the probe gets no ack.
    case droppedAck
    /// A repeated `unique_code` is stored again.
    case duplicatedResult
    /// Every operation costs its owner one credit more than it says.
    case wrongCharge
    /// Jobs go to every connected probe, not only the available selected ones.
    case wrongProbe

    var testDescription: String { rawValue }

    /// The cases of the suite that must fail under this fault (others may fail too).
    var caughtBy: [String] {
        switch self {
        case .wrongStatus: ["Accounts / register ok"]
        case .missingField: ["Users / users/me ok"]
        case .droppedAck: ["REST walk with probes A and B connected", "HTTP long-polling, and the upgrade to WebSocket"]
        case .duplicatedResult: ["REST walk with probes A and B connected", "Operation flow: jobs, results, a duplicate, an unknown operation, an upload without ack"]
        case .wrongCharge: ["REST walk with probes A and B connected"]
        case .wrongProbe: ["REST walk with probes A and B connected", "Results from a probe the operation was not given to"]
        }
    }

    /// The store as this fault breaks it.
    func wrap(_ store: any Store) -> any Store {
        switch self {
        case .droppedAck, .duplicatedResult, .wrongCharge: FaultyStore(base: store, fault: self)
        default: store
        }
    }

    /// The hub as this fault breaks it, or `nil` for the registry itself.
    func hub(_ registry: ProbeRegistry) -> (any ProbeHub)? {
        self == .wrongProbe ? EveryProbeHub(base: registry) : nil
    }

    /// The HTTP middleware breaking answers, if this fault is one.
    var middleware: (any RouterMiddleware<PladmedRequestContext>)? {
        switch self {
        case .wrongStatus, .missingField: AnswerBreaker(fault: self)
        default: nil
        }
    }
}

/// Rewrites answers for ``Fault/wrongStatus`` and ``Fault/missingField``.
struct AnswerBreaker: RouterMiddleware {
    let fault: Fault

    func handle(_ request: Request, context: PladmedRequestContext, next: (Request, PladmedRequestContext) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        switch fault {
        case .wrongStatus where request.method == .post && request.uri.path == "/register" && response.status == .created:
            response.status = .ok
        case .missingField where request.uri.path == "/users/me" && response.status == .ok:
            // The route writes the JSON body in one buffer.
            response.headers[.contentLength] = nil
            response.body = response.body.map { buffer in
                guard case .object(var fields) = try JSONValue(parsing: Data(buffer: buffer)) else { return buffer }
                fields["is_superuser"] = nil
                return ByteBuffer(bytes: try JSONValue.object(fields).serialized())
            }
        default:
            break
        }
        return response
    }
}

/// Hands every job to every connected probe (``Fault/wrongProbe``).
struct EveryProbeHub: ProbeHub {
    let base: ProbeRegistry

    func attach(
        probe: ObjectID, connectionID: String, status: ProbeStatus,
        deliver: @escaping @Sendable (ProbeJob) async -> Void, close: @escaping @Sendable () async -> Void
    ) async {
        await base.attach(probe: probe, connectionID: connectionID, status: status, deliver: deliver, close: close)
    }

    func detach(probe: ObjectID, connectionID: String) -> Bool { base.detach(probe: probe, connectionID: connectionID) }

    func adjustInUseCredits(probe: ObjectID, connectionID: String, by delta: Double) -> ProbeStatus? {
        base.adjustInUseCredits(probe: probe, connectionID: connectionID, by: delta)
    }

    func statuses(of probes: [ObjectID]) -> [ObjectID: ProbeStatus] { base.statuses(of: probes) }

    func knownStatuses(of probes: [ObjectID]) -> [ObjectID: ProbeStatus] { base.statuses(of: probes) }

    func revision() -> UInt64 { base.revision() }

    func dispatch(_ job: ProbeJob, to probes: [ObjectID]) async -> [ObjectID] {
        let everyone = Array(base.connectedProbes().keys)
        let handed = await base.dispatch(job, to: everyone)
        return handed.filter(probes.contains)
    }
}

/// The store with ``Fault/droppedAck``, ``Fault/duplicatedResult`` or ``Fault/wrongCharge``.
struct FaultyStore: Store {
    let base: any Store
    let fault: Fault

    var driverName: String { base.driverName }

    func addResult(
        _ result: OperationResult, to operation: ObjectID, reward: Double, rewardedLimit: Int, limit: Int
    ) async throws -> ResultInsertion {
        switch fault {
        case .droppedAck:
            try await Task.sleep(for: .seconds(8))
            return try await base.addResult(result, to: operation, reward: reward, rewardedLimit: rewardedLimit, limit: limit)
        case .duplicatedResult:
            var again = result
            again.uniqueCode += "-" + UUID().uuidString
            return try await base.addResult(again, to: operation, reward: reward, rewardedLimit: rewardedLimit + 1, limit: limit + 1)
        default:
            return try await base.addResult(result, to: operation, reward: reward, rewardedLimit: rewardedLimit, limit: limit)
        }
    }

    func createOperation(_ operation: NewOperation, whenVisible visible: @Sendable (OperationRecord) async -> Void) async throws -> OperationRecord {
        let record = try await base.createOperation(operation, whenVisible: visible)
        if fault == .wrongCharge { _ = try await base.addCredits(-1, to: operation.owner) }
        return record
    }

    func createUser(email: String, passwordHash: String, isSuperuser: Bool) async throws -> User {
        try await base.createUser(email: email, passwordHash: passwordHash, isSuperuser: isSuperuser)
    }
    func user(id: ObjectID) async throws -> User? { try await base.user(id: id) }
    func user(email: String) async throws -> User? { try await base.user(email: email) }
    func revokeTokens(of user: ObjectID) async throws -> User? { try await base.revokeTokens(of: user) }
    func addCredits(_ amount: Double, to user: ObjectID, upTo limit: Double) async throws -> User? {
        try await base.addCredits(amount, to: user, upTo: limit)
    }
    func setProbeLimit(_ limit: Int?, of user: ObjectID) async throws -> User? { try await base.setProbeLimit(limit, of: user) }
    func createProbe(owner: ObjectID, location: Location, limit: Int) async throws -> Probe {
        try await base.createProbe(owner: owner, location: location, limit: limit)
    }
    func rotateProbeToken(_ probe: ObjectID) async throws -> Probe? { try await base.rotateProbeToken(probe) }
    func probes(ids: [ObjectID]) async throws -> [Probe] { try await base.probes(ids: ids) }
    func probes(owner: ObjectID?) async throws -> [Probe] { try await base.probes(owner: owner) }
    func operation(id: ObjectID, includeResults: Bool) async throws -> OperationRecord? { try await base.operation(id: id, includeResults: includeResults) }
    func results(of operation: ObjectID, after: String?, limit: Int, maxBytes: Int) async throws -> [(cursor: String, result: OperationResult)]? {
        try await base.results(of: operation, after: after, limit: limit, maxBytes: maxBytes)
    }
    func forEachResultBatch(
        of operation: ObjectID, batchLimit: Int, batchBytes: Int, _ body: ([OperationResult]) async throws -> Void
    ) async throws -> Bool {
        try await base.forEachResultBatch(of: operation, batchLimit: batchLimit, batchBytes: batchBytes, body)
    }

    func operations(owner: ObjectID?, after: ObjectID?, limit: Int) async throws -> [OperationRecord] {
        try await base.operations(owner: owner, after: after, limit: limit)
    }
    func operations(owner: ObjectID, atMost maxOperations: Int, withResultsUpTo maxBytes: Int) async throws -> [OperationRecord]? {
        try await base.operations(owner: owner, atMost: maxOperations, withResultsUpTo: maxBytes)
    }
    func operations(owner: ObjectID?, includeResults: Bool) async throws -> [OperationRecord] {
        try await base.operations(owner: owner, includeResults: includeResults)
    }
    func users() async throws -> [User] { try await base.users() }
    func importRecords(users: [User], probes: [Probe], operations: [OperationRecord]) async throws {
        try await base.importRecords(users: users, probes: probes, operations: operations)
    }
    func deleteAll() async throws { try await base.deleteAll() }
    func prepare() async throws { try await base.prepare() }
    func ping() async throws { try await base.ping() }
}
