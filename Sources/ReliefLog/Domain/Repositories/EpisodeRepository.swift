import JSON
import SQLite

/// Filters and paging of `GET /v1/episodes` (ordered by startedAt, then id, descending).
struct EpisodeQuery: Sendable, Hashable {
    var patientId: Int64?
    /// `startedAt` at or after (API.md: `from` is inclusive).
    var from: Int64?
    /// `startedAt` before (API.md: `to` is exclusive).
    var to: Int64?
    var minIntensity: Int?
    /// Episodes listing this trigger slug.
    var trigger: String?
    var updatedSince: Int64?
    var limit: Int = PageLimit.default
    var cursor: String?
}

/// Migraine episodes in SQLite (`episodes`, Migrations/0002_records.sql).
struct EpisodeRepository {
    let connection: Connection

    init(_ connection: Connection) {
        self.connection = connection
    }

    static let columns = """
        id, patient_id, started_at_ms, ended_at_ms, intensity, aura, symptoms, locations, triggers, medications, \
        relief_measures, stress_level, disability, notes, external_id, created_at_ms, updated_at_ms
        """

    private static func decode(_ s: Statement) throws(RecordsError) -> Episode {
        let id = s.int64(0)
        return Episode(
            id: id,
            fields: Episode.Fields(
                patientId: s.int64(1), startedAt: s.int64(2), endedAt: s.optionalInt64(3), intensity: s.int(4),
                aura: s.bool(5), symptoms: try s.strings(6, table: "episodes", id: id),
                locations: try s.strings(7, table: "episodes", id: id),
                triggers: try s.strings(8, table: "episodes", id: id),
                medications: try StoredMedications.decode(s.text(9), id: id),
                reliefMeasures: try s.strings(10, table: "episodes", id: id), stressLevel: s.optionalInt(11),
                disability: s.optionalText(12), notes: s.optionalText(13), externalId: s.optionalText(14)),
            createdAt: s.int64(15), updatedAt: s.int64(16))
    }

    private static func values(_ fields: Episode.Fields) -> [SQLiteValue] {
        [.integer(fields.patientId), .integer(fields.startedAt), fields.endedAt.sqliteValue,
         .integer(Int64(fields.intensity)), fields.aura.sqliteValue, StoredList.encode(fields.symptoms),
         StoredList.encode(fields.locations), StoredList.encode(fields.triggers),
         StoredMedications.encode(fields.medications), StoredList.encode(fields.reliefMeasures),
         fields.stressLevel.sqliteValue, fields.disability.sqliteValue, fields.notes.sqliteValue,
         fields.externalId.sqliteValue]
    }

