import SQLite

/// Filters and paging of `GET /v1/sessions` (ordered by startedAt, then id, descending).
struct SessionQuery: Sendable, Hashable {
    var patientId: Int64?
    var therapistId: Int64?
    /// Sessions listing this technique slug.
    var technique: String?
    var kind: MassageSession.Kind?
    /// `startedAt` at or after (inclusive).
    var from: Int64?
    /// `startedAt` before (exclusive).
    var to: Int64?
    var updatedSince: Int64?
    var limit: Int = PageLimit.default
    var cursor: String?
}

/// Massage sessions in SQLite (`sessions`, Migrations/0002_records.sql).
struct SessionRepository {
    let connection: Connection

    init(_ connection: Connection) {
        self.connection = connection
    }

    static let columns = """
        id, patient_id, therapist_id, kind, started_at_ms, duration_minutes, techniques, areas, pressure, \
        trigger_points_released, essential_oils, warm_compress, breathing_exercise, pain_before, pain_after, \
        stress_before, stress_after, notes, external_id, created_at_ms, updated_at_ms
        """

    private static func decode(_ s: Statement) throws(RecordsError) -> MassageSession {
        let id = s.int64(0)
        guard let kind = s.text(3).flatMap(MassageSession.Kind.init(rawValue:)) else {
            throw .storedDataInvalid(table: "sessions", id: id, column: "kind")
        }
        return MassageSession(
            id: id,
            fields: MassageSession.Fields(
                patientId: s.int64(1), therapistId: s.optionalInt64(2), kind: kind, startedAt: s.int64(4),
                durationMinutes: s.int(5), techniques: try s.strings(6, table: "sessions", id: id),
                areas: try s.strings(7, table: "sessions", id: id), pressure: s.optionalText(8),
                triggerPointsReleased: s.optionalInt(9), essentialOils: try s.strings(10, table: "sessions", id: id),
                warmCompress: s.bool(11), breathingExercise: s.bool(12), painBefore: s.optionalInt(13),
                painAfter: s.optionalInt(14), stressBefore: s.optionalInt(15), stressAfter: s.optionalInt(16),
                notes: s.optionalText(17), externalId: s.optionalText(18)),
            createdAt: s.int64(19), updatedAt: s.int64(20))
    }

    private static func values(_ fields: MassageSession.Fields) -> [SQLiteValue] {
        [.integer(fields.patientId), fields.therapistId.sqliteValue, .text(fields.kind.rawValue),
         .integer(fields.startedAt), .integer(Int64(fields.durationMinutes)), StoredList.encode(fields.techniques),
         StoredList.encode(fields.areas), fields.pressure.sqliteValue, fields.triggerPointsReleased.sqliteValue,
         StoredList.encode(fields.essentialOils), fields.warmCompress.sqliteValue,
         fields.breathingExercise.sqliteValue, fields.painBefore.sqliteValue, fields.painAfter.sqliteValue,
         fields.stressBefore.sqliteValue, fields.stressAfter.sqliteValue, fields.notes.sqliteValue,
         fields.externalId.sqliteValue]
    }

    /// `missingReference` for a patient or therapist that does not exist.
    private func checkReferences(_ fields: MassageSession.Fields) throws {
        guard try connection.exists("patients", id: fields.patientId) else {
            throw RecordsError.missingReference(field: "patientId")
        }
        if let therapistId = fields.therapistId, try !connection.exists("therapists", id: therapistId) {
            throw RecordsError.missingReference(field: "therapistId")
        }
    }

