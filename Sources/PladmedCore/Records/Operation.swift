/// One probe's uploaded result for an operation.
public struct OperationResult: Sendable, Equatable {
    /// The probe that uploaded it.
    public var probe: ObjectID
    /// A list of JSON values (`json` operations) or text (`dump`, `text`), in the form it came in: warts
    /// converted as JSON text is stored as that text, without building the values.
    public var content: JSONPayload
    /// The probe's code for this upload; unique within an operation.
    public var uniqueCode: String

    /// A result record.
    public init(probe: ObjectID, content: JSONPayload, uniqueCode: String) {
        self.probe = probe
        self.content = content
        self.uniqueCode = uniqueCode
    }
}

/// A probe as an operation lists it: its location is `nil` when the probe no longer exists.
public struct OperationProbe: Sendable, Equatable {
    /// The probe's id.
    public var id: ObjectID
    /// The probe's owner.
    public var owner: ObjectID
    /// The probe's location, if the probe still exists.
    public var location: Location?

    /// An operation's probe.
    public init(id: ObjectID, owner: ObjectID, location: Location?) {
        self.id = id
        self.owner = owner
        self.location = location
    }
}

/// A stored measurement operation.
public struct OperationRecord: Sendable, Equatable {
    /// The operation's id.
    public var id: ObjectID
    /// What it measures.
    public var kind: MeasurementKind
    /// Who created and paid for it.
    public var owner: ObjectID
    /// The parameters as sent.
    public var params: JSONValue
    /// The probes it was sent to, in request order.
    public var probes: [OperationProbe]
    /// What the owner was charged.
    public var credits: Double
    /// `json`, `dump` or `text`.
    public var resultFormat: String
    /// Uploaded results in arrival order (empty when a listing leaves them out).
    public var results: [OperationResult]

    /// An operation record.
    public init(
        id: ObjectID, kind: MeasurementKind, owner: ObjectID, params: JSONValue, probes: [OperationProbe],
        credits: Double, resultFormat: String, results: [OperationResult] = []
    ) {
        self.id = id
        self.kind = kind
        self.owner = owner
        self.params = params
        self.probes = probes
        self.credits = credits
        self.resultFormat = resultFormat
        self.results = results
    }
}
