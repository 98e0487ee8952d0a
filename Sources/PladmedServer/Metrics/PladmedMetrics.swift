import Foundation
import Metrics
import PladmedCore
import Prometheus

/// The server's metrics, recorded through swift-metrics into one Prometheus registry per application (so that
/// servers sharing a process, as in the tests, count apart) and exposed at `/metrics` in the text format.
///
/// Series (all prefixed `pladmed_`): `http_requests_total{method,route,status}` and
/// `http_request_duration_seconds{method,route}`; `socketio_sessions` and `probes_connected`;
/// `jobs_dispatched_total{kind}` and `dispatch_duration_seconds`; `results_ingested_total` and
/// `results_refused_total{reason}`; `store_duration_seconds{operation}` and `store_errors_total{operation}`;
/// `credits_charged_total`, `credits_rewarded_total`, `credits_granted_total`; `logins_failed_total` and
/// `logins_rate_limited_total`; `clock_synchronised`, `clock_estimated_error_seconds`,
/// `clock_maximum_error_seconds`; `build_info{version}`.
public final class PladmedMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory

    /// Routes, methods and statuses are bounded sets, so this holds a bounded number of series.
    private let httpSeries = Mutex<[HTTPKey: (requests: Metrics.Counter, duration: Metrics.Timer)]>([:])
    private let dispatched = Mutex<[String: Metrics.Counter]>([:])
    private let refused = Mutex<[String: Metrics.Counter]>([:])
    private let dispatchDuration: Metrics.Timer
    private let ingested: Metrics.Counter
    private let charged: Metrics.FloatingPointCounter
    private let rewarded: Metrics.FloatingPointCounter
    private let granted: Metrics.FloatingPointCounter
    private let loginsFailed: Metrics.Counter
    private let loginsRateLimited: Metrics.Counter
    private let sessions: Metrics.Gauge
    private let probesConnected: Metrics.Gauge
    private let clockSynchronised: Metrics.Gauge
    private let clockEstimatedError: Metrics.Gauge
    private let clockMaximumError: Metrics.Gauge

    private struct HTTPKey: Hashable {
        let method: String, route: String, status: Int
    }

    /// Request and store latencies: from 100 µs to 10 s.
    static let latencyBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    /// An empty registry with the build's version recorded.
    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = Self.latencyBuckets
        self.factory = factory
        dispatchDuration = Metrics.Timer(label: "pladmed_dispatch_duration_seconds", factory: factory)
        ingested = Metrics.Counter(label: "pladmed_results_ingested_total", factory: factory)
        charged = Metrics.FloatingPointCounter(label: "pladmed_credits_charged_total", factory: factory)
        rewarded = Metrics.FloatingPointCounter(label: "pladmed_credits_rewarded_total", factory: factory)
        granted = Metrics.FloatingPointCounter(label: "pladmed_credits_granted_total", factory: factory)
        loginsFailed = Metrics.Counter(label: "pladmed_logins_failed_total", factory: factory)
        loginsRateLimited = Metrics.Counter(label: "pladmed_logins_rate_limited_total", factory: factory)
        sessions = Metrics.Gauge(label: "pladmed_socketio_sessions", factory: factory)
        probesConnected = Metrics.Gauge(label: "pladmed_probes_connected", factory: factory)
        clockSynchronised = Metrics.Gauge(label: "pladmed_clock_synchronised", factory: factory)
        clockEstimatedError = Metrics.Gauge(label: "pladmed_clock_estimated_error_seconds", factory: factory)
        clockMaximumError = Metrics.Gauge(label: "pladmed_clock_maximum_error_seconds", factory: factory)
        Metrics.Gauge(label: "pladmed_build_info", dimensions: [("version", PladmedVersion.current)], factory: factory).record(1)
        // Every series is present from the start, at zero, so that rates work from the first scrape.
        loginsFailed.increment(by: 0)
        loginsRateLimited.increment(by: 0)
        ingested.increment(by: 0)
    }

    /// One answered HTTP request: `route` is the path template (a bounded set), `status` its status.
    func request(method: String, route: String, status: Int, duration: Duration) {
        let key = HTTPKey(method: method, route: route, status: status)
        let series = httpSeries.withLock { table in
            if let found = table[key] { return found }
            let made = (
                Metrics.Counter(
                    label: "pladmed_http_requests_total", dimensions: [("method", method), ("route", route), ("status", String(status))],
                    factory: factory),
                Metrics.Timer(label: "pladmed_http_request_duration_seconds", dimensions: [("method", method), ("route", route)], factory: factory)
            )
            table[key] = made
            return made
        }
        series.requests.increment()
        series.duration.record(duration: duration)
    }

    /// Jobs of `kind` handed to `count` probes' connections, which took `duration`.
    func dispatched(kind: String, count: Int, duration: Duration) {
        counter(in: dispatched, "pladmed_jobs_dispatched_total", ("kind", kind)).increment(by: count)
        dispatchDuration.record(duration: duration)
    }

    /// A result stored (or acknowledged again), with the credits its operation's owner was rewarded.
    func ingested(reward: Double) {
        ingested.increment()
        if reward > 0 { rewarded.increment(by: reward) }
    }

    /// A result refused, `reason` being one of a fixed set of labels.
    func refused(reason: String) {
        counter(in: refused, "pladmed_results_refused_total", ("reason", reason)).increment()
    }

    /// Credits charged for a new operation.
    func charged(_ credits: Double) {
        if credits > 0 { charged.increment(by: credits) }
    }

    /// Credits granted by a superuser.
    func granted(_ credits: Double) {
        if credits > 0 { granted.increment(by: credits) }
    }

    /// A login refused for its credentials.
    func loginFailed() { loginsFailed.increment() }

    /// A login refused by a rate limit.
    func loginRateLimited() { loginsRateLimited.increment() }

    /// A store operation's timer and error counter.
    func storeSeries(_ operation: String) -> (duration: Metrics.Timer, errors: Metrics.Counter) {
        let errors = Metrics.Counter(label: "pladmed_store_errors_total", dimensions: [("operation", operation)], factory: factory)
        errors.increment(by: 0)
        return (Metrics.Timer(label: "pladmed_store_duration_seconds", dimensions: [("operation", operation)], factory: factory), errors)
    }

    /// The text exposition, after the gauges read at scrape time are set.
    func exposition(sessions: Int, probesConnected: Int, clock: ClockState?) -> [UInt8] {
        self.sessions.record(sessions)
        self.probesConnected.record(probesConnected)
        if let clock {
            clockSynchronised.record(clock.synchronised ? 1 : 0)
            clockEstimatedError.record(clock.estimatedError)
            clockMaximumError.record(clock.maximumError)
        }
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return bytes
    }

    private func counter(in table: Mutex<[String: Metrics.Counter]>, _ label: String, _ dimension: (String, String)) -> Metrics.Counter {
        table.withLock { table in
            if let found = table[dimension.1] { return found }
            let made = Metrics.Counter(label: label, dimensions: [dimension], factory: factory)
            table[dimension.1] = made
            return made
        }
    }
}
