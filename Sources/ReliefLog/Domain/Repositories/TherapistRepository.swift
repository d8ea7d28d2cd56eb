import SQLite

/// Filters and paging of `GET /v1/therapists` (ordered by id ascending).
struct TherapistQuery: Sendable, Hashable {
    /// Therapists listing this technique slug.
    var technique: String?
    var migraineExperience: Bool?
    var active: Bool?
    var updatedSince: Int64?
    var limit: Int = PageLimit.default
    var cursor: String?
}

/// Therapists in SQLite (`therapists`, Migrations/0002_records.sql).
struct TherapistRepository {
    let connection: Connection

    init(_ connection: Connection) {
        self.connection = connection
    }

    static let columns = """
        id, name, license_number, license_jurisdiction, certifications, years_experience, migraine_experience, \
        techniques, email, phone, active, external_id, created_at_ms, updated_at_ms
        """

    private static func decode(_ s: Statement) throws(RecordsError) -> Therapist {
        let id = s.int64(0)
        return Therapist(
            id: id,
            fields: Therapist.Fields(
                name: s.text(1) ?? "", licenseNumber: s.text(2) ?? "", licenseJurisdiction: s.optionalText(3),
                certifications: try s.strings(4, table: "therapists", id: id), yearsExperience: s.optionalInt(5),
                migraineExperience: s.bool(6), techniques: try s.strings(7, table: "therapists", id: id),
                email: s.optionalText(8), phone: s.optionalText(9), active: s.bool(10), externalId: s.optionalText(11)),
            createdAt: s.int64(12), updatedAt: s.int64(13))
    }

    private static func values(_ fields: Therapist.Fields) -> [SQLiteValue] {
        [.text(fields.name), .text(fields.licenseNumber), fields.licenseJurisdiction.sqliteValue,
         StoredList.encode(fields.certifications), fields.yearsExperience.sqliteValue,
         fields.migraineExperience.sqliteValue, StoredList.encode(fields.techniques), fields.email.sqliteValue,
         fields.phone.sqliteValue, fields.active.sqliteValue, fields.externalId.sqliteValue]
    }

    /// Stores a new therapist; `conflict(externalId)` or `conflict(licenseNumber)`.
    func insert(_ fields: Therapist.Fields, now: Int64) throws -> Therapist {
        do {
            try connection.run(
                """
                INSERT INTO therapists (name, license_number, license_jurisdiction, certifications, years_experience,
                    migraine_experience, techniques, email, phone, active, external_id, created_at_ms, updated_at_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, Self.values(fields) + [.integer(now), .integer(now)])
        } catch let error as SQLiteError {
            throw uniqueConflict(error) ?? error
        }
        return Therapist(id: connection.lastInsertRowID, fields: fields, createdAt: now, updatedAt: now)
    }

    func find(id: Int64) throws -> Therapist? {
        try connection.fetchOne("SELECT \(Self.columns) FROM therapists WHERE id = ?", [.integer(id)], Self.decode)
    }

    /// Replaces the fields; `notFound`, `conflict(externalId)` or `conflict(licenseNumber)`.
    func update(id: Int64, _ fields: Therapist.Fields, now: Int64) throws -> Therapist {
        let row: Row?
        do {
            row = try connection.queryOne(
                """
                UPDATE therapists SET name = ?, license_number = ?, license_jurisdiction = ?, certifications = ?,
                    years_experience = ?, migraine_experience = ?, techniques = ?, email = ?, phone = ?, active = ?,
                    external_id = ?, updated_at_ms = max(?, updated_at_ms + 1)
                WHERE id = ? RETURNING created_at_ms, updated_at_ms
                """, Self.values(fields) + [.integer(now), .integer(id)])
        } catch let error as SQLiteError {
            throw uniqueConflict(error) ?? error
        }
        guard let row, let createdAt = row.int64(0), let updatedAt = row.int64(1) else { throw RecordsError.notFound }
        return Therapist(id: id, fields: fields, createdAt: createdAt, updatedAt: updatedAt)
    }

    /// Deletes a therapist without sessions; one with sessions is a `conflict` (API.md: 409,
    /// "set `active: false` instead"), and `notFound` when there is no such therapist.
    func delete(id: Int64) throws {
        if try connection.scalar("SELECT EXISTS (SELECT 1 FROM sessions WHERE therapist_id = ?)", [.integer(id)])
            == .integer(1)
        {
            throw RecordsError.conflict(
                field: nil, message: "the therapist has sessions and cannot be deleted; set active to false instead")
        }
        do {
            try connection.run("DELETE FROM therapists WHERE id = ?", [.integer(id)])
        } catch let error as SQLiteError where error.isForeignKeyViolation {
            // ON DELETE RESTRICT, should a session have been added since the check above.
            throw RecordsError.conflict(
                field: nil, message: "the therapist has sessions and cannot be deleted; set active to false instead")
        }
        guard connection.changes == 1 else { throw RecordsError.notFound }
    }

    /// One page, by id ascending; `invalidCursor` for a cursor this list did not make.
    func list(_ query: TherapistQuery) throws -> Page<Therapist> {
        let (sql, bindings, limit) = try Self.listSQL(query)
        return Page(fetched: try connection.fetchAll(sql, bindings, Self.decode), limit: limit) {
            Cursor.encode(list: "therapists", key: [$0.id])
        }
    }

    /// The SQL of `list` and its bindings (one row more than `limit`, to learn whether
    /// another page follows); `invalidCursor` for a cursor this list did not make.
    static func listSQL(_ query: TherapistQuery) throws(RecordsError) -> (sql: String, bindings: [SQLiteValue], limit: Int) {
        var filter = ListFilter()
        if let technique = query.technique {
            filter.add("EXISTS (SELECT 1 FROM json_each(therapists.techniques) WHERE value = ?)", .text(technique))
        }
        if let migraineExperience = query.migraineExperience {
            filter.add("migraine_experience = ?", migraineExperience.sqliteValue)
        }
        if let active = query.active { filter.add("active = ?", active.sqliteValue) }
        if let updatedSince = query.updatedSince { filter.add("updated_at_ms >= ?", .integer(updatedSince)) }
        if let cursor = query.cursor {
            guard let key = Cursor.decode(cursor, list: "therapists", count: 1) else { throw .invalidCursor }
            filter.add("id > ?", .integer(key[0]))
        }
        let limit = clampedLimit(query.limit)
        let sql = "SELECT \(Self.columns) FROM therapists\(filter.whereClause) ORDER BY id LIMIT ?"
        return (sql, filter.bindings + [.integer(Int64(limit + 1))], limit)
    }
}
