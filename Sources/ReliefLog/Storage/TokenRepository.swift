import JSON
import SQLite

/// Tokens in SQLite (`tokens`, Migrations/0003_access.sql).
struct TokenRepository {
    let connection: Connection

    init(_ connection: Connection) { self.connection = connection }

    private static let columns =
        "id, lookup, role, patient_id, therapist_id, label, created_at_ms, expires_at_ms, token_sha256"

    /// Stores a new token for `grant` and returns it with its text, which exists nowhere else
    /// afterwards. The patient or therapist it is bound to must exist.
    func insert(_ grant: TokenGrant, now: Int64) throws -> (metadata: TokenMetadata, token: String) {
        if let patientId = grant.patientId, try !connection.exists("patients", id: patientId) {
            throw RecordsError.missingReference(field: "patientId")
        }
        if let therapistId = grant.therapistId, try !connection.exists("therapists", id: therapistId) {
            throw RecordsError.missingReference(field: "therapistId")
        }
        let token = AccessToken.generate()
        try connection.run(
            """
            INSERT INTO tokens (lookup, token_sha256, role, patient_id, therapist_id, label, created_at_ms, expires_at_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(token.lookup), .blob(token.digest), .text(grant.role.rawValue),
                grant.patientId.map(SQLiteValue.integer) ?? .null, grant.therapistId.map(SQLiteValue.integer) ?? .null,
                grant.label.map(SQLiteValue.text) ?? .null, .integer(now),
                grant.expiresAt.map(SQLiteValue.integer) ?? .null,
            ])
        let metadata = TokenMetadata(
            id: connection.lastInsertRowID, lookup: token.lookup, role: grant.role, patientId: grant.patientId,
            therapistId: grant.therapistId, label: grant.label, createdAt: now, expiresAt: grant.expiresAt)
        return (metadata, token.text)
    }

    func find(lookup: String) throws -> StoredToken? {
        try connection.fetchOne("SELECT \(Self.columns) FROM tokens WHERE lookup = ?", [.text(lookup)], Self.decode)
    }

    func find(id: Int64) throws -> TokenMetadata? {
        try connection.fetchOne("SELECT \(Self.columns) FROM tokens WHERE id = ?", [.integer(id)], Self.decode)?
            .metadata
    }

    func list(_ query: TokenQuery) throws -> Page<TokenMetadata> {
        var filter = ListFilter()
        if let patientId = query.patientId { filter.add("patient_id = ?", .integer(patientId)) }
        if let role = query.role { filter.add("role = ?", .text(role.rawValue)) }
        if let cursor = query.cursor {
            guard let key = Cursor.decode(cursor, list: "tokens", count: 1) else { throw RecordsError.invalidCursor }
            filter.add("id > ?", .integer(key[0]))
        }
        let limit = clampedLimit(query.limit)
        let rows = try connection.fetchAll(
            "SELECT \(Self.columns) FROM tokens\(filter.whereClause) ORDER BY id LIMIT ?",
            filter.bindings + [.integer(Int64(limit + 1))], Self.decode)
        return Page(fetched: rows.map(\.metadata), limit: limit) { Cursor.encode(list: "tokens", key: [$0.id]) }
    }

    /// Revokes (deletes) a token; false when there was none.
    func delete(id: Int64) throws -> Bool {
        try connection.run("DELETE FROM tokens WHERE id = ?", [.integer(id)])
        return connection.changes > 0
    }

    func count() throws -> Int {
        guard case .integer(let count) = try connection.scalar("SELECT count(*) FROM tokens") else { return 0 }
        return Int(count)
    }

    private static func decode(_ s: Statement) throws -> StoredToken {
        guard let role = Role(rawValue: s.text(2) ?? "") else {
            throw RecordsError.storedDataInvalid(table: "tokens", id: s.int64(0), column: "role")
        }
        return StoredToken(
            metadata: TokenMetadata(
                id: s.int64(0), lookup: s.text(1) ?? "", role: role, patientId: s.optionalInt64(3),
                therapistId: s.optionalInt64(4), label: s.optionalText(5), createdAt: s.int64(6),
                expiresAt: s.optionalInt64(7)),
            digest: s.blob(8) ?? [])
    }
}
