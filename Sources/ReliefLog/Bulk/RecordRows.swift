import JSON

// Records as rows of the bulk formats, derived from the record descriptions like everything
// else: the CSV columns are the described fields in the contract's order, then `id`,
// `createdAt`, `updatedAt`. A CSV row becomes the JSON object a single create would receive,
// so an imported row is validated by exactly the code that validates a POST.

extension RecordDescription {
    /// The CSV header: the fields, the record's own managed fields (a session's `recordedBy`),
    /// then `id`, `createdAt`, `updatedAt`.
    var csvHeader: [String] { stored.map(\.name) + Array(BulkRows.managedColumns) }

    /// Whether an import ignores this member: it is server-managed (written on export).
    func isIgnoredOnImport(_ name: String) -> Bool {
        BulkRows.managedColumns.contains(name) || managedNames.contains(name)
    }
}

/// Row conversions shared by export and import.
enum BulkRows {
    /// Server-managed members: written on export, ignored on import.
    static let managedColumns = ["id", "createdAt", "updatedAt"]

    /// The CSV cells of a record, in `csvHeader` order.
    static func csvCells<R: Record>(_ record: R) -> [String?] {
        csvCells(record, fields: R.Fields.recordDescription.stored)
    }

    /// `csvCells(_:)` with the field list looked up once by the caller (an export's batch).
    static func csvCells<R: Record>(_ record: R, fields: [FieldDescription<R.Fields>]) -> [String?] {
        var cells: [String?] = []
        cells.reserveCapacity(fields.count + 3)
        for field in fields { cells.append(field.csvCell(field.get(record.fields))) }
        cells.append(String(record.id))
        cells.append(Timestamp.format(record.createdAt))
        cells.append(Timestamp.format(record.updatedAt))
        return cells
    }
}

extension FieldDescription {
    /// A value as a CSV cell: nil (empty) for null and for empty lists, slugs joined with `;`,
    /// medications as their JSON text, text guarded against formula injection.
    func csvCell(_ value: FieldValue) -> String? {
        switch value {
        case .null: return nil
        case .integer(let number): return kind == .timestamp ? Timestamp.format(number) : String(number)
        case .text(let text): return CSV.guarded(text)
        case .boolean(let flag): return flag ? "true" : "false"
        case .list(let strings): return strings.isEmpty ? nil : CSV.guarded(strings.joined(separator: ";"))
        case .medications(let medications):
            return medications.isEmpty ? nil : JSON.string(.array(medications.map(\.json)))
        }
    }

    /// A CSV cell as the JSON a create body would carry; nil for an empty unquoted cell (the
    /// member is left out). What cannot be read as the field's type is passed on as a string,
    /// so validation reports it in its own words ("must be an integer").
    func json(csvCell cell: CSV.Cell) -> JSONValue? {
        if cell.text.isEmpty && !cell.quoted { return nil }
        switch kind {
        case .integer, .calendarYear, .reference:
            if let number = Int64(cell.text) { return .number(.integer(number)) }
            if let number = Double(cell.text), number.isFinite { return .number(.double(number)) }
            return .string(cell.text)
        case .boolean:
            switch cell.text {
            case "true": return .bool(true)
            case "false": return .bool(false)
            default: return .string(cell.text)
            }
        case .slugs, .texts:
            if cell.text.isEmpty { return .array([]) }
            return .array(
                CSV.unguarded(cell.text).split(separator: ";", omittingEmptySubsequences: false).map {
                    .string(String($0))
                })
        case .medications:
            if cell.text.isEmpty { return .array([]) }
            return (try? JSON.parse(cell.text)) ?? .string(cell.text)
        case .text, .choice, .timestamp:
            return .string(CSV.unguarded(cell.text))
        }
    }
}
