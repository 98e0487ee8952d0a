import Foundation
import Synchronization

/// Runs a child process to its end from async code without holding one of the cooperative pool's threads
/// (two on a two-core machine): a test that waited for a child there could starve a server running in the same
/// test process, which the child, or a test running beside it, is talking to.
public enum ChildProcess {
    nonisolated(unsafe) private static var doomed: [Int32] = []
    private static let doomedLock = NSLock()

    /// Kills process `pid` (SIGKILL) when the test process exits, should nothing have stopped it before: the servers
    /// tests start must not outlive them.
    public static func killAtExit(_ pid: Int32) {
        doomedLock.withLock {
            if doomed.isEmpty { atexit { for pid in ChildProcess.doomed { kill(pid, SIGKILL) } } }
            doomed.append(pid)
        }
    }

    /// How a child ended, and what it printed.
    public struct Run: Sendable {
        public let status: Int32
        /// Standard output (with standard error when the run merged them).
        public let output: Data
        /// Standard error, unless merged into ``output``.
        public let errors: Data

        /// ``output`` as UTF-8 text.
        public var text: String { String(decoding: output, as: UTF8.self) }
    }

    /// Runs `executable` with `arguments`; with `environment`, the child sees only it. With `mergeErrors`,
    /// standard error goes to ``Run/output``; otherwise to ``Run/errors``.
    public static func run(
        _ executable: URL, _ arguments: [String], environment: [String: String]? = nil, directory: URL? = nil, mergeErrors: Bool = false
    ) async throws -> Run {
        try await offCooperativePool {
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            if let environment { process.environment = environment }
            if let directory { process.currentDirectoryURL = directory }
            let output = Pipe(), errors = Pipe()
            process.standardOutput = output
            process.standardError = mergeErrors ? output : errors
            try process.run()
            // Standard error is read on its own thread so that neither pipe can fill while the other is read.
            let errorData = Mutex(Data())
            let errorsRead = DispatchGroup()
            if !mergeErrors {
                DispatchQueue.global().async(group: errorsRead) {
                    let data = errors.fileHandleForReading.readDataToEndOfFile()
                    errorData.withLock { $0 = data }
                }
            }
            let data = output.fileHandleForReading.readDataToEndOfFile()
            errorsRead.wait()
            process.waitUntilExit()
            return Run(status: process.terminationStatus, output: data, errors: errorData.withLock { $0 })
        }
    }

    /// Runs blocking `work` on a Dispatch thread and awaits its result.
    public static func offCooperativePool<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Swift.Result { try work() }) }
        }
    }
}
