import JSON
import SQLite

// Bulk import (the contract's "Bulk data: export and import"): every row is turned into the
// body a single create would receive and validated by the same code (`Fields(validating:)`);
// then every row is written in one transaction, or none is. Bad rows are reported by line and
// field, the first 100 of them, with the count of all.

/// The formats a bulk import reads.
enum ImportFormat: String, Sendable, CaseIterable {
    case csv
    case ndjson

    /// The format of a request body's media type.
    init?(mediaType: String) {
        switch mediaType {
        case "text/csv": self = .csv
        case "application/x-ndjson", "application/ndjson", "application/jsonl": self = .ndjson
        default: return nil
        }
    }
}

/// What happens to a row whose `externalId` is already stored.
enum ConflictPolicy: String, Sendable, CaseIterable {
    /// The row is invalid (the whole import is refused).
    case error
    /// The row is left out; the stored record stays as it is.
    case skip
    /// The row replaces the stored record's fields, as a full update.
    case update
}

/// One bad row: the 1-based line of the file where it starts, a JSON Pointer to the field
/// (the root, "", for the row as a whole) and what is wrong.
struct ImportIssue: Sendable, Hashable {
    var line: Int
    var field: String
    var message: String
}

/// An import refused because of bad rows; nothing was written.
struct ImportRejected: Error, Sendable, Hashable {
    /// The first `ImportRejected.listed` issues, in file order.
    var issues: [ImportIssue]
    /// How many rows are bad (each may have several issues).
    var invalidRows: Int

    static let listed = 100
}

/// What an import did (or, with `dryRun`, would do).
struct ImportSummary: Sendable, Hashable {
    var inserted = 0
    var updated = 0
    var skipped = 0
    /// Rows matching a stored record (`onConflict=update`) whose fields were already the same.
    var unchanged = 0
    var dryRun = false
    /// The patients whose data the import touched, ascending (for the audit log).
    var patients: [Int64] = []

    var json: JSONObject {
        var object = JSONObject()
        object.append("inserted", .number(.integer(Int64(inserted))))
        object.append("updated", .number(.integer(Int64(updated))))
        object.append("skipped", .number(.integer(Int64(skipped))))
        object.append("unchanged", .number(.integer(Int64(unchanged))))
        object.append("dryRun", .bool(dryRun))
        return object
    }
}

/// Who imports, for the rules of a single create: a patient token's rows are its patient's
/// (`patientId` implied, another patient is `notFound`); a clinician writes only its own
/// therapist's sessions.
struct ImportScope: Sendable, Hashable {
    var patient: Int64?
    var clinicianTherapist: Int64?

    static let everything = ImportScope()
}

/// Collects issues, keeping the first `ImportRejected.listed`.
struct ImportIssues: Sendable {
    private(set) var listed: [ImportIssue] = []
    private(set) var invalidLines: Set<Int> = []

    var isEmpty: Bool { invalidLines.isEmpty }

    mutating func add(_ line: Int, _ field: String, _ message: String) {
        invalidLines.insert(line)
        if listed.count < ImportRejected.listed {
            listed.append(ImportIssue(line: line, field: field, message: message))
        }
    }

    mutating func add(_ line: Int, _ error: ValidationError) {
        for failure in error.failures { add(line, failure.field, failure.message) }
    }

    var rejection: ImportRejected {
        ImportRejected(issues: listed.sorted { ($0.line) < ($1.line) }, invalidRows: invalidLines.count)
    }
}

/// The rows of an import, validated: what will be written, and what is wrong.
struct ImportPlan<R: StoredRecord>: Sendable {
    var rows: [(line: Int, fields: R.Fields)] = []
    var issues = ImportIssues()

    /// Reads and validates `body`. Throws `RecordsError.notFound` when a patient scope meets a
    /// row of another patient, `AccessDenied` for a clinician's row of another therapist.
    /// Throws `ImportLimitExceeded` for a file beyond `limits`.
    init(
        _ body: [UInt8], format: ImportFormat, scope: ImportScope, now: Int64, limits: ImportLimits = ImportLimits()
    ) throws {
        try self.init(scope: scope, now: now) { accept, reject in
            switch format {
            case .ndjson: try Self.readNDJSON(body, limits, accept, reject)
            case .csv: try Self.readCSV(body, limits, accept, reject)
            }
        }
    }

