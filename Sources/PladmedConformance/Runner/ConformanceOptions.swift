import Foundation

/// What a conformance run judges and how.
public struct ConformanceOptions: Sendable {
    /// `http://host:port` of the backend under test.
    public var baseURL: String
    public var profile: Profile = .strict
    /// Run only cases with one of these tags (empty: all). Cases tagged `setup` always run.
    public var only: Set<String> = []
    /// Skip cases with one of these tags.
    public var skip: Set<String> = []
    /// Fixes every generated value (the run's email addresses, unique codes).
    public var seed: UInt64 = 1
    /// The longest wait for one answer or frame; the target gets six times as long to start answering.
    public var timeout: Duration = .seconds(10)
    /// The superuser the run creates after wiping the target, and logs in as.
    public var superuser: (email: String, password: String) = ("conformance-super@example.com", "Sup3r!secret")
    /// Creates the superuser on the target (the CLI runs `--create-superuser`); without it, cases tagged
    /// `superuser` are skipped.
    public var createSuperuser: (@Sendable (_ email: String, _ password: String) async throws -> Void)?
    /// `docs/endpoints/pladmed.postman_collection.json`.
    public var collectionPath: String
    /// `Fixtures/probe-sessions`.
    public var sessionsDirectory: String
    /// `docs/endpoints/openapi.yaml`.
    public var specificationPath: String
    /// Where session attachments (`Fixtures/warts/...`) are found.
    public var fixturesRoot: String
    /// An `Origin` header for the probes' WebSocket upgrades; none by default, as real probes send none.
    public var origin: String?
    /// Called as each case ends (suite name, case), for progress output.
    public var progress: (@Sendable (String, ConformanceReport.Case) -> Void)?

    /// Options with the repository's fixtures under `root` (the current directory for the CLI).
    public init(baseURL: String, root: String) {
        self.baseURL = baseURL
        self.collectionPath = root + "/docs/endpoints/pladmed.postman_collection.json"
        self.sessionsDirectory = root + "/Fixtures/probe-sessions"
        self.specificationPath = root + "/docs/endpoints/openapi.yaml"
        self.fixturesRoot = root
    }

    /// Why a case with `tags` does not run, or `nil` when it does.
    func skipReason(tags: [String]) -> String? {
        if let tag = tags.first(where: skip.contains) { return "--skip \(tag)" }
        if !only.isEmpty, !tags.contains("setup"), !tags.contains(where: only.contains) { return "not selected by --only" }
        if createSuperuser == nil, tags.contains("superuser") { return "no --create-superuser command" }
        return nil
    }
}
