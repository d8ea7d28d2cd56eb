import Foundation
import JSON
public import Logging
import SQLite
import Synchronization
import ThreadSupport

/// `relieflog export` and `relieflog import` (the contract's "Command line"): the same rules as
/// the HTTP endpoints, on the database directly. `--patient` acts as that patient's token would.
public enum BulkCommands {
    /// A failure to report as one line.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    /// Writes every row of `collection` to `write`, in pieces; returns the number of rows.
    public static func export(
        _ configuration: AppConfiguration, logger: Logger, collection: String, format formatName: String,
        patient: Int64?, write: (ArraySlice<UInt8>) throws -> Void, progress: (Int) -> Void
    ) async throws -> Int {
        guard let format = ExportFormat(rawValue: formatName) else {
            throw Failure("--format must be csv or ndjson, got '\(formatName)'")
        }
        let database = try openDatabase(configuration, logger: logger)
        defer { database.close() }
        switch collection {
        case "patients":
            return try await export(Patient.self, database, format, patient, configuration, write, progress)
        case "therapists":
            return try await export(Therapist.self, database, format, patient, configuration, write, progress)
        case "episodes":
            return try await export(Episode.self, database, format, patient, configuration, write, progress)
        case "sessions":
            return try await export(MassageSession.self, database, format, patient, configuration, write, progress)
        default: throw Failure("COLLECTION must be patients, therapists, episodes or sessions, got '\(collection)'")
        }
    }

    private static func export<R: RecordResource>(
        _: R.Type, _ database: DatabasePool, _ format: ExportFormat, _ patient: Int64?,
        _ configuration: AppConfiguration, _ write: (ArraySlice<UInt8>) throws -> Void, _ progress: (Int) -> Void
    ) async throws -> Int where R.Query: DefaultQuery {
        var query = R.Query.all
        if let patient {
            do { try R.scope(&query, toPatient: patient) } catch { throw Failure("no such patient \(patient)") }
        }
        let touched = PatientsTouched()
        let export = RecordExport<R>(
            query: query, format: format, read: { body in try await database.read(body) },
            onFinish: { rows, patients in touched.set(rows, patients) })
        while let piece = try await export.next() {
            try write(piece[...])
            progress(touched.rowsSoFar(export))
        }
        let (count, patients) = touched.value
        if R.isPatientData {
            try await audit(database, configuration, "relieflog export \(R.collection)", patients: patients)
        }
        return count
    }

    /// Imports `path` into `collection`; the summary as the HTTP endpoint answers it.
    public static func importFile(
        _ configuration: AppConfiguration, logger: Logger, collection: String, path: String,
        format formatName: String?, patient: Int64?, dryRun: Bool, onConflict: String,
        progress: (String) -> Void
    ) async throws -> String {
        guard let policy = ConflictPolicy(rawValue: onConflict) else {
            throw Failure("--on-conflict must be error, skip or update, got '\(onConflict)'")
        }
        let formatName = formatName ?? (path.lowercased().hasSuffix(".csv") ? "csv" : "ndjson")
        guard let data = FileManager.default.contents(atPath: path) else { throw Failure("cannot read \(path)") }
        let body = [UInt8](data)
        let database = try openDatabase(configuration, logger: logger)
        defer { database.close() }
        // The rows' events go to the outbox in the import's own transaction, as over HTTP; a
        // server running beside this command delivers them (it polls its queue).
        let clock = configuration.clock
        let transactions = Transactions(
            database: database,
            inTransaction: [{ changes, connection in try EventOutbox.record(changes, connection, now: clock()) }],
            afterCommit: [])
        let now = configuration.clock()
        let limits = configuration.importLimits
        progress("validating \(body.count) bytes")
        if formatName == "migraine-buddy" {
            guard let patient else { throw Failure("--format migraine-buddy needs --patient ID") }
            let found = try await database.read { try RecordRepository<Patient>($0).find(id: patient) }
            guard let found else { throw Failure("no such patient \(patient)") }
            let zone = Zone.named(found.timezone)
            var findings = MigraineBuddy.Findings()
            let plan = try ImportPlan<Episode>(scope: ImportScope(patient: patient), now: now) { accept, reject in
                findings = try MigraineBuddy.read(
                    body, patientId: patient, zoneOffset: zone.offset, limits: limits, accept, reject)
            }
            let policy = onConflict == "error" ? ConflictPolicy.skip : policy
            return try await run(
                plan, transactions, configuration, policy: policy, patient: patient, dryRun: dryRun,
                route: "relieflog import migraine-buddy", extra: ["unmapped": findings.json], progress: progress)
        }
        guard let format = ImportFormat(rawValue: formatName) else {
            throw Failure("--format must be csv, ndjson or migraine-buddy, got '\(formatName)'")
        }
        let scope = ImportScope(patient: patient)
        let route = "relieflog import \(collection)"
        do {
            switch collection {
            case "patients":
                if patient != nil { throw Failure("--patient applies to episodes and sessions") }
                return try await run(
                    try ImportPlan<Patient>(body, format: format, scope: scope, now: now, limits: limits), transactions,
                    configuration,
                    policy: policy, patient: patient, dryRun: dryRun, route: route, progress: progress)
            case "therapists":
                if patient != nil { throw Failure("--patient applies to episodes and sessions") }
                return try await run(
                    try ImportPlan<Therapist>(body, format: format, scope: scope, now: now, limits: limits),
                    transactions,
                    configuration, policy: policy, patient: patient, dryRun: dryRun, route: route, progress: progress)
            case "episodes":
                return try await run(
                    try ImportPlan<Episode>(body, format: format, scope: scope, now: now, limits: limits), transactions,
                    configuration,
                    policy: policy, patient: patient, dryRun: dryRun, route: route, progress: progress)
            case "sessions":
                return try await run(
                    try ImportPlan<MassageSession>(body, format: format, scope: scope, now: now, limits: limits),
                    transactions,
                    configuration, policy: policy, patient: patient, dryRun: dryRun, route: route, progress: progress)
            default:
                throw Failure("COLLECTION must be patients, therapists, episodes or sessions, got '\(collection)'")
            }
        } catch RecordsError.notFound {
            throw Failure("a row names another patient than --patient \(patient ?? 0)")
        }
    }

