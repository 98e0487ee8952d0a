import GRDB
import PladmedCore

/// Runs many small writes in shared transactions: one commit (one `fsync` of the WAL) for every write that
/// arrived while the previous commit was in flight.
///
/// Each write runs in its own savepoint, so one that throws is rolled back alone and reports its own error;
/// the others commit. Callers are resumed only after the commit that holds their write, so an answer always
/// means "durably stored". When the commit itself fails, every write of the batch gets that error and none is
/// stored.
final class GroupCommitWriter<Outcome: Sendable>: Sendable {
    typealias Write = @Sendable (Database) throws -> Outcome

    private struct Pending {
        let write: Write
        let continuation: CheckedContinuation<Outcome, any Error>
    }

    private struct State {
        var queue: [Pending] = []
        var draining = false
    }

    private let database: DatabasePool
    private let maxBatch: Int
    private let state = Mutex(State())

    /// A writer on `database` committing at most `maxBatch` writes at a time.
    init(database: DatabasePool, maxBatch: Int = 512) {
        self.database = database
        self.maxBatch = maxBatch
    }

    /// Runs `write` in the next shared transaction and returns its outcome once that transaction is committed.
    func write(_ write: @escaping Write) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            let startDrain = state.withLock { state in
                state.queue.append(Pending(write: write, continuation: continuation))
                defer { state.draining = true }
                return !state.draining
            }
            if startDrain { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLock { state -> [Pending] in
                let batch = Array(state.queue.prefix(maxBatch))
                state.queue.removeFirst(batch.count)
                if batch.isEmpty { state.draining = false }
                return batch
            }
            if batch.isEmpty { return }
            do {
                let outcomes = try await database.write { db in
                    batch.map { pending in
                        var outcome: Result<Outcome, any Error> = .failure(CancellationError())
                        do {
                            try db.inSavepoint {
                                outcome = .success(try pending.write(db))
                                return .commit
                            }
                        } catch {
                            outcome = .failure(error)
                        }
                        return outcome
                    }
                }
                for (pending, outcome) in zip(batch, outcomes) { pending.continuation.resume(with: outcome) }
            } catch {
                for pending in batch { pending.continuation.resume(throwing: error) }
            }
        }
    }
}
