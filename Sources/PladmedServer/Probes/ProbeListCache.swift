import Hummingbird
import NIOCore
import PladmedCore

/// The last encoded answer of `GET /probes`, kept while nothing it shows has changed: it is keyed by the
/// ``ProbeHub/revision()`` (probes connecting, disconnecting, their credits) and by a local revision that probe
/// writes through this instance bump (``invalidate()``). Probes another instance registers in a shared
/// database bump neither, nor does a cluster instance that dies (its probes drop out when its liveness expires), so
/// an answer is also rebuilt once it is `maxAge` old.
final class ProbeListCache: Sendable {
    /// What an answer was built from.
    struct Key: Equatable {
        let hub: UInt64
        let local: UInt64
    }

    /// A kept answer.
    struct Answer {
        let key: Key
        let headers: HTTPFields
        let body: ByteBuffer
        let built: NIODeadline
    }

    private struct State {
        var local: UInt64 = 0
        var answer: Answer?
    }

    let maxAge: TimeAmount
    /// Answers larger than this are not kept.
    let maxBytes: Int
    private let state = Mutex(State())

    init(maxAge: TimeAmount, maxBytes: Int = 8 << 20) {
        self.maxAge = maxAge
        self.maxBytes = maxBytes
    }

    /// The key of an answer built now, given the hub's revision.
    func key(hub: UInt64) -> Key {
        Key(hub: hub, local: state.withLock { $0.local })
    }

    /// The kept answer for `key`, unless it is older than ``maxAge`` at `now`.
    func answer(for key: Key, now: NIODeadline) -> Answer? {
        state.withLock { state in
            guard let answer = state.answer, answer.key == key, now - answer.built < maxAge else { return nil }
            return answer
        }
    }

    /// Keeps `answer` (the caller keeps only answers of at most ``maxBytes``), unless the local revision moved on
    /// since its key was taken.
    func keep(_ answer: Answer) {
        state.withLock { state in
            if state.local == answer.key.local { state.answer = answer }
        }
    }

    /// Forgets the kept answer: a probe was written (registered, deleted) through this instance.
    func invalidate() {
        state.withLock { state in
            state.local &+= 1
            state.answer = nil
        }
    }
}
