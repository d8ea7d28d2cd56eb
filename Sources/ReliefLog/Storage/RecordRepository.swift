import SQLite

// The four record tables (Migrations/0002_records.sql), read and written through SQL derived
// from each record's field list: a field `startedAt` of kind timestamp is the column
// `started_at_ms`, `displayName` is `display_name`. Lists keep SQL of their own (filters,
// order, keyset cursors), in `StoredRecords.swift`.

/// A record as storage keeps it: its table and the SQL of its list.
protocol StoredRecord: Record {
    associatedtype Query: Sendable
    /// The table and its derived SQL.
    static var table: RecordTable<Self> { get }
    /// The SQL of one page of the list and its bindings (one row more than `limit`, to learn
    /// whether another page follows); `invalidCursor` for a cursor this list did not make.
    static func listSQL(_ query: Query) throws(RecordsError) -> (sql: String, bindings: [SQLiteValue], limit: Int)
    /// The list's filters without paging, for exports.
    static func filter(_ query: Query) -> ListFilter
    /// The cursor that continues a list after `record`.
    static func cursor(after record: Self) -> String
    /// Refuses a delete that the contract forbids (a therapist with sessions); nothing by default.
    static func checkDeletable(_ id: Int64, _ connection: Connection) throws
}

extension StoredRecord {
    static func checkDeletable(_ id: Int64, _ connection: Connection) throws {}
}

extension ResourceKind {
    /// The table that keeps records of this kind.
    var table: String {
        switch self {
        case .patient: "patients"
        case .therapist: "therapists"
        case .episode: "episodes"
        case .session: "sessions"
        }
    }
}

/// A record's table: its columns, derived from the field list, and the statements on it.
struct RecordTable<R: Record>: Sendable {
    let name: String
    /// `id`, the fields' columns, `created_at_ms`, `updated_at_ms`: the order `decode` reads.
    let selectColumns: String
    let insertSQL: String
    let updateSQL: String
    let findSQL: String
    let deleteSQL: String
    /// The fields that name another record, with the table that must hold it.
    private let references: [(index: Int, field: String, table: String)]
    /// How each stored field's column is rendered as JSON (`writeJSON`), in column order.
    let renderings: [ColumnRendering]
    /// The column of `patientId`, for the tables whose records belong to a patient by it.
    let ownerColumn: Int32?

    init() {
        let description = R.Fields.recordDescription
        name = description.resource.table
        let columns = description.stored.map(Self.column)
        selectColumns = (["id"] + columns + ["created_at_ms", "updated_at_ms"]).joined(separator: ", ")
        let placeholders = Array(repeating: "?", count: columns.count + 2).joined(separator: ", ")
        insertSQL =
            "INSERT INTO \(name) (\((columns + ["created_at_ms", "updated_at_ms"]).joined(separator: ", "))) VALUES (\(placeholders))"
        // `updated_at_ms` always moves forward, even when the clock stands still or steps back,
        // so an ETag-less client comparing timestamps sees every change.
        updateSQL =
            "UPDATE \(name) SET \(columns.map { "\($0) = ?" }.joined(separator: ", ")), updated_at_ms = max(?, updated_at_ms + 1) WHERE id = ? RETURNING created_at_ms, updated_at_ms"
        findSQL = "SELECT \(selectColumns) FROM \(name) WHERE id = ?"
        deleteSQL = "DELETE FROM \(name) WHERE id = ?"
        renderings = description.stored.map(ColumnRendering.init)
        ownerColumn = description.stored.firstIndex { $0.name == "patientId" }.map { Int32($0 + 1) }
        references = description.fields.enumerated().compactMap { index, field in
            guard case .reference(let target) = field.kind else { return nil }
            return (index, field.name, target.table)
        }
    }

    /// A field's column: its name in snake case, with `_ms` for instants.
    static func column(_ field: FieldDescription<R.Fields>) -> String {
        var column = ""
        for character in field.name {
            if character.isUppercase {
                column += "_" + character.lowercased()
            } else {
                column.append(character)
            }
        }
        return field.kind == .timestamp ? column + "_ms" : column
    }

    /// The bindings of the fields' columns, in column order.
    func values(_ fields: R.Fields) -> [SQLiteValue] {
        R.Fields.recordDescription.stored.map { field in field.get(fields).sqliteValue }
    }

    /// The record in the current row of a statement over `selectColumns`.
    func decode(_ statement: Statement) throws(RecordsError) -> R {
        let id = statement.int64(0)
        var fields = R.Fields()
        for (index, field) in R.Fields.recordDescription.stored.enumerated() {
            let column = Int32(index + 1)
            let value = try Self.value(of: field.kind, statement, column, table: name, id: id)
            guard field.set(&fields, value) else {
                throw .storedDataInvalid(table: name, id: id, column: statement.columnName(column))
            }
        }
        let count = Int32(R.Fields.recordDescription.stored.count)
        return R(id: id, fields: fields, createdAt: statement.int64(count + 1), updatedAt: statement.int64(count + 2))
    }

