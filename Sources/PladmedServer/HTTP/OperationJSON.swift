import PladmedCore

/// An operation as the document declares it (`Components.Schemas.Operation`, as `JSONEncoder` with sorted keys
/// would write it), written directly: for answers streamed a page at a time, and for answers where that encoder
/// was most of a request's time.
enum OperationJSON {
    /// `{"_id":...,"credits":...,"params":...,"probes":[...],"result_format":...,"results":[`: the operation without
    /// its results, left open for them.
    static func head(of operation: OperationRecord) throws -> String {
        String(try summary(of: operation).dropLast()) + #","results":["#
    }

    /// `{"_id":...,"credits":...,"params":...,"probes":[...],"result_format":...}`: the operation as `GET /operations`
    /// lists it (`Components.Schemas.OperationSummary`).
    static func summary(of operation: OperationRecord) throws -> String {
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
        return try fields.serializedText()
    }

    /// `{"probe":...,"results":...}`: one result.
    static func text(of result: OperationResult) throws -> String {
        prefix(of: result) + (try sortedText(result.content)) + "}"
    }

    /// `{"probe":...,"results":`: a result up to its content, which follows (a streamed answer writes the content
    /// as its own buffer rather than copying megabytes into one string), then `}`.
    static func prefix(of result: OperationResult) -> String {
        #"{"probe":""# + result.probe.hex + #"","results":"#
    }

    /// The whole operation, results included.
    static func text(of operation: OperationRecord) throws -> String {
        try head(of: operation) + operation.results.map { try text(of: $0) }.joined(separator: ",") + "]}"
    }

    /// A result's content as JSON with sorted keys: a string (`dump`, `text`) is written as stored; a list of values
    /// (`json`) is parsed and written again, its objects' keys sorted as the generated encoder sorts them.
    static func sortedText(_ content: JSONPayload) throws -> String {
        let text = try content.text()
        return text.utf8.first == UInt8(ascii: "\"") ? text : try content.value().serializedText()
    }
}
