import JSON
import SQLite

// A record's response body written straight from its row, for the reads that only pass the
// record on: GET by id, list pages and the NDJSON export. The general path decodes the row
// into `Fields` through the field list's key paths, builds a `JSONValue` tree from it and
// serializes the tree; on a GET by id that was a quarter of the server's time. The text is the
// same byte for byte (a test holds the two paths equal over generated records), and so are the
// rows refused as `storedDataInvalid`: what each field's Swift type accepts (`null`, a value
// outside an enum's cases) is asked of the field list once, when the table is described.

/// How one stored column becomes its JSON member.
struct ColumnRendering: Sendable {
    enum Form: Sendable {
        case text
        /// Text that must be one of these (the field's Swift type is an enum of them).
        case closedChoice(Set<String>)
        case integer
        case timestamp
        case boolean
        case list
        case medications
    }

    let name: String
    let form: Form
    /// Whether the field's Swift type holds `null` (a NULL column renders `null`; otherwise
    /// it is invalid stored data, as decoding finds).
    let nullable: Bool

    init<Fields: RecordFields>(_ field: FieldDescription<Fields>) {
        name = field.name
        var scratch = Fields()
        nullable = field.set(&scratch, .null)
        switch field.kind {
        case .text: form = .text
        case .choice(let values):
            // A type that refuses a value outside the vocabulary is an enum over it.
            let refusesOthers = !field.set(&scratch, .text("\u{0}not-a-choice"))
            form = refusesOthers ? .closedChoice(Set(values)) : .text
        case .integer, .calendarYear, .reference: form = .integer
        case .timestamp: form = .timestamp
        case .boolean: form = .boolean
        case .slugs, .texts: form = .list
        case .medications: form = .medications
        }
    }
}

extension RecordTable {
    /// Writes the record in the current row of a statement over `selectColumns` as its response
    /// body (what `JSON.serialize(record.json)` writes) and returns its id and owning patient.
    func writeJSON(
        _ statement: Statement, into writer: inout JSONTextWriter
    ) throws(RecordsError) -> (id: Int64, owner: Int64?) {
        let id = statement.int64(0)
        writer.beginObject()
        writer.key("id")
        writer.integer(id)
        for (index, column) in renderings.enumerated() {
            try write(column, Int32(index + 1), statement, id: id, into: &writer)
        }
        let count = Int32(renderings.count)
        writer.key("createdAt")
        writer.string(Timestamp.format(statement.int64(count + 1)))
        writer.key("updatedAt")
        writer.string(Timestamp.format(statement.int64(count + 2)))
        writer.endObject()
        let owner: Int64? =
            switch R.resource {
            case .patient: id
            case .therapist: nil
            case .episode, .session: ownerColumn.map { statement.int64($0) }
            }
        return (id, owner)
    }

    private func write(
        _ column: ColumnRendering, _ index: Int32, _ statement: Statement, id: Int64,
        into writer: inout JSONTextWriter
    ) throws(RecordsError) {
        writer.key(column.name)
        // Lists are never NULL in a valid row (decoding refuses one); every other form may be.
        switch column.form {
        case .list:
            let strings = try statement.strings(index, table: name, id: id)
            writer.beginArray()
            for string in strings { writer.string(string) }
            writer.endArray()
        case .medications:
            let medications = try StoredMedications.decode(statement.text(index), id: id)
            writer.value(.array(medications.map(\.json)))
        case _ where statement.isNull(index):
            guard column.nullable else { throw invalid(statement, index, id: id) }
            writer.null()
        case .text:
            statement.withText(index) { bytes in
                if let bytes { writer.string(utf8: bytes) } else { writer.null() }
            }
        case .closedChoice(let values):
            guard let text = statement.text(index), values.contains(text) else {
                throw invalid(statement, index, id: id)
            }
            writer.string(text)
        case .integer:
            writer.integer(statement.int64(index))
        case .timestamp:
            writer.string(Timestamp.format(statement.int64(index)))
        case .boolean:
            writer.bool(statement.int64(index) != 0)
        }
    }

    private func invalid(_ statement: Statement, _ index: Int32, id: Int64) -> RecordsError {
        .storedDataInvalid(table: name, id: id, column: statement.columnName(index))
    }
}

extension RecordRepository {
    /// The record with this id as its response body, with its owning patient; nil if absent.
    func findJSON(id: Int64) throws -> (body: [UInt8], owner: Int64?)? {
        try connection.fetchOne(R.table.findSQL, [.integer(id)]) { statement in
            var writer = JSONTextWriter()
            let (_, owner) = try R.table.writeJSON(statement, into: &writer)
            return (writer.finish(), owner)
        }
    }
}

extension RecordRepository {
    /// One page of the list as the elements of its `items` array, written into `writer` (inside
    /// an array the caller opened); returns the cursor of the next page, nil on the last. Only
    /// the last row kept is decoded into a record, for its cursor.
    func listJSON(_ query: R.Query, into writer: inout JSONTextWriter) throws -> String? {
        let (sql, bindings, limit) = try R.listSQL(query)
        let statement = try connection.statement(sql)
        defer {
            statement.reset()
            statement.clearBindings()
        }
        try statement.bind(bindings)
        var written = 0
        var lastKept: R?
        while try statement.step() {
            // The row past the limit only shows that another page follows.
            guard written < limit else { return lastKept.map(R.cursor) }
            _ = try R.table.writeJSON(statement, into: &writer)
            written += 1
            if written == limit { lastKept = try R.table.decode(statement) }
        }
        return nil
    }

    /// The NDJSON export's lines (a record's body and a line feed each) written straight from the
    /// rows of `exportBatch`. Calls `row` with each row's id and owning patient.
    func appendExportedNDJSON(
        _ query: R.Query, after afterId: Int64, limit: Int, to out: inout [UInt8],
        row: (_ id: Int64, _ patient: Int64?) -> Void
    ) throws {
        try forEachExportedRow(query, after: afterId, limit: limit) { statement in
            var writer = JSONTextWriter(capacity: 1024)
            let (id, owner) = try R.table.writeJSON(statement, into: &writer)
            writer.finish(appendingTo: &out)
            out.append(0x0A)
            row(id, owner)
        }
    }
}
