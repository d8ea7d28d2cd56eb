import SQLite

// The SQL of bulk export and import: exports read the list's filters in id order, one batch
// at a time after the last id sent (a keyset, so no statement stays open between batches and
// memory does not grow with the table); imports find a stored record by its `externalId`.

extension RecordRepository {
    /// Up to `limit` records matching the query's filters (its paging ignored) with an id
    /// above `afterId`, by id ascending.
    func exportBatch(_ query: R.Query, after afterId: Int64, limit: Int) throws -> [R] {
        var filter = R.filter(query)
        filter.add("id > ?", .integer(afterId))
        let sql = "SELECT \(R.table.selectColumns) FROM \(R.table.name)\(filter.whereClause) ORDER BY id LIMIT ?"
        return try connection.fetchAll(sql, filter.bindings + [.integer(Int64(limit))], R.table.decode)
    }

    /// Visits the records of `exportBatch` without collecting them.
    func forEachExported(
        _ query: R.Query, after afterId: Int64, limit: Int, _ body: (R) throws -> Void
    ) throws {
        var filter = R.filter(query)
        filter.add("id > ?", .integer(afterId))
        let sql = "SELECT \(R.table.selectColumns) FROM \(R.table.name)\(filter.whereClause) ORDER BY id LIMIT ?"
        let statement = try connection.statement(sql)
        defer {
            statement.reset()
            statement.clearBindings()
        }
        try statement.bind(filter.bindings + [.integer(Int64(limit))])
        while try statement.step() {
            try body(try R.table.decode(statement))
        }
    }

    /// The record with this `externalId`, if any (the column has a unique partial index).
    func find(externalId: String) throws -> R? {
        try connection.fetchOne(
            "SELECT \(R.table.selectColumns) FROM \(R.table.name) WHERE external_id = ?", [.text(externalId)],
            R.table.decode)
    }
}
