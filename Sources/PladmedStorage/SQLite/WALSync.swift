import Foundation
import PladmedCore
#if canImport(Glibc)
import Glibc
#endif

/// Makes commits taken at `synchronous = NORMAL` durable after the fact: an `fdatasync` of the database's WAL
/// file, the one `synchronous = FULL` would have made inside the commit.
///
/// A commit at NORMAL has written its frames to the WAL (readers see it) but not synced them; once the WAL's data
/// is synced, the commit survives a power loss, as it would have at FULL. The sync runs on a queue of its own and
/// covers every commit counted before it began, so operations created together share one `fdatasync`.
final class WALSync: Sendable {
    private struct State {
        /// Commits counted so far, and how many of them a finished sync covers.
        var committed: UInt64 = 0
        var synced: UInt64 = 0
        var syncs = 0
        /// The WAL file, opened at the first sync; reopened when the path names another file.
        var descriptor: Int32 = -1
        var identity: (device: UInt, inode: UInt) = (0, 0)
    }

    /// Why a commit could not be made durable: an internal failure, which the server logs and answers with a 500
    /// that does not describe it.
    struct Failure: Error, CustomStringConvertible {
        let description: String

        /// `what` failed, with the C library's text for `errno`.
        static func errno(_ what: String) -> Failure {
            Failure(description: "\(what): \(String(cString: strerror(Glibc.errno)))")
        }
    }

    /// The WAL's path: the database's with `-wal`.
    let path: String
    private let queue = DispatchQueue(label: "pladmed.sqlite.wal-sync")
    private let state = Mutex(State())

    init(databasePath: String) {
        path = databasePath + "-wal"
    }

    /// How many of the counted commits a finished sync covers.
    var synced: UInt64 { state.withLock { $0.synced } }
    /// How many `fdatasync`s ran.
    var syncs: Int { state.withLock { $0.syncs } }

    deinit {
        state.withLock { state in if state.descriptor >= 0 { close(state.descriptor) } }
    }

    /// Counts a commit that has just returned; ``sync(through:)`` with the answer makes it durable.
    func committed() -> UInt64 {
        state.withLock { state in
            state.committed += 1
            return state.committed
        }
    }

    /// Returns once commit `ticket` (from ``committed()``) is durable.
    func sync(through ticket: UInt64) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            queue.async {
                continuation.resume(with: Result { try self.syncNow(through: ticket) })
            }
        }
    }

    /// On the queue: one `fdatasync` covering every commit counted so far, unless one already covered `ticket`.
    private func syncNow(through ticket: UInt64) throws {
        let (covered, target) = state.withLock { ($0.synced >= ticket, $0.committed) }
        if covered { return }
        let descriptor = try openWAL()
        guard fdatasync(descriptor) == 0 else {
            throw Failure.errno("fdatasync of \(path)")
        }
        state.withLock { state in
            state.synced = max(state.synced, target)
            state.syncs += 1
        }
    }

    /// The WAL's descriptor, opened again when the file at ``path`` is not the one held (SQLite deletes the WAL when
    /// its last connection closes and makes a new one on the next write).
    private func openWAL() throws -> Int32 {
        var current = stat()
        guard stat(path, &current) == 0 else {
            throw Failure.errno("stat of \(path)")
        }
        let identity = (device: UInt(current.st_dev), inode: UInt(current.st_ino))
        if let held = state.withLock({ $0.descriptor >= 0 && $0.identity == identity ? $0.descriptor : nil }) { return held }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        var opened = stat()
        guard descriptor >= 0, fstat(descriptor, &opened) == 0 else {
            let failure = Failure.errno("opening \(path)")
            if descriptor >= 0 { close(descriptor) }
            throw failure
        }
        state.withLock { state in
            if state.descriptor >= 0 { close(state.descriptor) }
            state.descriptor = descriptor
            state.identity = (UInt(opened.st_dev), UInt(opened.st_ino))
        }
        return descriptor
    }
}
