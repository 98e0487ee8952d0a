import Testing
@testable import SocketIO

/// The bookkeeping of acks awaited: early answers, deadlines, one sweeper, failure of everything on close.
@Suite("Ack waiters", .timeLimit(.minutes(1)))
struct AckWaitersTests {
    /// Records the sweeper deadlines armed; the tasks do nothing.
    final class Arms: @unchecked Sendable {
        var deadlines: [ContinuousClock.Instant] = []
        func arm(_ deadline: ContinuousClock.Instant, _ generation: Int) -> Task<Void, Never> {
            deadlines.append(deadline)
            return Task {}
        }
    }

    /// Registers a wait for `id`, runs `body` right after, and returns what the wait got.
    static func wait(_ acks: inout AckWaiters, _ id: Int, until deadline: ContinuousClock.Instant, arms: Arms,
                     then body: (inout AckWaiters) -> Void) async -> Result<[SocketIOValue], any Error> {
        do {
            return .success(try await withCheckedThrowingContinuation { continuation in
                acks.wait(id, continuation, until: deadline, arm: arms.arm)
                body(&acks)
            })
        } catch {
            return .failure(error)
        }
    }

    @Test("an ack that arrives while its packet is written answers the wait at once; unknown and late acks are dropped")
    func earlyAndUnknown() async throws {
        var acks = AckWaiters()
        let arms = Arms()
        let id = acks.begin()
        acks.answer(id, with: [.string("early")])
        acks.answer(99, with: [.string("nobody asked")])
        let result = await Self.wait(&acks, id, until: .now + .seconds(60), arms: arms) { _ in }
        #expect(try result.get() == [.string("early")])
        #expect(arms.deadlines.isEmpty, "no sweeper for a wait answered at once")
        acks.answer(id, with: [.string("late")])
    }

    @Test("a wait is answered by its ack; the sweeper is armed once for the earliest deadline and re-armed for an earlier one")
    func answeredAndArmed() async throws {
        var acks = AckWaiters()
        let arms = Arms()
        let start = ContinuousClock.now
        let first = acks.begin(), second = acks.begin()
        let answered = await Self.wait(&acks, first, until: start + .seconds(10), arms: arms) { acks in
            acks.answer(first, with: [.int(1)])
        }
        #expect(try answered.get() == [.int(1)])
        #expect(arms.deadlines == [start + .seconds(10)])
        let timedOut = await Self.wait(&acks, second, until: start - .seconds(1), arms: arms) { acks in
            // An earlier deadline re-arms; a stale generation's sweep does nothing; the current one fails the
            // wait whose deadline has passed.
            acks.sweep(generation: 1, arm: arms.arm)
            acks.sweep(generation: 2, arm: arms.arm)
        }
        #expect(arms.deadlines == [start + .seconds(10), start - .seconds(1)])
        #expect(throws: SocketIOError.ackTimeout) { try timedOut.get() }
    }

    @Test("closing fails every wait with disconnected")
    func failAll() async throws {
        var acks = AckWaiters()
        let arms = Arms()
        let id = acks.begin()
        let result = await Self.wait(&acks, id, until: .now + .seconds(60), arms: arms) { acks in acks.failAll(.disconnected) }
        #expect(throws: SocketIOError.disconnected) { try result.get() }
    }
}