    /// Stores a new episode; `missingReference(patientId)` or `conflict(externalId)`.
    func insert(_ fields: Episode.Fields, now: Int64) throws -> Episode {
        guard try connection.exists("patients", id: fields.patientId) else {
            throw RecordsError.missingReference(field: "patientId")
        }
        do {
            try connection.run(
                """
                INSERT INTO episodes (patient_id, started_at_ms, ended_at_ms, intensity, aura, symptoms, locations,
                    triggers, medications, relief_measures, stress_level, disability, notes, external_id,
                    created_at_ms, updated_at_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, Self.values(fields) + [.integer(now), .integer(now)])
        } catch let error as SQLiteError {
            throw uniqueConflict(error) ?? error
        }
        return Episode(id: connection.lastInsertRowID, fields: fields, createdAt: now, updatedAt: now)
    }

    func find(id: Int64) throws -> Episode? {
        try connection.fetchOne("SELECT \(Self.columns) FROM episodes WHERE id = ?", [.integer(id)], Self.decode)
    }

    /// Replaces the fields; `notFound`, `missingReference(patientId)` or `conflict(externalId)`.
    func update(id: Int64, _ fields: Episode.Fields, now: Int64) throws -> Episode {
        guard try connection.exists("episodes", id: id) else { throw RecordsError.notFound }
        guard try connection.exists("patients", id: fields.patientId) else {
            throw RecordsError.missingReference(field: "patientId")
        }
        let row: Row?
        do {
            row = try connection.queryOne(
                """
                UPDATE episodes SET patient_id = ?, started_at_ms = ?, ended_at_ms = ?, intensity = ?, aura = ?,
                    symptoms = ?, locations = ?, triggers = ?, medications = ?, relief_measures = ?, stress_level = ?,
                    disability = ?, notes = ?, external_id = ?, updated_at_ms = max(?, updated_at_ms + 1)
                WHERE id = ? RETURNING created_at_ms, updated_at_ms
                """, Self.values(fields) + [.integer(now), .integer(id)])
        } catch let error as SQLiteError {
            throw uniqueConflict(error) ?? error
        }
        guard let row, let createdAt = row.int64(0), let updatedAt = row.int64(1) else { throw RecordsError.notFound }
        return Episode(id: id, fields: fields, createdAt: createdAt, updatedAt: updatedAt)
    }

    func delete(id: Int64) throws {
        try connection.run("DELETE FROM episodes WHERE id = ?", [.integer(id)])
        guard connection.changes == 1 else { throw RecordsError.notFound }
    }

    /// One page, newest first; `invalidCursor` for a cursor this list did not make.
    ///
    /// Keyset pagination on `(started_at_ms, id)`: the next page continues strictly below
    /// the last row's key with a row-value comparison, which SQLite answers from the
    /// `episodes_started` / `episodes_patient_started` indexes
    /// (https://www.sqlite.org/rowvalue.html#scrolling_window_queries).
    func list(_ query: EpisodeQuery) throws -> Page<Episode> {
        let (sql, bindings, limit) = try Self.listSQL(query)
        return Page(fetched: try connection.fetchAll(sql, bindings, Self.decode), limit: limit) {
            Cursor.encode(list: "episodes", key: [$0.startedAt, $0.id])
        }
    }

    /// The SQL of `list` and its bindings (one row more than `limit`, to learn whether
    /// another page follows); `invalidCursor` for a cursor this list did not make.
    static func listSQL(_ query: EpisodeQuery) throws(RecordsError) -> (sql: String, bindings: [SQLiteValue], limit: Int) {
        var filter = ListFilter()
        if let patientId = query.patientId { filter.add("patient_id = ?", .integer(patientId)) }
        if let from = query.from { filter.add("started_at_ms >= ?", .integer(from)) }
        if let to = query.to { filter.add("started_at_ms < ?", .integer(to)) }
        if let minIntensity = query.minIntensity { filter.add("intensity >= ?", .integer(Int64(minIntensity))) }
        if let trigger = query.trigger {
            filter.add("EXISTS (SELECT 1 FROM json_each(episodes.triggers) WHERE value = ?)", .text(trigger))
        }
        if let updatedSince = query.updatedSince { filter.add("updated_at_ms >= ?", .integer(updatedSince)) }
        if let cursor = query.cursor {
            guard let key = Cursor.decode(cursor, list: "episodes", count: 2) else { throw .invalidCursor }
            filter.add("(started_at_ms, id) < (?, ?)", .integer(key[0]), .integer(key[1]))
        }
        let limit = clampedLimit(query.limit)
        let sql = "SELECT \(Self.columns) FROM episodes\(filter.whereClause) ORDER BY started_at_ms DESC, id DESC LIMIT ?"
        return (sql, filter.bindings + [.integer(Int64(limit + 1))], limit)
    }
}

/// The `medications` column: a JSON array of medications as the API renders them.
enum StoredMedications {
    static func encode(_ medications: [Medication]) -> SQLiteValue {
        .text(JSON.string(.array(medications.map(\.json))))
    }

    static func decode(_ text: String?, id: Int64) throws(RecordsError) -> [Medication] {
        let invalid = RecordsError.storedDataInvalid(table: "episodes", id: id, column: "medications")
        guard let text, let value = try? JSON.parse(text), case .array(let elements) = value else { throw invalid }
        var medications: [Medication] = []
        medications.reserveCapacity(elements.count)
        for element in elements {
            guard case .object(let object) = element, let name = object["name"]?.stringValue else { throw invalid }
            let takenAt: Int64?
            if let text = object["takenAt"]?.stringValue {
                guard let instant = Timestamp.parse(text) else { throw invalid }
                takenAt = instant
            } else {
                takenAt = nil
            }
            medications.append(
                Medication(
                    name: name, medicationClass: object["class"]?.stringValue, doseMg: object["doseMg"]?.doubleValue,
                    takenAt: takenAt, effective: object["effective"]?.boolValue))
        }
        return medications
    }

    /// Only the `class` of each medication that has one (the summary's overuse counts), without
    /// building whole `Medication`s; empty for text that is not an array.
    static func classes(_ text: String) -> [String] {
        guard case .array(let elements)? = try? JSON.parse(text) else { return [] }
        return elements.compactMap { element in
            guard case .object(let object) = element else { return nil }
            return object["class"]?.stringValue
        }
    }
}