    private static func value(
        of kind: FieldKind, _ statement: Statement, _ column: Int32, table: String, id: Int64
    ) throws(RecordsError) -> FieldValue {
        switch kind {
        case .slugs, .texts:
            return .list(try statement.strings(column, table: table, id: id))
        case .medications:
            return .medications(try StoredMedications.decode(statement.text(column), id: id))
        case _ where statement.isNull(column):
            return .null
        case .text, .choice:
            return statement.text(column).map(FieldValue.text) ?? .null
        case .integer, .calendarYear, .reference, .timestamp:
            return .integer(statement.int64(column))
        case .boolean:
            return .boolean(statement.int64(column) != 0)
        }
    }

    /// `missingReference` for the first field naming a record that does not exist.
    func checkReferences(_ fields: R.Fields, _ connection: Connection) throws {
        let described = R.Fields.recordDescription.fields
        for reference in references {
            guard case .integer(let id) = described[reference.index].get(fields) else { continue }
            guard try connection.exists(reference.table, id: id) else {
                throw RecordsError.missingReference(field: reference.field)
            }
        }
    }
}

extension FieldValue {
    /// The value as SQLite stores it: lists as JSON arrays, booleans as 0 or 1.
    var sqliteValue: SQLiteValue {
        switch self {
        case .null: .null
        case .integer(let number): .integer(number)
        case .text(let text): .text(text)
        case .boolean(let flag): .integer(flag ? 1 : 0)
        case .list(let strings): StoredList.encode(strings)
        case .medications(let medications): StoredMedications.encode(medications)
        }
    }
}

/// Create, read, change, delete and list one kind of record, on a connection the caller
/// provides: inside `DatabasePool.write` for changes (so the existence checks and the write
/// are one transaction) and `DatabasePool.read` for reads.
struct RecordRepository<R: StoredRecord> {
    let connection: Connection

    init(_ connection: Connection) {
        self.connection = connection
    }

    /// Stores a new record; `missingReference` or `conflict` (a unique `externalId` or license).
    func insert(_ fields: R.Fields, now: Int64) throws -> R {
        try R.table.checkReferences(fields, connection)
        do {
            try connection.run(R.table.insertSQL, R.table.values(fields) + [.integer(now), .integer(now)])
        } catch let error as SQLiteError {
            throw uniqueConflict(error) ?? error
        }
        return R(id: connection.lastInsertRowID, fields: fields, createdAt: now, updatedAt: now)
    }

    func find(id: Int64) throws -> R? {
        try connection.fetchOne(R.table.findSQL, [.integer(id)], R.table.decode)
    }

    /// Replaces the fields; `notFound`, `missingReference` or `conflict`.
    func update(id: Int64, _ fields: R.Fields, now: Int64) throws -> R {
        guard try connection.exists(R.table.name, id: id) else { throw RecordsError.notFound }
        try R.table.checkReferences(fields, connection)
        let row: Row?
        do {
            row = try connection.queryOne(R.table.updateSQL, R.table.values(fields) + [.integer(now), .integer(id)])
        } catch let error as SQLiteError {
            throw uniqueConflict(error) ?? error
        }
        guard let row, let createdAt = row.int64(0), let updatedAt = row.int64(1) else { throw RecordsError.notFound }
        return R(id: id, fields: fields, createdAt: createdAt, updatedAt: updatedAt)
    }

    /// Deletes the record (a patient's episodes and sessions go with it, by `ON DELETE
    /// CASCADE`: API.md's right to erasure); `notFound` when there is no such record.
    func delete(id: Int64) throws {
        try R.checkDeletable(id, connection)
        do {
            try connection.run(R.table.deleteSQL, [.integer(id)])
        } catch let error as SQLiteError where error.isForeignKeyViolation {
            // ON DELETE RESTRICT: the check above says why (it cannot have changed since,
            // inside this transaction, but the constraint is the last word).
            try R.checkDeletable(id, connection)
            throw error
        }
        guard connection.changes == 1 else { throw RecordsError.notFound }
    }

    /// One page; `invalidCursor` for a cursor this list did not make.
    func list(_ query: R.Query) throws -> Page<R> {
        let (sql, bindings, limit) = try R.listSQL(query)
        return Page(fetched: try connection.fetchAll(sql, bindings, R.table.decode), limit: limit, cursor: R.cursor)
    }

    /// See `StoredRecord.listSQL`.
    static func listSQL(_ query: R.Query) throws(RecordsError) -> (sql: String, bindings: [SQLiteValue], limit: Int) {
        try R.listSQL(query)
    }

    /// The selected columns, in the order rows are decoded.
    static var columns: String { R.table.selectColumns }
}

typealias PatientRepository = RecordRepository<Patient>
typealias TherapistRepository = RecordRepository<Therapist>
typealias EpisodeRepository = RecordRepository<Episode>
typealias SessionRepository = RecordRepository<MassageSession>
