import JSON
import SQLite

/// The audit log in SQLite (`audit_log`, Migrations/0003_access.sql, rebuilt by 0004 and 0005),
/// newest first by request time, then by id.
struct AuditRepository {
    let connection: Connection

    init(_ connection: Connection) { self.connection = connection }

    func list(_ query: AuditQuery) throws -> Page<AuditRecord> {
        var filter = ListFilter()
        if let patientId = query.patientId { filter.add("patient_id = ?", .integer(patientId)) }
        if let tokenId = query.tokenId { filter.add("token_id = ?", .integer(tokenId)) }
        if let cursor = query.cursor {
            guard let key = Cursor.decode(cursor, list: "audit", count: 2) else { throw RecordsError.invalidCursor }
            filter.add("(at_ms, id) < (?, ?)", .integer(key[0]), .integer(key[1]))
        }
        let limit = clampedLimit(query.limit)
        let rows = try connection.fetchAll(
            """
            SELECT id, at_ms, token_id, role, method, route, resource_id, patient_id, status, request_id
            FROM audit_log\(filter.whereClause) ORDER BY at_ms DESC, id DESC LIMIT ?
            """,
            filter.bindings + [.integer(Int64(limit + 1))], Self.decode)
        return Page(fetched: rows, limit: limit) { Cursor.encode(list: "audit", key: [$0.entry.at, $0.id]) }
    }

    private static func decode(_ s: Statement) -> AuditRecord {
        AuditRecord(
            id: s.int64(0),
            entry: AuditEntry(
                at: s.int64(1), tokenId: s.optionalInt64(2), role: s.optionalText(3).flatMap(Role.init(rawValue:)),
                method: s.text(4) ?? "", route: s.text(5) ?? "", resourceId: s.optionalInt64(6),
                patientId: s.optionalInt64(7), status: s.int(8), requestId: s.optionalText(9)))
    }

    // MARK: Writing

    private static let insertSQL = """
        INSERT INTO audit_log (id, at_ms, token_id, role, method, route, resource_id, patient_id, status, request_id)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// Writes an entry inside the caller's transaction (for changes); SQLite picks the id, past
    /// every id ever used (AUTOINCREMENT, Migrations/0005_ids_never_reused.sql).
    func insert(_ entry: AuditEntry) throws {
        try insert(CollectionOfOne((id: nil, entry: entry)))
    }

    /// Writes rows with one prepared statement, binding each value in place: a batch holds
    /// every read of the last half second, so the per-row cost is what the audit log costs.
    func insert(_ rows: some Collection<(id: Int64?, entry: AuditEntry)>) throws {
        let statement = try connection.statement(Self.insertSQL)
        defer {
            statement.reset()
            statement.clearBindings()
        }
        for (id, entry) in rows {
            try statement.bind(id.map(SQLiteValue.integer) ?? .null, at: 1)
            try statement.bind(.integer(entry.at), at: 2)
            try statement.bind(entry.tokenId.map(SQLiteValue.integer) ?? .null, at: 3)
            try statement.bind(entry.role.map { .text($0.rawValue) } ?? .null, at: 4)
            try statement.bind(.text(entry.method), at: 5)
            try statement.bind(.text(entry.route), at: 6)
            try statement.bind(entry.resourceId.map(SQLiteValue.integer) ?? .null, at: 7)
            try statement.bind(entry.patientId.map(SQLiteValue.integer) ?? .null, at: 8)
            try statement.bind(.integer(Int64(entry.status)), at: 9)
            try statement.bind(entry.requestId.map(SQLiteValue.text) ?? .null, at: 10)
            _ = try statement.step()
            statement.reset()
        }
    }

    /// Sets aside `count` ids past the largest ever used and returns the first: the next ids
    /// SQLite picks (a change's row) come after them, even before they are written. So a flush
    /// can write its rows over several transactions, each holding any of them. `sqlite_sequence`
    /// remembers the largest id when the newest rows are gone (pruned, or deleted by hand), so
    /// an id is never given twice; ids set aside but never written are simply not used.
    func reserveIds(_ count: Int) throws -> Int64 {
        let last =
            try connection.queryOne(
                """
                SELECT max(ifnull((SELECT max(id) FROM audit_log), 0),
                           ifnull((SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'), 0))
                """)?.int64(0) ?? 0
        let reservedTo = last + Int64(count)
        try connection.run("UPDATE sqlite_sequence SET seq = ? WHERE name = 'audit_log'", [.integer(reservedTo)])
        if connection.changes == 0 {
            try connection.run(
                "INSERT INTO sqlite_sequence (name, seq) VALUES ('audit_log', ?)", [.integer(reservedTo)])
        }
        return last + 1
    }

    /// Writes entries whose ids were set aside by `reserveIds` (`firstId` + each one's index
    /// in its flush), in the order given. A flush sorts its rows by patient before it splits
    /// them into transactions, so consecutive inserts into the patient index land on the same
    /// pages instead of one page per patient per transaction (bench/README.md).
    func insert(_ rows: [(index: Int, entry: AuditEntry)], firstId: Int64) throws {
        try insert(rows.lazy.map { (id: firstId + Int64($0.index), entry: $0.entry) })
    }

    /// The smallest id at or past which rows are not older than `cutoff`, taking `at_ms` as
    /// ascending with the id: a bisection of rowid look-ups, O(log² n). Nil for an empty table.
    func firstId(atOrAfter cutoff: Int64) throws -> Int64? {
        guard let bounds = try connection.queryOne("SELECT min(id), max(id) FROM audit_log"),
            var low = bounds.int64(0), let high = bounds.int64(1)
        else { return nil }
        var upper = high + 1
        while low < upper {
            let middle = low + (upper - low) / 2
            // The first row at or after `middle` (ids have gaps where rows were deleted).
            guard
                let row = try connection.queryOne(
                    "SELECT id, at_ms FROM audit_log WHERE id >= ? ORDER BY id LIMIT 1", [.integer(middle)]),
                let id = row.int64(0), let at = row.int64(1)
            else {
                upper = middle
                continue
            }
            if at >= cutoff { upper = middle } else { low = id + 1 }
        }
        return low
    }

    /// Deletes up to `limit` rows older than `cutoff` with ids below `boundary`; how many went.
    func deleteOlder(than cutoff: Int64, below boundary: Int64, limit: Int) throws -> Int {
        try connection.run(
            """
            DELETE FROM audit_log WHERE id IN
                (SELECT id FROM audit_log WHERE id < ? AND at_ms < ? ORDER BY id LIMIT ?)
            """,
            [.integer(boundary), .integer(cutoff), .integer(Int64(limit))])
        return connection.changes
    }
}
