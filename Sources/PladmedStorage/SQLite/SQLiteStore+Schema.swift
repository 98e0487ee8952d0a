import Foundation
import GRDB
import PladmedCore

extension SQLiteStore {
    /// Versioned migrations; a database is brought up to date when it is opened.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE users (
                    id TEXT PRIMARY KEY NOT NULL,
                    email TEXT NOT NULL UNIQUE,
                    password TEXT NOT NULL,
                    credits REAL NOT NULL,
                    is_superuser INTEGER NOT NULL
                );
                CREATE TABLE probes (
                    id TEXT PRIMARY KEY NOT NULL,
                    owner TEXT NOT NULL,
                    latitude REAL NOT NULL,
                    longitude REAL NOT NULL
                );
                CREATE INDEX probes_owner ON probes (owner);
                CREATE TABLE operations (
                    id TEXT PRIMARY KEY NOT NULL,
                    owner TEXT NOT NULL,
                    operation TEXT NOT NULL,
                    params TEXT NOT NULL,
                    credits REAL NOT NULL,
                    result_format TEXT NOT NULL
                );
                CREATE INDEX operations_owner ON operations (owner);
                CREATE TABLE operation_probes (
                    operation_id TEXT NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    probe_id TEXT NOT NULL,
                    owner TEXT NOT NULL,
                    PRIMARY KEY (operation_id, position)
                );
                CREATE TABLE results (
                    operation_id TEXT NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
                    probe_id TEXT NOT NULL,
                    unique_code TEXT NOT NULL,
                    content TEXT NOT NULL,
                    UNIQUE (operation_id, unique_code)
                );
                """)
        }
        migrator.registerMigration("v2: token versions, emails unique in any letter case") { db in
            try db.execute(sql: "ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0")
            try db.execute(sql: "CREATE UNIQUE INDEX users_email_nocase ON users (email COLLATE NOCASE)")
        }
        migrator.registerMigration("v3: results counted per operation and probe") { db in
            try db.execute(sql: "CREATE INDEX results_operation_probe ON results (operation_id, probe_id)")
        }
        migrator.registerMigration("v4: an account's own probe limit") { db in
            try db.execute(sql: "ALTER TABLE users ADD COLUMN max_probes INTEGER")
        }
        migrator.registerMigration("v5: probe token versions") { db in
            try db.execute(sql: "ALTER TABLE probes ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0")
        }
        return migrator
    }

    static func insert(_ user: User, into db: Database) throws {
        try db.execute(
            sql: "INSERT INTO users (id, email, password, credits, is_superuser, token_version, max_probes) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [user.id.hex, user.email, user.passwordHash, user.credits, user.isSuperuser, user.tokenVersion, user.maxProbes])
    }

    static func insert(_ probe: Probe, into db: Database) throws {
        try db.execute(
            sql: "INSERT INTO probes (id, owner, latitude, longitude, token_version) VALUES (?, ?, ?, ?, ?)",
            arguments: [probe.id.hex, probe.owner.hex, probe.location.latitude, probe.location.longitude, probe.tokenVersion])
    }

    /// The operation's row and its probes (not its results); `params` is its parameters as JSON text.
    static func insert(_ operation: OperationRecord, params: String, into db: Database) throws {
        try db.cachedStatement(sql: "INSERT INTO operations (id, owner, operation, params, credits, result_format) VALUES (?, ?, ?, ?, ?, ?)")
            .execute(arguments: [operation.id.hex, operation.owner.hex, operation.kind.rawValue, params, operation.credits, operation.resultFormat])
        let probeRow = try db.cachedStatement(sql: "INSERT INTO operation_probes (operation_id, position, probe_id, owner) VALUES (?, ?, ?, ?)")
        for (position, probe) in operation.probes.enumerated() {
            try probeRow.execute(arguments: [operation.id.hex, position, probe.id.hex, probe.owner.hex])
        }
    }

    static func fetchUser(_ db: Database, id: ObjectID) throws -> User? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM users WHERE id = ?"), arguments: [id.hex]).map(user)
    }

    static func user(_ row: Row) -> User {
        User(id: ObjectID(row["id"] as String)!, email: row["email"], passwordHash: row["password"],
             credits: row["credits"], isSuperuser: row["is_superuser"], tokenVersion: row["token_version"], maxProbes: row["max_probes"])
    }

    static func probe(_ row: Row) -> Probe {
        Probe(id: ObjectID(row["id"] as String)!, owner: ObjectID(row["owner"] as String)!,
              location: Location(latitude: row["latitude"], longitude: row["longitude"]), tokenVersion: row["token_version"])
    }

    static func operation(_ db: Database, row: Row, includeResults: Bool) throws -> OperationRecord {
        let id: String = row["id"]
        let probes = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT op.probe_id, op.owner, p.latitude, p.longitude
            FROM operation_probes op LEFT JOIN probes p ON p.id = op.probe_id
            WHERE op.operation_id = ? ORDER BY op.position
            """), arguments: [id]).map { probe in
            let latitude: Double? = probe["latitude"], longitude: Double? = probe["longitude"]
            return OperationProbe(
                id: ObjectID(probe["probe_id"] as String)!, owner: ObjectID(probe["owner"] as String)!,
                location: latitude.flatMap { lat in longitude.map { Location(latitude: lat, longitude: $0) } })
        }
        var results: [OperationResult] = []
        if includeResults {
            results = try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM results WHERE operation_id = ? ORDER BY rowid"), arguments: [id])
                .map { result in
                    OperationResult(
                        probe: ObjectID(result["probe_id"] as String)!,
                        content: JSONPayload(trusted: result["content"]),
                        uniqueCode: result["unique_code"])
                }
        }
        return OperationRecord(
            id: ObjectID(id)!, kind: MeasurementKind(rawValue: row["operation"]) ?? .traceroute,
            owner: ObjectID(row["owner"] as String)!, params: try JSONValue(parsing: Data((row["params"] as String).utf8)),
            probes: probes, credits: row["credits"], resultFormat: row["result_format"], results: results)
    }
}