    /// Stores a new session; `missingReference(patientId / therapistId)` or `conflict(externalId)`.
    func insert(_ fields: MassageSession.Fields, now: Int64) throws -> MassageSession {
        try checkReferences(fields)
        do {
            try connection.run(
                """
                INSERT INTO sessions (patient_id, therapist_id, kind, started_at_ms, duration_minutes, techniques, areas,
                    pressure, trigger_points_released, essential_oils, warm_compress, breathing_exercise, pain_before,
                    pain_after, stress_before, stress_after, notes, external_id, created_at_ms, updated_at_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, Self.values(fields) + [.integer(now), .integer(now)])
        } catch let error as SQLiteError {
            throw uniqueConflict(error) ?? error
        }
        return MassageSession(id: connection.lastInsertRowID, fields: fields, createdAt: now, updatedAt: now)
    }

    func find(id: Int64) throws -> MassageSession? {
        try connection.fetchOne("SELECT \(Self.columns) FROM sessions WHERE id = ?", [.integer(id)], Self.decode)
    }

    /// Replaces the fields; `notFound`, `missingReference(...)` or `conflict(externalId)`.
    func update(id: Int64, _ fields: MassageSession.Fields, now: Int64) throws -> MassageSession {
        guard try connection.exists("sessions", id: id) else { throw RecordsError.notFound }
        try checkReferences(fields)
        let row: Row?
        do {
            row = try connection.queryOne(
                """
                UPDATE sessions SET patient_id = ?, therapist_id = ?, kind = ?, started_at_ms = ?, duration_minutes = ?,
                    techniques = ?, areas = ?, pressure = ?, trigger_points_released = ?, essential_oils = ?,
                    warm_compress = ?, breathing_exercise = ?, pain_before = ?, pain_after = ?, stress_before = ?,
                    stress_after = ?, notes = ?, external_id = ?, updated_at_ms = max(?, updated_at_ms + 1)
                WHERE id = ? RETURNING created_at_ms, updated_at_ms
                """, Self.values(fields) + [.integer(now), .integer(id)])
        } catch let error as SQLiteError {
            throw uniqueConflict(error) ?? error
        }
        guard let row, let createdAt = row.int64(0), let updatedAt = row.int64(1) else { throw RecordsError.notFound }
        return MassageSession(id: id, fields: fields, createdAt: createdAt, updatedAt: updatedAt)
    }

    func delete(id: Int64) throws {
        try connection.run("DELETE FROM sessions WHERE id = ?", [.integer(id)])
        guard connection.changes == 1 else { throw RecordsError.notFound }
    }

    /// One page, newest first, keyset-paged on `(started_at_ms, id)` like episodes.
    func list(_ query: SessionQuery) throws -> Page<MassageSession> {
        let (sql, bindings, limit) = try Self.listSQL(query)
        return Page(fetched: try connection.fetchAll(sql, bindings, Self.decode), limit: limit) {
            Cursor.encode(list: "sessions", key: [$0.startedAt, $0.id])
        }
    }

    /// The SQL of `list` and its bindings (one row more than `limit`, to learn whether
    /// another page follows); `invalidCursor` for a cursor this list did not make.
    static func listSQL(_ query: SessionQuery) throws(RecordsError) -> (sql: String, bindings: [SQLiteValue], limit: Int) {
        var filter = ListFilter()
        if let patientId = query.patientId { filter.add("patient_id = ?", .integer(patientId)) }
        if let therapistId = query.therapistId { filter.add("therapist_id = ?", .integer(therapistId)) }
        if let technique = query.technique {
            filter.add("EXISTS (SELECT 1 FROM json_each(sessions.techniques) WHERE value = ?)", .text(technique))
        }
        if let kind = query.kind { filter.add("kind = ?", .text(kind.rawValue)) }
        if let from = query.from { filter.add("started_at_ms >= ?", .integer(from)) }
        if let to = query.to { filter.add("started_at_ms < ?", .integer(to)) }
        if let updatedSince = query.updatedSince { filter.add("updated_at_ms >= ?", .integer(updatedSince)) }
        if let cursor = query.cursor {
            guard let key = Cursor.decode(cursor, list: "sessions", count: 2) else { throw .invalidCursor }
            filter.add("(started_at_ms, id) < (?, ?)", .integer(key[0]), .integer(key[1]))
        }
        let limit = clampedLimit(query.limit)
        let sql = "SELECT \(Self.columns) FROM sessions\(filter.whereClause) ORDER BY started_at_ms DESC, id DESC LIMIT ?"
        return (sql, filter.bindings + [.integer(Int64(limit + 1))], limit)
    }
}
