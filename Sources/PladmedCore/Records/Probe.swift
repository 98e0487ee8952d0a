/// A point on Earth in degrees.
public struct Location: Sendable, Equatable, Hashable {
    /// Degrees north, -90 to 90.
    public var latitude: Double
    /// Degrees east, -180 to 180.
    public var longitude: Double

    /// A location.
    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }

    /// Checks a location sent by a client: longitude first, as the original does.
    public static func validated(latitude: Double?, longitude: Double?) throws -> Location {
        guard let longitude, longitude.isFinite else { throw PladmedError.badRequest("location.longitude is not a number") }
        guard let latitude, latitude.isFinite else { throw PladmedError.badRequest("location.latitude is not a number") }
        guard (-180...180).contains(longitude) else {
            throw PladmedError.badRequest("location.longitude must be between -180 and 180")
        }
        guard (-90...90).contains(latitude) else { throw PladmedError.badRequest("location.latitude must be between -90 and 90") }
        return Location(latitude: latitude, longitude: longitude)
    }
}

/// A registered probe.
public struct Probe: Sendable, Equatable {
    /// The probe's id (`identifier` in the API).
    public var id: ObjectID
    /// The owning user (`owner_id` in the API).
    public var owner: ObjectID
    /// Where the probe is.
    public var location: Location
    /// Tokens minted before the version became this one are refused (`POST /probes/token` raises it); 0 for probes
    /// whose token was never rotated, whose tokens without a version (the original's) stay valid.
    public var tokenVersion: Int

    /// A probe record.
    public init(id: ObjectID, owner: ObjectID, location: Location, tokenVersion: Int = 0) {
        self.id = id
        self.owner = owner
        self.location = location
        self.tokenVersion = tokenVersion
    }
}
