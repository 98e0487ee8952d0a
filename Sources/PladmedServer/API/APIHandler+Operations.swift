import Hummingbird
import NIOCore
import PladmedAPI
import PladmedCore

extension APIHandler {
    /// `POST /traceroute`, `/ping`, `/dns`: the body read as the generated request types declare it (below), the
    /// operation made by the ``OperationScheduler``, the answer written by ``OperationJSON``: the generated types'
    /// bytes, without the decoder's trial of every type for the free-form parameters nor the encoder.
    func schedule(_ kind: MeasurementKind, _ request: Request, _ caller: User?, _ operation: APIOperation) async throws -> Response {
        let caller = try User.required(caller)
        let body = try Self.measurementRequest(try await JSONRequest.value(of: request, for: operation))
        let created = try await scheduler.schedule(
            kind, for: caller, probeIDs: body.probes, params: body.params, resultFormat: body.resultFormat)
        return JSONAnswer.text(try OperationJSON.text(of: created), status: .created)
    }

    /// A measurement request's fields, as the generated request types declare them: an object whose `probes` is a
    /// list of strings, `params` any value and `result_format` a string, each absent or `null` as `nil`, other
    /// members ignored. Anything else is the contract's `Invalid data provided`. A number without a fraction's worth
    /// (`1.0`, `1e3`) is an integer, as the generated decoding read it.
    static func measurementRequest(_ value: JSONValue) throws -> (probes: [String]?, params: JSONValue?, resultFormat: String?) {
        guard case .object(let members) = value else { throw PladmedError.invalidData }
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

    /// `GET /operation?id=`: the operation's fields, then its results a page at a time, written as they are read.
    func getOperation(_ request: Request, _: User?) async throws -> Response {
        guard let id = JSONRequest.query("id", of: request).flatMap(ObjectID.init),
              let operation = try await store.operation(id: id, includeResults: false)
        else { throw PladmedError.unknownOperation }
        let head = try OperationJSON.head(of: operation)
        return stream { writer in
            try await writer.write(ByteBuffer(string: head))
            try await writeResults(of: id, to: &writer)
            try await writer.write(ByteBuffer(string: "]}"))
        }
    }

    func getOperationResults(_ request: Request, _: User?) async throws -> Response {
        var limit = 50
        if let text = JSONRequest.query("limit", of: request) {
            guard let value = Int(text), (1...500).contains(value) else { throw PladmedError.badRequest("limit must be from 1 to 500") }
            limit = value
        }
        let after = JSONRequest.query("after", of: request)
        guard let id = JSONRequest.query("id", of: request).flatMap(ObjectID.init),
              let page = try await store.results(of: id, after: after, limit: limit, maxBytes: Self.resultsPageBytes)
        else { throw PladmedError.unknownOperation }
        // A page ends at `limit` results or at the byte budget; `next` when anything follows it.
        var next = ""
        if let last = page.last?.cursor, try await store.results(of: id, after: last, limit: 1, maxBytes: 0)?.isEmpty == false {
            next = #""next":"\#(last)","#
        }
        return JSONAnswer.text("{" + next + #""results":["# + (try page.map { try OperationJSON.text(of: $0.result) }.joined(separator: ",")) + "]}")
    }

    /// Stored content one page of `GET /operation/results` holds at most (one larger result comes alone).
    static let resultsPageBytes = 16 << 20

    /// `GET /operations/me`: the caller's operations with their results, in one buffer when they are few and small (a
    /// page of operations, ``pageSize``, with ``pageBytes`` of results at most), else streamed.
    func listOwnOperations(_ request: Request, _ caller: User?) async throws -> Response {
        let owner = try User.required(caller).id
        if let operations = try await store.operations(owner: owner, atMost: pageSize, withResultsUpTo: pageBytes) {
            return JSONAnswer.text("[" + (try operations.map(OperationJSON.text(of:)).joined(separator: ",")) + "]")
        }
        return try await list(owner: owner, withResults: true)
    }

    /// `GET /operations`: every operation, without results, streamed.
    func listOperations(_ request: Request, _ caller: User?) async throws -> Response {
        _ = try User.required(caller)
        return try await list(owner: nil, withResults: false)
    }

    /// `[...]`: the operations of `owner` (everyone's when `nil`), with or without their results, read a page at a
    /// time and written as they are read. The first page is read before answering, so that a store that cannot be
    /// read answers an error, not a cut stream.
    private func list(owner: ObjectID?, withResults: Bool) async throws -> Response {
        let first = try await store.operations(owner: owner, after: nil, limit: pageSize)
        let store = self.store, pageSize = self.pageSize
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

    /// The results of `operation`, comma-separated, a batch at a time.
    private func writeResults(of operation: ObjectID, to writer: inout any ResponseBodyWriter) async throws {
        var first = true
        _ = try await store.forEachResultBatch(of: operation, batchLimit: pageSize, batchBytes: pageBytes) { batch in
            for result in batch {
                try await writer.write(ByteBuffer(string: (first ? "" : ",") + OperationJSON.prefix(of: result)))
                try await writer.write(ByteBuffer(string: try OperationJSON.sortedText(result.content)))
                try await writer.write(ByteBuffer(string: "}"))
                first = false
            }
        }
    }

    private func stream(_ body: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void) -> Response {
        Response(
            status: .ok, headers: [.contentType: JSONAnswer.contentType],
            body: ResponseBody { writer in
                try await body(&writer)
                try await writer.finish(nil)
            })
    }
}
