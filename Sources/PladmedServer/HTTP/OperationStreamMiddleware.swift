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
        let head = try Self.head(of: operation)
        let store = self.store, pageSize = self.pageSize, pageBytes = self.pageBytes
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: head))
            var after: Int?, first = true
            while let page = try await store.results(of: id, after: after, limit: pageSize, maxBytes: pageBytes), !page.isEmpty {
                for (position, result) in page {
                    var text = first ? "" : ","
                    first = false
                    text += #"{"probe":""# + result.probe.hex + #"","results":"#
                    try await writer.write(ByteBuffer(string: text))
                    try await writer.write(ByteBuffer(string: try Self.sortedText(result.content)))
                    try await writer.write(ByteBuffer(string: "}"))
                    after = position
                }
            }
            try await writer.write(ByteBuffer(string: "]}"))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: body)
    }

    /// A result's content as JSON with sorted keys: a string (`dump`, `text`) is written as stored; a list of values
    /// (`json`) is parsed and written again, its objects' keys sorted as the generated encoder sorts them.
    static func sortedText(_ content: JSONPayload) throws -> String {
        let text = try content.text()
        return text.utf8.first == UInt8(ascii: "\"") ? text : try content.value().serializedText()
    }

    /// `{"_id":...,"credits":...,"params":...,"probes":[...],"result_format":...,"results":[`: the operation without
    /// its results, left open for them.
    static func head(of operation: OperationRecord) throws -> String {
        let probes: [JSONValue] = operation.probes.map { probe in
            var fields: [String: JSONValue] = ["identifier": .string(probe.id.hex), "owner_id": .string(probe.owner.hex)]
            if let location = probe.location {
                fields["location"] = .object(["latitude": .double(location.latitude), "longitude": .double(location.longitude)])
            }
            return .object(fields)
        }
        let fields: JSONValue = .object([
            "_id": .string(operation.id.hex), "credits": .double(operation.credits), "params": operation.params,
            "probes": .array(probes), "result_format": .string(operation.resultFormat),
        ])
        return String(try fields.serializedText().dropLast()) + #","results":["#
    }
}
