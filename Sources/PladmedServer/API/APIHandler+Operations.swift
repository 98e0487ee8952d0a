import Foundation
import OpenAPIRuntime
import PladmedAPI
import PladmedCore

extension APIHandler {
    func createTraceroute(_ input: Operations.CreateTraceroute.Input) async throws -> Operations.CreateTraceroute.Output {
        guard case .json(let body) = input.body else { throw PladmedError.invalidData }
        let operation = try await schedule(.traceroute, probes: body.probes, params: body.params, resultFormat: body.resultFormat)
        return .created(.init(body: .json(operation)))
    }

    func createPing(_ input: Operations.CreatePing.Input) async throws -> Operations.CreatePing.Output {
        guard case .json(let body) = input.body else { throw PladmedError.invalidData }
        let operation = try await schedule(.ping, probes: body.probes, params: body.params, resultFormat: body.resultFormat)
        return .created(.init(body: .json(operation)))
    }

    func createDns(_ input: Operations.CreateDns.Input) async throws -> Operations.CreateDns.Output {
        guard case .json(let body) = input.body else { throw PladmedError.invalidData }
        let operation = try await schedule(.dns, probes: body.probes, params: body.params, resultFormat: body.resultFormat)
        return .created(.init(body: .json(operation)))
    }

    /// The router answers `GET /operation` with ``OperationStreamMiddleware`` before this handler; this is the
    /// generated interface's whole-answer form of the same JSON.
    func getOperation(_ input: Operations.GetOperation.Input) async throws -> Operations.GetOperation.Output {
        guard let id = input.query.id.flatMap({ ObjectID($0) }), let operation = try await store.operation(id: id, includeResults: true) else {
            throw PladmedError.unknownOperation
        }
        return .ok(.init(body: .json(try .init(operation))))
    }

    func getOperationResults(_ input: Operations.GetOperationResults.Input) async throws -> Operations.GetOperationResults.Output {
        let limit = input.query.limit ?? 50
        guard (1...500).contains(limit) else { throw PladmedError.badRequest("limit must be from 1 to 500") }
        var after: Int?
        if let cursor = input.query.after {
            guard let position = Int(cursor), position >= 0 else { throw PladmedError.badRequest("after must be the next of a previous page") }
            after = position
        }
        guard let id = input.query.id.flatMap({ ObjectID($0) }),
              let page = try await store.results(of: id, after: after, limit: limit, maxBytes: Self.resultsPageBytes)
        else { throw PladmedError.unknownOperation }
        let results = try page.map { try Components.Schemas.OperationResult($0.result) }
        // A page ends at `limit` results or at the byte budget; `next` when anything follows it.
        var next: String?
        if let last = page.last?.position, try await store.results(of: id, after: last, limit: 1, maxBytes: 0)?.isEmpty == false {
            next = String(last)
        }
        return .ok(.init(body: .json(.init(results: results, next: next))))
    }

    /// Stored content one page of `GET /operation/results` holds at most (one larger result comes alone).
    static let resultsPageBytes = 16 << 20

    func listOwnOperations(_ input: Operations.ListOwnOperations.Input) async throws -> Operations.ListOwnOperations.Output {
        let caller = try AuthenticatedUser.required()
        let operations = try await store.operations(owner: caller.id, includeResults: true)
        return .ok(.init(body: .json(try operations.map(Components.Schemas.Operation.init))))
    }

    func listOperations(_ input: Operations.ListOperations.Input) async throws -> Operations.ListOperations.Output {
        _ = try AuthenticatedUser.required()
        let operations = try await store.operations(owner: nil, includeResults: false)
        return .ok(.init(body: .json(try operations.map(Components.Schemas.OperationSummary.init))))
    }

    private func schedule(
        _ kind: MeasurementKind, probes: [String]?, params: JSONValue?, resultFormat: String?
    ) async throws -> Components.Schemas.Operation {
        let caller = try AuthenticatedUser.required()
        let operation = try await scheduler.schedule(kind, for: caller, probeIDs: probes, params: params, resultFormat: resultFormat)
        return try .init(operation)
    }
}

extension JSONValue {
    /// The value as the OpenAPI runtime's untyped containers hold it.
    var openAPIValue: (any Sendable)? {
        switch self {
        case .null: nil
        case .bool(let value): value
        case .int(let value): value
        case .double(let value): value
        case .string(let value): value
        case .array(let values): values.map(\.openAPIValue)
        case .object(let members): members.mapValues(\.openAPIValue)
        }
    }
}

extension Components.Schemas.Operation {
    init(_ operation: OperationRecord) throws {
        self.init(
            _id: operation.id.hex, credits: operation.credits,
            params: operation.params,
            probes: operation.probes.map(Components.Schemas.OperationProbe.init),
            resultFormat: try .init(format: operation.resultFormat),
            results: try operation.results.map(Components.Schemas.OperationResult.init))
    }
}

extension Components.Schemas.OperationResult {
    init(_ result: OperationResult) throws {
        let value = try result.content.value()
        let content: ResultsPayload = if let text = value.string {
            .case2(text)
        } else {
            .case1(try (value.array ?? [value]).map { try OpenAPIValueContainer(unvalidatedValue: $0.openAPIValue) })
        }
        self.init(probe: result.probe.hex, results: content)
    }
}

extension Components.Schemas.OperationSummary {
    init(_ operation: OperationRecord) throws {
        self.init(
            _id: operation.id.hex, credits: operation.credits,
            params: operation.params,
            probes: operation.probes.map(Components.Schemas.OperationProbe.init),
            resultFormat: try .init(format: operation.resultFormat))
    }
}

extension Components.Schemas.OperationProbe {
    init(_ probe: OperationProbe) {
        self.init(
            identifier: probe.id.hex,
            location: probe.location.map { .init(latitude: $0.latitude, longitude: $0.longitude) },
            ownerId: probe.owner.hex)
    }
}

extension Components.Schemas.ResultFormat {
    init(format: String) throws {
        guard let value = Self(rawValue: format) else {
            throw PladmedError(status: 500, message: "stored operation has an unknown result format '\(format)'")
        }
        self = value
    }
}
