import PladmedCore
import Testing

@Suite("Probe registry")
struct ProbeRegistryTests {
    actor Inbox {
        var jobs: [String] = []
        func add(_ job: String) { jobs.append(job) }
    }

    @Test("the newest connection wins and an old disconnect leaves it connected")
    func newestWins() async {
        let registry = ProbeRegistry()
        let probe = ObjectID()
        #expect(registry.connect(probe: probe, connectionID: "a", status: .init(totalCredits: 10, inUseCredits: 0)) { _ in } == nil)
        let replaced = registry.connect(probe: probe, connectionID: "b", status: .init(totalCredits: 20, inUseCredits: 5)) { _ in }
        #expect(replaced?.id == "a")
        #expect(!registry.disconnect(probe: probe, connectionID: "a"))
        #expect(registry.connectedProbes()[probe] == ProbeStatus(totalCredits: 20, inUseCredits: 5))
        #expect(registry.adjustInUseCredits(probe: probe, connectionID: "a", by: 3) == nil)
        #expect(registry.adjustInUseCredits(probe: probe, connectionID: "b", by: 3)?.inUseCredits == 8)
        #expect(registry.disconnect(probe: probe, connectionID: "b"))
        #expect(registry.connectedProbes().isEmpty)
    }

    @Test("the revision moves with every change of what connectedProbes() answers, and only then")
    func revision() async {
        let registry = ProbeRegistry()
        let probe = ObjectID()
        var seen = registry.revision()
        func moved() async -> Bool {
            let now = registry.revision()
            defer { seen = now }
            return now != seen
        }
        registry.connect(probe: probe, connectionID: "a", status: .init(totalCredits: 10, inUseCredits: 0)) { _ in }
        #expect(await moved())
        registry.adjustInUseCredits(probe: probe, connectionID: "a", by: 2)
        #expect(await moved())
        registry.adjustInUseCredits(probe: probe, connectionID: "a", by: 0)
        #expect(await !moved())
        registry.adjustInUseCredits(probe: probe, connectionID: "other", by: 2)
        #expect(await !moved())
        registry.disconnect(probe: probe, connectionID: "other")
        #expect(await !moved())
        registry.disconnect(probe: probe, connectionID: "a")
        #expect(await moved())
    }

    @Test("jobs go only to the named connected probes")
    func dispatch() async throws {
        let registry = ProbeRegistry()
        let inbox = Inbox()
        let (a, b, offline) = (ObjectID(), ObjectID(), ObjectID())
        registry.connect(probe: a, connectionID: "a", status: .init(totalCredits: 1, inUseCredits: 0)) { await inbox.add("a:\($0.kind)") }
        registry.connect(probe: b, connectionID: "b", status: .init(totalCredits: 1, inUseCredits: 0)) { await inbox.add("b:\($0.kind)") }
        let operation = OperationRecord(id: ObjectID(), kind: .dns, owner: ObjectID(), params: .object([:]), probes: [],
                                        credits: 2, resultFormat: "text")
        let job = ProbeJob(operation: operation, costPerExecution: 2)
        #expect(job.payload["credits"] == .int(2))
        #expect(job.payload["results"] == .array([]))
        #expect(job.payload["probes"] == nil)
        let sent = await registry.dispatch(job, to: [a, offline])
        #expect(sent == [a])
        #expect(await inbox.jobs == ["a:dns"])
    }
}
