import Hummingbird
import NIOCore
import PladmedAPI
import PladmedCore

extension APIHandler {
    /// Every probe with its live state, from the ``ProbeListCache`` while it holds an answer for the current
    /// probes; otherwise encoded and kept, byte for byte, with its headers.
    func listProbes(_ request: Request, _: User?) async throws -> Response {
        let now = NIODeadline.now()
        let key = probeList.key(hub: await hub.revision())
        if let answer = probeList.answer(for: key, now: now) {
            return Response(status: .ok, headers: answer.headers, body: ResponseBody(byteBuffer: answer.body))
        }
        let stored = try await store.probes(owner: nil)
        let connected = await hub.knownStatuses(of: stored.map(\.id))
        let probes = stored.map { probe in
            let status = connected[probe.id]
            return Components.Schemas.Probe(
                identifier: probe.id.hex, ownerId: probe.owner.hex, location: .init(probe.location),
                connected: status != nil, availability: status?.availability)
        }
        let body = try JSONAnswer.encoded(probes)
        let response = JSONAnswer.text(body)
        if body.readableBytes <= probeList.maxBytes { probeList.keep(.init(key: key, headers: response.headers, body: body, built: now)) }
        return response
    }

    func registerProbe(_ request: Request, _ caller: User?) async throws -> Response {
        let caller = try User.required(caller)
        let body = try await JSONRequest.decode(Components.Schemas.ProbeRegistration.self, from: request, for: .registerProbe)
        guard let location = body.location else { throw PladmedError.badRequest("Missing location field") }
        let probe = try await store.createProbe(
            owner: caller.id, location: try Location.validated(latitude: location.latitude, longitude: location.longitude),
            limit: caller.maxProbes ?? maxProbesPerAccount)
        probeList.invalidate()
        return try JSONAnswer.encoding(Components.Schemas.ProbeToken(token: tokens.probeToken(for: probe)), status: .created)
    }

    func rotateProbeToken(_ request: Request, _ caller: User?) async throws -> Response {
        let caller = try User.required(caller)
        guard let id = JSONRequest.query("id", of: request).flatMap(ObjectID.init), let probe = try await store.probes(ids: [id]).first else {
            throw PladmedError.notFound("Probe doesn't exist")
        }
        guard probe.owner == caller.id || caller.isSuperuser else {
            throw PladmedError(status: 403, message: "Only the probe's owner or a superuser may replace its token")
        }
        guard let rotated = try await store.rotateProbeToken(id) else { throw PladmedError.notFound("Probe doesn't exist") }
        return try JSONAnswer.encoding(Components.Schemas.ProbeToken(token: tokens.probeToken(for: rotated)))
    }

    func listOwnProbes(_ request: Request, _ caller: User?) async throws -> Response {
        let caller = try User.required(caller)
        let stored = try await store.probes(owner: caller.id)
        let connected = await hub.knownStatuses(of: stored.map(\.id))
        let probes = stored.map { probe in
            let status = connected[probe.id]
            return Components.Schemas.OwnProbe(
                identifier: probe.id.hex, ownerId: probe.owner.hex, location: .init(probe.location),
                connected: status != nil, availability: status?.availability, token: tokens.probeToken(for: probe))
        }
        return try JSONAnswer.encoding(probes)
    }
}

extension Components.Schemas.Location {
    init(_ location: Location) {
        self.init(latitude: location.latitude, longitude: location.longitude)
    }
}
