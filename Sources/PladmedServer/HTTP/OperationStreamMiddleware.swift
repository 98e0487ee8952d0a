import Foundation
import Hummingbird
import NIOCore
import PladmedCore
import PladmedStorage

/// Answers `GET /operation?id=` as a stream: the operation's fields first, then its results read from the store
/// a page at a time and written as they are read, so that answering an operation of any size holds a page of
/// results in memory, never the whole answer. The JSON is the one the generated handler would write (keys sorted
/// at every level); the OpenAPI document describes it as before.
struct OperationStreamMiddleware<Context: RequestContext>: RouterMiddleware {
    let store: any Store
    /// Results read from the store at a time, at most.
    let pageSize: Int
    /// Bytes of stored content read from the store at a time (one larger result is read alone).
    let pageBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get, request.uri.path == "/operation" else { return try await next(request, context) }
        guard let id = request.uri.queryParameters["id"].flatMap({ ObjectID(String($0)) }),
              let operation = try await store.operation(id: id, includeResults: false)
        else { throw PladmedError.unknownOperation }
        let head = try OperationJSON.head(of: operation)
        let store = self.store, pageSize = self.pageSize, pageBytes = self.pageBytes
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: head))
            var after: Int?, first = true
            while let page = try await store.results(of: id, after: after, limit: pageSize, maxBytes: pageBytes), !page.isEmpty {
                for (position, result) in page {
                    try await writer.write(ByteBuffer(string: (first ? "" : ",") + OperationJSON.prefix(of: result)))
                    try await writer.write(ByteBuffer(string: try OperationJSON.sortedText(result.content)))
                    try await writer.write(ByteBuffer(string: "}"))
                    first = false
                    after = position
                }
            }
            try await writer.write(ByteBuffer(string: "]}"))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: body)
    }
}
