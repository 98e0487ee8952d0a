import Hummingbird
import NIOCore

/// A response body writer that keeps what it is given, to turn a written body into one buffer.
struct BodyCollector: ResponseBodyWriter {
    final class Storage {
        var buffer: ByteBuffer
        init(capacity: Int) { buffer = ByteBufferAllocator().buffer(capacity: capacity) }
    }

    let storage: Storage

    init(capacity: Int) {
        storage = Storage(capacity: capacity)
    }

    /// Everything `body` writes, in one buffer (`capacity` bytes reserved up front).
    static func collect(_ body: ResponseBody, capacity: Int) async throws -> ByteBuffer {
        let collector = BodyCollector(capacity: capacity)
        try await body.write(collector)
        return collector.storage.buffer
    }

    mutating func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        storage.buffer.writeBuffer(&buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