    /// Validates the create bodies that `read` hands to its first argument (with their lines);
    /// what `read` cannot turn into a body it reports to its second.
    init(
        scope: ImportScope, now: Int64,
        read: (_ accept: (Int, JSONObject) throws -> Void, _ reject: (Int, String, String) -> Void) throws -> Void
    ) throws {
        var rows: [(line: Int, fields: R.Fields)] = []
        var issues = ImportIssues()
        var seenExternalIds: [String: Int] = [:]
        let impliesPatient = R.Fields.recordDescription.fields.contains(where: \.impliedForPatientTokens)
        func accept(_ line: Int, _ object: JSONObject) throws {
            var object = object
            if impliesPatient, let own = scope.patient {
                if let named = object["patientId"] {
                    if let id = named.int64Value, id != own { throw RecordsError.notFound }
                } else {
                    object.append("patientId", .number(.integer(own)))
                }
            }
            var fields: R.Fields
            do {
                fields = try R.Fields(validating: object, now: now)
            } catch {
                issues.add(line, error)
                return
            }
            // Who entered the rows, as for a single create: a patient token's import is the patient's.
            fields.recordCreation(byPatient: scope.patient != nil)
            if let therapist = scope.clinicianTherapist, !R.clinicianMayWrite(therapist, fields) {
                throw AccessDenied.other("A clinician token may only import its own therapist's sessions.")
            }
            if case .text(let externalId) = R.externalIdValue(fields) {
                if let earlier = seenExternalIds[externalId] {
                    issues.add(line, "/externalId", "repeats the externalId of line \(earlier)")
                    return
                }
                seenExternalIds[externalId] = line
            }
            rows.append((line, fields))
        }
        func reject(_ line: Int, _ field: String, _ message: String) { issues.add(line, field, message) }
        try read(accept, reject)
        self.rows = rows
        self.issues = issues
    }

    /// One JSON object per line; blank lines are skipped. Server-managed members (`id`,
    /// `createdAt`, `updatedAt`, a session's `recordedBy`, as an export writes them) are ignored.
    private static func readNDJSON(
        _ body: [UInt8], _ limits: ImportLimits, _ accept: (Int, JSONObject) throws -> Void,
        _ reject: (Int, String, String) -> Void
    ) throws {
        var line = 0
        var start = 0
        var rows = 0
        while start < body.count {
            line += 1
            let end = body[start...].firstIndex(of: 0x0A) ?? body.count
            var stop = end
            if stop > start, body[stop - 1] == 0x0D { stop -= 1 }
            defer { start = end + 1 }
            if body[start..<stop].allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            rows += 1
            if rows > limits.maxRows { throw limits.rowsExceeded(at: line) }
            if stop - start > limits.maxLineBytes {
                throw ImportLimitExceeded(
                    limit: "import.maxLineBytes", maximum: limits.maxLineBytes, line: line,
                    what: "a line has more than \(limits.maxLineBytes) bytes")
            }
            let value: JSONValue
            do {
                value = try JSON.parse(Array(body[start..<stop]))
            } catch {
                reject(line, "", "is not valid JSON: \(error.description)")
                continue
            }
            guard case .object(let object) = value else {
                reject(line, "", "must be a JSON object, not \(value.typeName)")
                continue
            }
            var kept = JSONObject()
            for (key, member) in object where !R.Fields.recordDescription.isIgnoredOnImport(key) {
                kept.append(key, member)
            }
            try accept(line, kept)
        }
    }

