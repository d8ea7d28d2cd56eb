import SQLite

// The SQL of bulk export and import: exports read the list's filters in id order, one batch
// at a time after the last id sent (a keyset, so no statement stays open between batches and
// memory does not grow with the table); imports find a stored record by its `externalId`.

extension RecordRepository {
    /// Up to `limit` records matching the query's filters (its paging ignored) with an id
    /// above `afterId`, by id ascending.
    func exportBatch(_ query: R.Query, after afterId: Int64, limit: Int) throws -> [R] {
        let (sql, bindings) = Self.exportSQL(query, after: afterId, limit: limit)
        return try connection.fetchAll(sql, bindings, R.table.decode)
    }

    /// One export batch's statement: the list's filters, ids above `afterId`, by id ascending.
    private static func exportSQL(
        _ query: R.Query, after afterId: Int64, limit: Int
    ) -> (sql: String, bindings: [SQLiteValue]) {
        var filter = R.filter(query)
        filter.add("id > ?", .integer(afterId))
        let sql = "SELECT \(R.table.selectColumns) FROM \(R.table.name)\(filter.whereClause) ORDER BY id LIMIT ?"
        return (sql, filter.bindings + [.integer(Int64(limit))])
    }

    /// Visits the records of `exportBatch` without collecting them.
    func forEachExported(
        _ query: R.Query, after afterId: Int64, limit: Int, _ body: (R) throws -> Void
    ) throws {
        try forEachExportedRow(query, after: afterId, limit: limit) { statement in
            try body(try R.table.decode(statement))
        }
    }

    /// Visits the rows of `exportBatch` (a statement over `selectColumns`, on its current row).
    func forEachExportedRow(
        _ query: R.Query, after afterId: Int64, limit: Int, _ body: (Statement) throws -> Void
    ) throws {
        let (sql, bindings) = Self.exportSQL(query, after: afterId, limit: limit)
        let statement = try connection.statement(sql)
        defer {
            statement.reset()
            statement.clearBindings()
        }
        try statement.bind(bindings)
        while try statement.step() {
            try body(statement)
        }
    }

    /// The record with this `externalId`, if any (the column has a unique partial index).
    func find(externalId: String) throws -> R? {
        try connection.fetchOne(
            "SELECT \(R.table.selectColumns) FROM \(R.table.name) WHERE external_id = ?", [.text(externalId)],
            R.table.decode)
    }
}

extension RecordRepository {
    /// The CSV export's rows written straight from the statement's columns, without building
    /// records: the same cells as `BulkRows.csvCells` (a test holds the two equal), at a
    /// fraction of the cost. Calls `row` with each row's id and owning patient.
    func appendExportedCSV(
        _ query: R.Query, after afterId: Int64, limit: Int, to out: inout [UInt8],
        row: (_ id: Int64, _ patient: Int64?) -> Void
    ) throws {
        let (sql, bindings) = Self.exportSQL(query, after: afterId, limit: limit)
        let statement = try connection.statement(sql)
        defer {
            statement.reset()
            statement.clearBindings()
        }
        try statement.bind(bindings)
        // Every column of the table, the managed fields (a session's `recordedBy`) included.
        let fields = R.Fields.recordDescription.stored
        let kinds = fields.map(\.kind)
        let patientColumn = fields.firstIndex { $0.name == "patientId" }.map { Int32($0 + 1) }
        let isPatient = R.resource == .patient
        var cells: [String?] = Array(repeating: nil, count: kinds.count + 3)
        while try statement.step() {
            let id = statement.int64(0)
            for (index, kind) in kinds.enumerated() {
                cells[index] = try Self.csvCell(kind, statement, Int32(index + 1), table: R.table.name, id: id)
            }
            let count = Int32(kinds.count)
            cells[kinds.count] = String(id)
            cells[kinds.count + 1] = Timestamp.format(statement.int64(count + 1))
            cells[kinds.count + 2] = Timestamp.format(statement.int64(count + 2))
            CSV.appendRecord(cells, to: &out)
            row(id, isPatient ? id : patientColumn.map { statement.int64($0) })
        }
    }

    private static func csvCell(
        _ kind: FieldKind, _ statement: Statement, _ column: Int32, table: String, id: Int64
    ) throws(RecordsError) -> String? {
        switch kind {
        case .slugs, .texts:
            let strings = try statement.strings(column, table: table, id: id)
            return strings.isEmpty ? nil : CSV.guarded(strings.joined(separator: ";"))
        case .medications:
            guard let text = statement.text(column) else {
                throw .storedDataInvalid(table: table, id: id, column: statement.columnName(column))
            }
            return StoredList.isEmptyArray(text) ? nil : text
        case _ where statement.isNull(column):
            return nil
        case .text, .choice:
            return statement.text(column).map(CSV.guarded)
        case .integer, .calendarYear, .reference:
            return String(statement.int64(column))
        case .timestamp:
            return Timestamp.format(statement.int64(column))
        case .boolean:
            return statement.int64(column) != 0 ? "true" : "false"
        }
    }
}
