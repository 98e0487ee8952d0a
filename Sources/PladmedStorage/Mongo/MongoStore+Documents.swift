import Foundation
import PladmedCore

/// The original's document shapes, both ways. Reading is lenient where the original was inconsistent
/// (credits as int32, int64 or double); writing follows what pymongo wrote.
extension MongoStore {
    /// An integral amount as int32/int64 (pymongo's Python ints), anything else as double.
    static func number(_ value: Double) -> BSONValue {
        if value.rounded() == value, let int = Int32(exactly: value) { return .int32(int) }
        if value.rounded() == value, abs(value) < 9e15, let int = Int64(exactly: value) { return .int64(int) }
        return .double(value)
    }

    static func document(_ user: User) -> BSONDocument {
        var document: BSONDocument = [
            "_id": .objectID(user.id), "email": .string(user.email), "password": .string(user.passwordHash),
            "credits": number(user.credits), "is_superuser": .bool(user.isSuperuser), "token_version": .int32(Int32(clamping: user.tokenVersion)),
            "email_key": .string(AccountRules.emailKey(user.email)),
        ]
        document["max_probes"] = user.maxProbes.map { .int64(Int64($0)) }
        return document
    }

    static func user(_ document: BSONDocument) -> User? {
        guard let id = document["_id"]?.objectID, let email = document["email"]?.string, let password = document["password"]?.string else {
            return nil
        }
        return User(id: id, email: email, passwordHash: password, credits: document["credits"]?.number ?? 0,
                    isSuperuser: document["is_superuser"]?.bool ?? false, tokenVersion: document["token_version"]?.number.map { Int($0) } ?? 0,
                    maxProbes: document["max_probes"]?.number.flatMap { $0.isFinite ? Int(exactly: $0.rounded()) : nil })
    }

    static func geoJSON(_ location: Location) -> BSONValue {
        .document(["type": .string("Point"), "coordinates": .array([.double(location.longitude), .double(location.latitude)])])
    }

    static func location(_ value: BSONValue?) -> Location? {
        guard let coordinates = value?.document?["coordinates"]?.array, coordinates.count == 2,
              let longitude = coordinates[0].number, let latitude = coordinates[1].number
        else { return nil }
        return Location(latitude: latitude, longitude: longitude)
    }

    static func document(_ probe: Probe) -> BSONDocument {
        var document: BSONDocument = ["_id": .objectID(probe.id), "owner": .objectID(probe.owner), "location": geoJSON(probe.location)]
        if probe.tokenVersion > 0 { document["token_version"] = .int64(Int64(probe.tokenVersion)) }
        return document
    }

    static func probe(_ document: BSONDocument) -> Probe? {
        guard let id = document["_id"]?.objectID, let owner = document["owner"]?.objectID, let location = location(document["location"]) else {
            return nil
        }
        return Probe(id: id, owner: owner, location: location, tokenVersion: document["token_version"]?.number.map { Int($0) } ?? 0)
    }

    /// The operation without its results (an empty `results`, as the original begins one): they are documents of
    /// their own.
    static func document(_ operation: OperationRecord) throws -> BSONDocument {
        try [
            "_id": .objectID(operation.id), "operation": .string(operation.kind.rawValue), "params": BSONValue(operation.params),
            "probes": .array(operation.probes.map { .objectID($0.id) }), "owner": .objectID(operation.owner),
            "credits": number(operation.credits), "result_format": .string(operation.resultFormat), "results": .array([]),
        ]
    }

    /// An operation document as a record; its probes' owners and locations come from `probes` (a probe that
    /// no longer exists keeps the operation's owner and no location).
    static func operation(_ document: BSONDocument, probes: [ObjectID: Probe]) -> OperationRecord? {
        guard let id = document["_id"]?.objectID, let owner = document["owner"]?.objectID else { return nil }
        let probeIDs = document["probes"]?.array?.compactMap(\.objectID) ?? []
        let results = (document["results"]?.array ?? []).compactMap { $0.document.flatMap(result) }
        return OperationRecord(
            id: id, kind: document["operation"]?.string.flatMap(MeasurementKind.init(rawValue:)) ?? .traceroute, owner: owner,
            params: document["params"]?.json ?? .object([:]),
            probes: probeIDs.map { probeID in
                OperationProbe(id: probeID, owner: probes[probeID]?.owner ?? owner, location: probes[probeID]?.location)
            },
            credits: document["credits"]?.number ?? 0, resultFormat: document["result_format"]?.string ?? "json", results: results)
    }
}