    private static func run<R: StoredRecord>(
        _ plan: ImportPlan<R>, _ transactions: Transactions, _ configuration: AppConfiguration, policy: ConflictPolicy,
        patient: Int64?, dryRun: Bool, route: String, extra: JSONObject = [:], progress: (String) -> Void
    ) async throws -> String {
        progress("writing \(plan.rows.count) rows")
        let clock = configuration.clock
        let scope = ImportScope(patient: patient)
        var summary: ImportSummary
        do {
            summary = try await transactions.write { connection, changes in
                let now = clock()
                var summary = try plan.write(connection, policy: policy, scope: scope, now: now, changes: &changes)
                summary.dryRun = dryRun
                if dryRun { throw DryRunFinished(summary: summary) }
                try insertAudit(connection, route: route, patients: summary.patients, now: now)
                return summary
            }
        } catch let finished as DryRunFinished {
            summary = finished.summary
        } catch let rejected as ImportRejected {
            let first = rejected.issues.prefix(3).map { "line \($0.line) \($0.field): \($0.message)" }
            let more = rejected.issues.count > 3 ? "; …" : ""
            throw Failure(
                "\(rejected.invalidRows) invalid row(s), nothing written: \(first.joined(separator: "; "))\(more)")
        }
        var body = summary.json
        for (key, value) in extra { body.append(key, value) }
        return JSON.string(.object(body))
    }

    private static func audit(
        _ database: DatabasePool, _ configuration: AppConfiguration, _ route: String, patients: [Int64]
    ) async throws {
        let now = configuration.clock()
        try await database.write { connection in try insertAudit(connection, route: route, patients: patients, now: now)
        }
    }

    /// One audit line per patient touched (one without a patient when none was), made by the
    /// command line: no token, no role.
    private static func insertAudit(_ connection: Connection, route: String, patients: [Int64], now: Int64) throws {
        for patient in patients.isEmpty ? [nil] : patients.map(Optional.some) {
            try AuditRepository(connection).insert(
                AuditEntry(
                    at: now, tokenId: nil, role: nil, method: "CLI", route: route, resourceId: nil, patientId: patient,
                    status: 200, requestId: nil))
        }
    }
}

/// What an export's `onFinish` reported, for the caller that awaits it.
private final class PatientsTouched: Sendable {
    private let state = Locked<(Int, [Int64])>((0, []))
    func set(_ rows: Int, _ patients: [Int64]) { state.withLock { $0 = (rows, patients) } }
    var value: (Int, [Int64]) { state.withLock { $0 } }
    func rowsSoFar<R>(_ export: RecordExport<R>) -> Int { export.rowsWritten }
}

/// A list query with no filters and no paging.
protocol DefaultQuery { static var all: Self { get } }
extension PatientQuery: DefaultQuery { static var all: Self { Self() } }
extension TherapistQuery: DefaultQuery { static var all: Self { Self() } }
extension EpisodeQuery: DefaultQuery { static var all: Self { Self() } }
extension SessionQuery: DefaultQuery { static var all: Self { Self() } }
