import JSON
import SQLite
import Synchronization
import ThreadSupport

// Bulk export (the contract's "Bulk data: export and import"): every row a list's filters
// match, by id ascending, as NDJSON (each line exactly as `GET` renders the record) or CSV
// (`csvHeader`, then one row per record). The rows are read in batches by keyset
// (`RecordRepository.forEachExported`), each batch rendered and handed on before the next is
// read, so memory stays flat however many rows there are.

/// The formats a bulk export writes.
enum ExportFormat: String, Sendable, CaseIterable {
    case ndjson
    case csv

    var mediaType: String {
        switch self {
        case .ndjson: "application/x-ndjson"
        case .csv: "text/csv; charset=utf-8"
        }
    }
}

/// One export in progress: hands out the file in pieces, each a batch of rows.
final class RecordExport<R: StoredRecord>: Sendable {
    /// Rows per piece: large enough that the per-batch query and hand-over cost little, small
    /// enough that a piece stays a few hundred kilobytes (peak RSS stays near the idle server's).
    static var batchSize: Int { 2000 }

    private struct State {
        var afterId: Int64 = 0
        var started = false
        var finished = false
        var rows = 0
        var patients: Set<Int64> = []
    }

    private let query: R.Query
    private let format: ExportFormat
    private let read: @Sendable (@escaping @Sendable (Connection) throws -> Piece) async throws -> Piece
    private let state = Locked(State())
    private let onFinish: @Sendable (_ rows: Int, _ patients: [Int64]) -> Void

    struct Piece: Sendable {
        var bytes: [UInt8]
        var lastId: Int64?
        var count: Int
        var patients: Set<Int64>
    }

    /// - Parameters:
    ///   - read: Runs a read on a reader connection (`Transactions.read`, `DatabasePool.read`).
    ///   - onFinish: Called once, after the last piece, with the rows written and the
    ///     patients whose data they were (for the audit log).
    init(
        query: R.Query, format: ExportFormat,
        read: @escaping @Sendable (@escaping @Sendable (Connection) throws -> Piece) async throws -> Piece,
        onFinish: @escaping @Sendable (_ rows: Int, _ patients: [Int64]) -> Void
    ) {
        self.query = query
        self.format = format
        self.read = read
        self.onFinish = onFinish
    }

    /// How many rows the pieces handed out so far hold.
    var rowsWritten: Int { state.withLock { $0.rows } }

    /// The next piece of the file, or nil after the last.
    func next() async throws -> [UInt8]? {
        let (afterId, started, finished) = state.withLock { ($0.afterId, $0.started, $0.finished) }
        if finished { return nil }
        let query = query
        let format = format
        let piece = try await read { connection in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(256 * 1024)
            var lastId: Int64?
            var count = 0
            var patients: Set<Int64> = []
            if !started, format == .csv {
                CSV.appendRecord(R.Fields.recordDescription.csvHeader, to: &bytes)
            }
            let records = RecordRepository<R>(connection)
            switch format {
            case .csv:
                // Straight from the columns; `BulkRows.csvCells` is the same through records.
                try records.appendExportedCSV(query, after: afterId, limit: Self.batchSize, to: &bytes) {
                    id, patient in
                    lastId = id
                    count += 1
                    if let patient { patients.insert(patient) }
                }
            case .ndjson:
                // Straight from the rows too; the same text as `JSON.serialize(record.json)`.
                try records.appendExportedNDJSON(query, after: afterId, limit: Self.batchSize, to: &bytes) {
                    id, patient in
                    lastId = id
                    count += 1
                    if let patient { patients.insert(patient) }
                }
            }
            return Piece(bytes: bytes, lastId: lastId, count: count, patients: patients)
        }
        let done = piece.count < Self.batchSize
        let summary = state.withLock { state -> (Int, [Int64])? in
            state.started = true
            if let last = piece.lastId { state.afterId = last }
            state.rows += piece.count
            state.patients.formUnion(piece.patients)
            guard done else { return nil }
            state.finished = true
            return (state.rows, state.patients.sorted())
        }
        if let summary { onFinish(summary.0, summary.1) }
        if piece.bytes.isEmpty && !done { return [] }
        return piece.bytes.isEmpty ? nil : piece.bytes
    }
}
