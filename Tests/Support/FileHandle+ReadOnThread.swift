import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension FileHandle {
    /// Reads this handle (a child's output) to its end on a thread of its own, handing each chunk read to `chunk` as
    /// it arrives; the thread keeps the handle open until the end of file.
    ///
    /// A blocking read rather than `readabilityHandler`: that handler's dispatch read source, torn down while its
    /// child exits, can leave libdispatch's epoll bookkeeping pointing at freed memory on Linux, and the manager
    /// thread then crashes the whole process in `_dispatch_event_loop_drain` (swiftlang/swift-corelibs-libdispatch
    /// issue 949). CI's test process died of it once, during the crash tests' teardown of their probe children.
    public func readOnThread(_ chunk: @escaping @Sendable (Data) -> Void = { _ in }) {
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(fileDescriptor, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { return }
                chunk(Data(buffer[..<count]))
            }
        }
        thread.name = "child-output"
        thread.start()
    }
}
