import SQLite

// What each record table needs beyond its derived SQL: the list's filters, order and keyset
// cursor, and the delete rule of therapists.
//
// Lists are keyset-paged: the next page continues strictly after the last row's sort key
// with a row-value comparison, which SQLite answers from the `*_started` indexes
// (https://www.sqlite.org/rowvalue.html#scrolling_window_queries). Patients and therapists
// are listed by id ascending; episodes and sessions newest first by (startedAt, id).

extension Patient: StoredRecord {
    static let table = RecordTable<Patient>()

    /// The list's filters, without paging (the export shares them).
    static func filter(_ query: PatientQuery) -> ListFilter {
        var filter = ListFilter()
        if let onlyId = query.onlyId { filter.add("id = ?", .integer(onlyId)) }
        if let updatedSince = query.updatedSince { filter.add("updated_at_ms >= ?", .integer(updatedSince)) }
        if let externalId = query.externalId { filter.add("external_id = ?", .text(externalId)) }
        return filter
    }

    static func listSQL(
        _ query: PatientQuery
    ) throws(RecordsError) -> (sql: String, bindings: [SQLiteValue], limit: Int) {
        var filter = Self.filter(query)
        try filter.continueByID(after: query.cursor, list: table.name)
        return filter.page(table, order: "id", limit: query.limit)
    }

    static func cursor(after record: Patient) -> String { Cursor.encode(list: table.name, key: [record.id]) }
}

extension Therapist: StoredRecord {
    static let table = RecordTable<Therapist>()

    /// The list's filters, without paging (the export shares them).
    static func filter(_ query: TherapistQuery) -> ListFilter {
        var filter = ListFilter()
        if let technique = query.technique {
            filter.add("EXISTS (SELECT 1 FROM json_each(therapists.techniques) WHERE value = ?)", .text(technique))
        }
        if let migraineExperience = query.migraineExperience {
            filter.add("migraine_experience = ?", .integer(migraineExperience ? 1 : 0))
        }
        if let active = query.active { filter.add("active = ?", .integer(active ? 1 : 0)) }
        if let updatedSince = query.updatedSince { filter.add("updated_at_ms >= ?", .integer(updatedSince)) }
        if let externalId = query.externalId { filter.add("external_id = ?", .text(externalId)) }
        return filter
    }

    static func listSQL(
        _ query: TherapistQuery
    ) throws(RecordsError) -> (sql: String, bindings: [SQLiteValue], limit: Int) {
        var filter = Self.filter(query)
        try filter.continueByID(after: query.cursor, list: table.name)
        return filter.page(table, order: "id", limit: query.limit)
    }

    static func cursor(after record: Therapist) -> String { Cursor.encode(list: table.name, key: [record.id]) }

    /// A therapist with sessions is a `conflict` (API.md: 409, "set `active: false` instead").
    static func checkDeletable(_ id: Int64, _ connection: Connection) throws {
        let hasSessions = try connection.scalar(
            "SELECT EXISTS (SELECT 1 FROM sessions WHERE therapist_id = ?)", [.integer(id)])
        if hasSessions == .integer(1) { throw hasSessionsConflict }
    }

    static let hasSessionsConflict = RecordsError.conflict(
        field: nil, message: "the therapist has sessions and cannot be deleted; set active to false instead")
}

extension Episode: StoredRecord {
    static let table = RecordTable<Episode>()

    /// The list's filters, without paging (the export shares them).
    static func filter(_ query: EpisodeQuery) -> ListFilter {
        var filter = ListFilter()
        if let patientId = query.patientId { filter.add("patient_id = ?", .integer(patientId)) }
        if let from = query.from { filter.add("started_at_ms >= ?", .integer(from)) }
        if let to = query.to { filter.add("started_at_ms < ?", .integer(to)) }
        if let minIntensity = query.minIntensity { filter.add("intensity >= ?", .integer(Int64(minIntensity))) }
        if let trigger = query.trigger {
            filter.add("EXISTS (SELECT 1 FROM json_each(episodes.triggers) WHERE value = ?)", .text(trigger))
        }
        if let updatedSince = query.updatedSince { filter.add("updated_at_ms >= ?", .integer(updatedSince)) }
        if let externalId = query.externalId { filter.add("external_id = ?", .text(externalId)) }
        return filter
    }

    static func listSQL(
        _ query: EpisodeQuery
    ) throws(RecordsError) -> (sql: String, bindings: [SQLiteValue], limit: Int) {
        var filter = Self.filter(query)
        try filter.continueByStart(after: query.cursor, list: table.name)
        return filter.page(table, order: "started_at_ms DESC, id DESC", limit: query.limit)
    }

    static func cursor(after record: Episode) -> String {
        Cursor.encode(list: table.name, key: [record.startedAt, record.id])
    }
}

extension MassageSession: StoredRecord {
    static let table = RecordTable<MassageSession>()

    /// The list's filters, without paging (the export shares them).
    static func filter(_ query: SessionQuery) -> ListFilter {
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
        if let externalId = query.externalId { filter.add("external_id = ?", .text(externalId)) }
        return filter
    }

    static func listSQL(
        _ query: SessionQuery
    ) throws(RecordsError) -> (sql: String, bindings: [SQLiteValue], limit: Int) {
        var filter = Self.filter(query)
        try filter.continueByStart(after: query.cursor, list: table.name)
        return filter.page(table, order: "started_at_ms DESC, id DESC", limit: query.limit)
    }

    static func cursor(after record: MassageSession) -> String {
        Cursor.encode(list: table.name, key: [record.startedAt, record.id])
    }
}

extension ListFilter {
    /// Continues a list ordered by id after the cursor's id.
    mutating func continueByID(after cursor: String?, list: String) throws(RecordsError) {
        guard let cursor else { return }
        guard let key = Cursor.decode(cursor, list: list, count: 1) else { throw .invalidCursor }
        add("id > ?", .integer(key[0]))
    }

    /// Continues a list ordered by (started_at_ms, id) descending after the cursor's key.
    mutating func continueByStart(after cursor: String?, list: String) throws(RecordsError) {
        guard let cursor else { return }
        guard let key = Cursor.decode(cursor, list: list, count: 2) else { throw .invalidCursor }
        add("(started_at_ms, id) < (?, ?)", .integer(key[0]), .integer(key[1]))
    }

    /// The page's SQL, bindings and clamped limit (fetching one row more than the limit).
    func page<R>(
        _ table: RecordTable<R>, order: String, limit: Int
    ) -> (sql: String, bindings: [SQLiteValue], limit: Int) {
        let limit = clampedLimit(limit)
        let sql = "SELECT \(table.selectColumns) FROM \(table.name)\(whereClause) ORDER BY \(order) LIMIT ?"
        return (sql, bindings + [.integer(Int64(limit + 1))], limit)
    }
}
