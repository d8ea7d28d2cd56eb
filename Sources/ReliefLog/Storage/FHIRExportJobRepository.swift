import SQLite

/// A stored FHIR bulk export job (Migrations/0008_fhir_export_jobs.sql).
struct FHIRExportJob: Sendable, Hashable {
    enum State: String, Sendable { case running, complete, failed }

    var id: Int64
    var tokenId: Int64
    var request: String
    var baseURL: String
    var patientLevel: Bool
    var types: [String]
    var since: Int64?
    var state: State
    var transactionTime: Int64
    /// `[{type, count}]` of the finished files, as JSON text.
    var output: String?
    var error: String?
}

/// The SQL of FHIR export jobs.
struct FHIRExportJobRepository {
    let connection: Connection

    init(_ connection: Connection) { self.connection = connection }

    private static let columns =
        "id, token_id, request, base_url, level, types, since_ms, state, transaction_time_ms, output, error"

    func insert(
        tokenId: Int64, request: String, baseURL: String, patientLevel: Bool, types: [String], since: Int64?, now: Int64
    ) throws -> FHIRExportJob {
        try connection.run(
            """
            INSERT INTO fhir_export_jobs (token_id, request, base_url, level, types, since_ms, state, transaction_time_ms, created_at_ms)
            VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?)
            """,
            [
                .integer(tokenId), .text(request), .text(baseURL), .text(patientLevel ? "patient" : "system"),
                StoredList.encode(types), since.map(SQLiteValue.integer) ?? .null, .integer(now), .integer(now),
            ])
        return FHIRExportJob(
            id: connection.lastInsertRowID, tokenId: tokenId, request: request, baseURL: baseURL,
            patientLevel: patientLevel, types: types, since: since, state: .running, transactionTime: now)
    }

    func find(id: Int64) throws -> FHIRExportJob? {
        try connection.fetchOne(
            "SELECT \(Self.columns) FROM fhir_export_jobs WHERE id = ?", [.integer(id)], Self.decode)
    }

    func finish(id: Int64, state: FHIRExportJob.State, output: String?, error: String?, now: Int64) throws {
        try connection.run(
            "UPDATE fhir_export_jobs SET state = ?, output = ?, error = ?, finished_at_ms = ? WHERE id = ? AND state = 'running'",
            [
                .text(state.rawValue), output.map(SQLiteValue.text) ?? .null, error.map(SQLiteValue.text) ?? .null,
                .integer(now), .integer(id),
            ])
    }

    func delete(id: Int64) throws {
        try connection.run("DELETE FROM fhir_export_jobs WHERE id = ?", [.integer(id)])
    }

    /// Marks every job still running as failed with `reason`; their ids.
    func failRunning(reason: String, now: Int64) throws -> [Int64] {
        let ids = try connection.fetchAll("SELECT id FROM fhir_export_jobs WHERE state = 'running'", []) { $0.int64(0) }
        try connection.run(
            "UPDATE fhir_export_jobs SET state = 'failed', error = ?, finished_at_ms = ? WHERE state = 'running'",
            [.text(reason), .integer(now)])
        return ids
    }

    private static func decode(_ statement: Statement) throws -> FHIRExportJob {
        FHIRExportJob(
            id: statement.int64(0), tokenId: statement.int64(1), request: statement.text(2) ?? "",
            baseURL: statement.text(3) ?? "", patientLevel: statement.text(4) == "patient",
            types: StoredList.decode(statement.text(5)) ?? [], since: statement.optionalInt64(6),
            state: FHIRExportJob.State(rawValue: statement.text(7) ?? "") ?? .failed,
            transactionTime: statement.int64(8), output: statement.optionalText(9), error: statement.optionalText(10))
    }
}
