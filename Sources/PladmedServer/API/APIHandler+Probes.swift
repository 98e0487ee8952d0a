import PladmedAPI
import PladmedCore

extension APIHandler {
    func listProbes(_ input: Operations.ListProbes.Input) async throws -> Operations.ListProbes.Output {
        let stored = try await store.probes(owner: nil)
        let connected = await hub.knownStatuses(of: stored.map(\.id))
        let probes = stored.map { probe in
            let status = connected[probe.id]
            return Components.Schemas.Probe(
                identifier: probe.id.hex, ownerId: probe.owner.hex, location: .init(probe.location),
                connected: status != nil, availability: status?.availability)
        }
        return .ok(.init(body: .json(probes)))
    }

    func registerProbe(_ input: Operations.RegisterProbe.Input) async throws -> Operations.RegisterProbe.Output {
        let caller = try AuthenticatedUser.required()
        guard case .json(let body) = input.body else { throw PladmedError.invalidData }
        guard let location = body.location else { throw PladmedError.badRequest("Missing location field") }
        let probe = try await store.createProbe(
            owner: caller.id, location: try Location.validated(latitude: location.latitude, longitude: location.longitude),
            limit: caller.maxProbes ?? maxProbesPerAccount)
        probeList.invalidate()
        return .created(.init(body: .json(.init(token: tokens.probeToken(for: probe)))))
    }

    func rotateProbeToken(_ input: Operations.RotateProbeToken.Input) async throws -> Operations.RotateProbeToken.Output {
        let caller = try AuthenticatedUser.required()
        guard let id = ObjectID(input.query.id), let probe = try await store.probes(ids: [id]).first else {
            throw PladmedError.notFound("Probe doesn't exist")
        }
        guard probe.owner == caller.id || caller.isSuperuser else {
            throw PladmedError(status: 403, message: "Only the probe's owner or a superuser may replace its token")
        }
        guard let rotated = try await store.rotateProbeToken(id) else { throw PladmedError.notFound("Probe doesn't exist") }
        return .ok(.init(body: .json(.init(token: tokens.probeToken(for: rotated)))))
    }

    func listOwnProbes(_ input: Operations.ListOwnProbes.Input) async throws -> Operations.ListOwnProbes.Output {
        let caller = try AuthenticatedUser.required()
        let stored = try await store.probes(owner: caller.id)
        let connected = await hub.knownStatuses(of: stored.map(\.id))
        let probes = stored.map { probe in
            let status = connected[probe.id]
            return Components.Schemas.OwnProbe(
                identifier: probe.id.hex, ownerId: probe.owner.hex, location: .init(probe.location),
                connected: status != nil, availability: status?.availability, token: tokens.probeToken(for: probe))
        }
        return .ok(.init(body: .json(probes)))
    }
}

extension Components.Schemas.Location {
    init(_ location: Location) {
        self.init(latitude: location.latitude, longitude: location.longitude)
    }
}
