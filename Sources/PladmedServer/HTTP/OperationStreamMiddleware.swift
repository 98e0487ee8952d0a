import Foundation
import Hummingbird
import NIOCore
import PladmedCore
import PladmedStorage

/// Answers the routes whose answers grow with what is stored, as streams: `GET /operation?id=` (one operation and
/// its results), `GET /operations/me` (the caller's operations with their results) and `GET /operations` (every
/// operation, without results). Operations are read from the store a page at a time, and results a page at a time
/// within each, written as they are read: answering holds a page in memory, never the whole answer. The JSON is the
/// one the generated handlers would write (keys sorted at every level); the OpenAPI document describes it as before.
/// The callers of the two lists are checked by the same ``Authenticator`` as every protected operation.
struct OperationStreamMiddleware<Context: RequestContext>: RouterMiddleware {
    let store: any Store
    let authenticator: Authenticator
    /// Operations, or results, read from the store at a time, at most.
    let pageSize: Int
    /// Bytes of stored content read from the store at a time (one larger result is read alone).
    let pageBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get else { return try await next(request, context) }
        switch request.uri.path {
        case "/operation":
            guard let id = request.uri.queryParameters["id"].flatMap({ ObjectID(String($0)) }),
                  let operation = try await store.operation(id: id, includeResults: false)
            else { throw PladmedError.unknownOperation }
            let head = try OperationJSON.head(of: operation)
            return stream { writer in
                try await writer.write(ByteBuffer(string: head))
                try await writeResults(of: id, to: &writer)
                try await writer.write(ByteBuffer(string: "]}"))
            }
        case "/operations/me":
            let caller = try await authenticator.caller(request.headers, meeting: AccessPolicy.requirements["listOwnOperations"] ?? .user)
            return try await list(owner: caller.id, withResults: true)
        case "/operations":
            _ = try await authenticator.caller(request.headers, meeting: AccessPolicy.requirements["listOperations"] ?? .user)
            return try await list(owner: nil, withResults: false)
        default:
            return try await next(request, context)
        }
    }

    /// `[...]`: the operations of `owner` (everyone's when `nil`), with or without their results. The first page is
    /// read before answering, so that a store that cannot be read answers an error, not a cut stream.
    private func list(owner: ObjectID?, withResults: Bool) async throws -> Response {
        let first = try await store.operations(owner: owner, after: nil, limit: pageSize)
        return stream { writer in
            try await writer.write(ByteBuffer(string: "["))
            var page = first, separator = ""
            while !page.isEmpty {
                for operation in page {
                    if withResults {
                        try await writer.write(ByteBuffer(string: separator + (try OperationJSON.head(of: operation))))
                        try await writeResults(of: operation.id, to: &writer)
                        try await writer.write(ByteBuffer(string: "]}"))
                    } else {
                        try await writer.write(ByteBuffer(string: separator + (try OperationJSON.summary(of: operation))))
                    }
                    separator = ","
                }
                guard page.count == pageSize, let last = page.last else { break }
                page = try await store.operations(owner: owner, after: last.id, limit: pageSize)
            }
            try await writer.write(ByteBuffer(string: "]"))
        }
    }

    /// The results of `operation`, comma-separated, a page at a time.
    private func writeResults(of operation: ObjectID, to writer: inout any ResponseBodyWriter) async throws {
        var after: Int?, first = true
        while let page = try await store.results(of: operation, after: after, limit: pageSize, maxBytes: pageBytes), !page.isEmpty {
            for (position, result) in page {
                try await writer.write(ByteBuffer(string: (first ? "" : ",") + OperationJSON.prefix(of: result)))
                try await writer.write(ByteBuffer(string: try OperationJSON.sortedText(result.content)))
                try await writer.write(ByteBuffer(string: "}"))
                first = false
                after = position
            }
        }
    }

    private func stream(_ body: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody { writer in
                try await body(&writer)
                try await writer.finish(nil)
            })
    }
}
