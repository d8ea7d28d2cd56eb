import SQLite

/// Filters and paging of `GET /v1/patients` (ordered by id ascending).
struct PatientQuery: Sendable, Hashable {
    /// Only this patient (a patient token's list holds its own record alone).
    var onlyId: Int64?
    /// Rows created or changed at or after this instant.
    var updatedSince: Int64?
    var limit: Int = PageLimit.default
    var cursor: String?
}

/// Patients in SQLite (`patients`, Migrations/0002_records.sql).
struct PatientRepository {
    let connection: Connection

    init(_ connection: Connection) {
        self.connection = connection
    }

    static let columns = "id, display_name, timezone, birth_year, external_id, notes, created_at_ms, updated_at_ms"

    private static func decode(_ s: Statement) -> Patient {
        Patient(
            id: s.int64(0),
            fields: Patient.Fields(
                displayName: s.text(1) ?? "", timezone: s.text(2) ?? "UTC", birthYear: s.optionalInt(3),
                externalId: s.optionalText(4), notes: s.optionalText(5)),
            createdAt: s.int64(6), updatedAt: s.int64(7))
    }

    private static func values(_ fields: Patient.Fields) -> [SQLiteValue] {
        [.text(fields.displayName), .text(fields.timezone), fields.birthYear.sqliteValue,
         fields.externalId.sqliteValue, fields.notes.sqliteValue]
    }

    /// Stores a new patient; `conflict(externalId)` when the external id is taken.
    func insert(_ fields: Patient.Fields, now: Int64) throws -> Patient {
        do {
            try connection.run(
                """
                INSERT INTO patients (display_name, timezone, birth_year, external_id, notes, created_at_ms, updated_at_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, Self.values(fields) + [.integer(now), .integer(now)])
        } catch let error as SQLiteError {
            throw uniqueConflict(error) ?? error
        }
        return Patient(id: connection.lastInsertRowID, fields: fields, createdAt: now, updatedAt: now)
    }

    func find(id: Int64) throws -> Patient? {
        try connection.fetchOne("SELECT \(Self.columns) FROM patients WHERE id = ?", [.integer(id)], Self.decode)
    }

    /// Replaces the fields; `notFound`, or `conflict(externalId)`. `updatedAt` becomes `now`,
    /// or 1 ms after the previous value if that is not earlier, so it changes on every update.
    func update(id: Int64, _ fields: Patient.Fields, now: Int64) throws -> Patient {
        let row: Row?
        do {
            row = try connection.queryOne(
                """
                UPDATE patients SET display_name = ?, timezone = ?, birth_year = ?, external_id = ?, notes = ?,
                    updated_at_ms = max(?, updated_at_ms + 1)
                WHERE id = ? RETURNING created_at_ms, updated_at_ms
                """, Self.values(fields) + [.integer(now), .integer(id)])
        } catch let error as SQLiteError {
            throw uniqueConflict(error) ?? error
        }
        guard let row, let createdAt = row.int64(0), let updatedAt = row.int64(1) else { throw RecordsError.notFound }
        return Patient(id: id, fields: fields, createdAt: createdAt, updatedAt: updatedAt)
    }

    /// Erases the patient and, by `ON DELETE CASCADE`, every episode and session of theirs
    /// (API.md: right to erasure). `notFound` when there is no such patient.
    func delete(id: Int64) throws {
        try connection.run("DELETE FROM patients WHERE id = ?", [.integer(id)])
        guard connection.changes == 1 else { throw RecordsError.notFound }
    }

    /// One page, by id ascending; `invalidCursor` for a cursor this list did not make.
    func list(_ query: PatientQuery) throws -> Page<Patient> {
        let (sql, bindings, limit) = try Self.listSQL(query)
        return Page(fetched: try connection.fetchAll(sql, bindings, Self.decode), limit: limit) {
            Cursor.encode(list: "patients", key: [$0.id])
        }
    }

    /// The SQL of `list` and its bindings (one row more than `limit`, to learn whether
    /// another page follows); `invalidCursor` for a cursor this list did not make.
    static func listSQL(_ query: PatientQuery) throws(RecordsError) -> (sql: String, bindings: [SQLiteValue], limit: Int) {
        var filter = ListFilter()
        if let onlyId = query.onlyId { filter.add("id = ?", .integer(onlyId)) }
        if let updatedSince = query.updatedSince { filter.add("updated_at_ms >= ?", .integer(updatedSince)) }
        if let cursor = query.cursor {
            guard let key = Cursor.decode(cursor, list: "patients", count: 1) else { throw .invalidCursor }
            filter.add("id > ?", .integer(key[0]))
        }
        let limit = clampedLimit(query.limit)
        let sql = "SELECT \(Self.columns) FROM patients\(filter.whereClause) ORDER BY id LIMIT ?"
        return (sql, filter.bindings + [.integer(Int64(limit + 1))], limit)
    }
}
