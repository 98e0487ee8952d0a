import Hummingbird
import NIOCore
import PladmedCore

/// Answers `POST /traceroute`, `/ping` and `/dns`, the requests a probe's job waits on, without the generated
/// handlers' decoding: the body (collected and bounded by ``JSONBodyMiddleware``) is parsed once by ``JSONValue``'s
/// parser, where the runtime's `JSONDecoder` decoded the parameters by trial, type after type, for a third of the
/// request's time. The caller is checked by the same ``Authenticator`` first, the operation is made by the same
/// ``OperationScheduler``, and the answer is ``OperationJSON``, the generated handlers' bytes.
struct MeasurementRequestMiddleware<Context: RequestContext>: RouterMiddleware {
    let scheduler: OperationScheduler
    let authenticator: Authenticator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, let route = Self.route(request.uri.path) else { return try await next(request, context) }
        let caller = try await authenticator.caller(request.headers, meeting: AccessPolicy.requirements[route.operationID] ?? .user)
        let body = try Self.decode(try await request.body.collect(upTo: .max))
        let operation = try await scheduler.schedule(
            route.kind, for: caller, probeIDs: body.probes, params: body.params, resultFormat: body.resultFormat)
        return Response(
            status: .created, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: try OperationJSON.text(of: operation))))
    }

    /// The measurement `path` asks for, with its operation's name in ``AccessPolicy``, as the router matches paths:
    /// empty segments (a trailing or doubled `/`) do not count.
    static func route(_ path: String) -> (kind: MeasurementKind, operationID: String)? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        guard segments.count == 1 else { return nil }
        switch segments[0] {
        case "traceroute": return (.traceroute, "createTraceroute")
        case "ping": return (.ping, "createPing")
        case "dns": return (.dns, "createDns")
        default: return nil
        }
    }

    /// A measurement request's fields, as the generated request types declare them: an object whose `probes` is a
    /// list of strings, `params` any value and `result_format` a string, each absent or `null` as `nil`, other
    /// members ignored. Anything else is the contract's `Invalid data provided`. A number without a fraction's worth
    /// (`1.0`, `1e3`) is an integer, as the generated decoding read it; of a repeated member the last counts, as in
    /// the original's parser.
    static func decode(_ body: ByteBuffer) throws -> (probes: [String]?, params: JSONValue?, resultFormat: String?) {
        guard let value = try? body.withUnsafeReadableBytes({ try JSONValue(parsing: $0) }), case .object(let members) = value else {
            throw PladmedError.invalidData
        }
        var probes: [String]?
        switch members["probes"] {
        case nil, .null?: probes = nil
        case .array(let items)?:
            probes = try items.map { item in
                guard case .string(let id) = item else { throw PladmedError.invalidData }
                return id
            }
        default: throw PladmedError.invalidData
        }
        var resultFormat: String?
        switch members["result_format"] {
        case nil, .null?: resultFormat = nil
        case .string(let format)?: resultFormat = format
        default: throw PladmedError.invalidData
        }
        let params = members["params"].flatMap { $0 == .null ? nil : $0.integralNumbersAsIntegers }
        return (probes, params, resultFormat)
    }
}
