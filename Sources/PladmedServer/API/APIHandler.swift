import Foundation
import Hummingbird
import PladmedAPI
import PladmedCore
import PladmedStorage

/// The REST API of `docs/endpoints/openapi.yaml`: every ``APIOperation`` is answered here, in one place each
/// (``handler(for:)``), on the router's route of its method and path. Protected operations check their caller
/// (``Authenticator``, by ``APIOperation/access``) before their body is read; failures are thrown as ``PladmedError``
/// and turned into `{"Error": ...}` answers by ``ErrorMiddleware``. Bodies and answers are the generated types
/// (``JSONRequest``, ``JSONAnswer``), or text written directly where the encoder was most of a request's time.
struct APIHandler: Sendable {
    let store: any Store
    let hub: any ProbeHub
    let authenticator: Authenticator
    /// The kept `GET /probes` answer, forgotten when a probe is written.
    let probeList: ProbeListCache
    let tokens: TokenService
    let passwords: PasswordWorkers
    let scheduler: OperationScheduler
    let production: Bool
    /// The largest balance a grant may produce.
    let maxCredits: Double
    /// Probes an account may register unless a superuser set its own limit.
    let maxProbesPerAccount: Int
    /// Login attempts per client address, and per account.
    let loginsByAddress: any ActionLimiter
    let loginsByAccount: any ActionLimiter
    let metrics: PladmedMetrics
    /// Set once a graceful stop begins: `/health` answers `draining`.
    let drain: DrainState
    /// The kernel's clock-sync state, read per `/health` request.
    let clock: @Sendable () -> ClockState?
    /// Operations, or results, read from the store at a time when an answer is streamed.
    let pageSize: Int
    /// Bytes of stored content read from the store at a time when an answer is streamed.
    let pageBytes: Int

    /// An operation's answer to a request, given its caller (`nil` for an operation anyone may call).
    typealias Handler = @Sendable (Request, User?) async throws -> Response

    /// The one implementation of `operation`.
    func handler(for operation: APIOperation) -> Handler {
        switch operation {
        case .register: register
        case .login: login
        case .logout: logout
        case .getCurrentUser: getCurrentUser
        case .addCredits: addCredits
        case .setProbeLimit: setProbeLimit
        case .listProbes: listProbes
        case .registerProbe: registerProbe
        case .rotateProbeToken: rotateProbeToken
        case .listOwnProbes: listOwnProbes
        case .createTraceroute: { try await schedule(.traceroute, $0, $1, operation) }
        case .createPing: { try await schedule(.ping, $0, $1, operation) }
        case .createDns: { try await schedule(.dns, $0, $1, operation) }
        case .getOperation: getOperation
        case .getOperationResults: getOperationResults
        case .listOwnOperations: listOwnOperations
        case .listOperations: listOperations
        case .deleteAll: deleteAll
        case .getHealth: getHealth
        }
    }

    /// Adds every operation's route to `router`.
    func register(on router: Router<PladmedRequestContext>) {
        for operation in APIOperation.allCases {
            let handle = handler(for: operation), authenticator = self.authenticator
            router.on(RouterPath(operation.path), method: operation.method) { request, _ in
                guard let requirement = operation.access else { return try await handle(request, nil) }
                return try await handle(request, try await authenticator.caller(request.headers, meeting: requirement))
            }
        }
    }
}

extension User {
    /// The caller of a protected operation (its handler runs only once ``Authenticator`` found one).
    static func required(_ caller: User?) throws -> User {
        guard let caller else { throw PladmedError.unauthorized }
        return caller
    }
}