    /// A header row of field names (any order; `id`, `createdAt`, `updatedAt` ignored; an
    /// unknown or repeated column is an issue of line 1), then one row per record.
    private static func readCSV(
        _ body: [UInt8], _ limits: ImportLimits, _ accept: (Int, JSONObject) throws -> Void,
        _ reject: (Int, String, String) -> Void
    ) throws {
        let fields = R.Fields.recordDescription.fields
        var columns: [Int?]? = nil  // index into `fields`, nil for an ignored column
        var headerFailed = false
        var rows = 0
        do {
            try CSV.read(body, limits: limits) { line, cells in
                guard let mapping = columns else {
                    var mapping: [Int?] = []
                    var seen: Set<String> = []
                    for cell in cells {
                        let name = cell.text
                        if !seen.insert(name).inserted {
                            reject(line, "/" + name, "is a repeated column")
                            headerFailed = true
                        }
                        if let index = fields.firstIndex(where: { $0.name == name }) {
                            mapping.append(index)
                        } else if R.Fields.recordDescription.isIgnoredOnImport(name) {
                            mapping.append(nil)
                        } else {
                            reject(line, "/" + name, "is not a known column")
                            headerFailed = true
                            mapping.append(nil)
                        }
                    }
                    columns = mapping
                    return
                }
                rows += 1
                if rows > limits.maxRows { throw limits.rowsExceeded(at: line) }
                if headerFailed { return }
                guard cells.count == mapping.count else {
                    reject(line, "", "has \(cells.count) cells where the header has \(mapping.count)")
                    return
                }
                var object = JSONObject()
                for (cell, column) in zip(cells, mapping) {
                    guard let column else { continue }
                    let field = fields[column]
                    if let value = field.json(csvCell: cell) { object.append(field.name, value) }
                }
                try accept(line, object)
            }
        } catch let error as CSV.SyntaxError {
            reject(error.line, "", error.message)
        }
        if columns == nil { reject(1, "", "the file has no header row") }
    }

    /// Writes the rows on `connection` (inside the caller's transaction), appending a change per
    /// record written. Throws `ImportRejected` when a row fails here or failed validation, so
    /// the transaction rolls back and nothing is written.
    func write(
        _ connection: Connection, policy: ConflictPolicy, scope: ImportScope, now: Int64,
        changes: inout [RecordChange]
    ) throws -> ImportSummary {
        var issues = issues
        var summary = ImportSummary()
        var patients: Set<Int64> = []
        let records = RecordRepository<R>(connection)
        for (line, fields) in rows {
            do {
                if case .text(let externalId) = R.externalIdValue(fields),
                    let existing = try records.find(externalId: externalId)
                {
                    switch policy {
                    case .error:
                        issues.add(
                            line, "/externalId",
                            "a record with this externalId exists already (use onConflict=skip or update)")
                    case .skip:
                        summary.skipped += 1
                    case .update:
                        if let own = scope.patient, existing.ownerPatientId != own { throw RecordsError.notFound }
                        if let therapist = scope.clinicianTherapist, !R.clinicianMayWrite(therapist, existing.fields) {
                            throw AccessDenied.other("A clinician token may only import its own therapist's sessions.")
                        }
                        if existing.fields == fields {
                            summary.unchanged += 1
                            continue
                        }
                        let updated = try records.update(id: existing.id, fields, now: now)
                        summary.updated += 1
                        var owners: [Int64] = []
                        for case let owner? in [existing.ownerPatientId, updated.ownerPatientId]
                        where !owners.contains(owner) {
                            owners.append(owner)
                            patients.insert(owner)
                        }
                        changes.append(
                            RecordChange(resource: R.resource, action: .updated, id: existing.id, patients: owners))
                    }
                    continue
                }
                let record = try records.insert(fields, now: now)
                summary.inserted += 1
                if let owner = record.ownerPatientId { patients.insert(owner) }
                changes.append(
                    RecordChange(
                        resource: R.resource, action: .created, id: record.id,
                        patients: record.ownerPatientId.map { [$0] } ?? []))
            } catch RecordsError.missingReference(let field) {
                issues.add(line, "/" + field, "names no existing record")
            } catch RecordsError.conflict(let field, let message) {
                issues.add(line, field.map { "/" + $0 } ?? "", message)
            }
        }
        if !issues.isEmpty { throw issues.rejection }
        summary.patients = patients.sorted()
        return summary
    }
}

extension Record {
    /// The `externalId` field's value (every resource has one).
    static func externalIdValue(_ fields: Fields) -> FieldValue {
        Fields.recordDescription.fields.first { $0.name == "externalId" }?.get(fields) ?? .null
    }

    /// Whether a clinician acting for `therapistId` may write these fields (only sessions of
    /// their own; `RecordResource.clinician(_:mayWrite:)` for the API's resources).
    static func clinicianMayWrite(_ therapistId: Int64, _ fields: Fields) -> Bool {
        guard let value = Fields.recordDescription.fields.first(where: { $0.name == "therapistId" })?.get(fields)
        else { return false }
        return value == .integer(therapistId)
    }
}

/// Rolls back a dry run's transaction while carrying what it would have done.
struct DryRunFinished: Error, Sendable {
    var summary: ImportSummary
}
