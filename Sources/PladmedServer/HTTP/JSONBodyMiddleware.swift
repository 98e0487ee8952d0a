import Hummingbird
import NIOCore
import PladmedCore

/// Collects every request body and bounds it before anything decodes it: larger than `maxBytes` answers 413, nested
/// deeper than `maxDepth` answers 400. The handlers then read it as JSON whatever its `Content-Type` says, as the
/// original did (Flask's `get_json(force=True)`).
struct JSONBodyMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBytes: Int
    let maxDepth: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard [.post, .put, .patch].contains(request.method) else { return try await next(request, context) }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBytes)
        } catch is NIOTooManyBytesError {
            throw PladmedError(status: 413, message: "The request body is larger than \(maxBytes) bytes")
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw PladmedError(status: 413, message: "The request body is larger than \(maxBytes) bytes")
        }
        guard Self.nesting(of: body.readableBytesView) <= maxDepth else {
            throw PladmedError.badRequest("The request body nests deeper than \(maxDepth) levels")
        }
        var request = request
        request.body = .init(buffer: body)
        return try await next(request, context)
    }

    /// The deepest nesting of arrays and objects in JSON text (brackets inside strings do not count); malformed
    /// text is left for the decoder to refuse.
    static func nesting(of bytes: some Collection<UInt8>) -> Int {
        var depth = 0, deepest = 0, inString = false, escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                deepest = max(deepest, depth)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return deepest
    }
}
