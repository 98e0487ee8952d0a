import Foundation
import PladmedAPI
import PladmedCore
import PladmedStorage

/// The REST API: implements the protocol generated from `docs/endpoints/openapi.yaml`.
///
/// Protected operations find their caller in ``AuthenticatedUser/current``; failures are thrown as
/// ``PladmedError`` and turned into `{"Error": ...}` answers by ``ErrorMiddleware``.
struct APIHandler: APIProtocol {
    let store: any Store
    let hub: any ProbeHub
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
}
