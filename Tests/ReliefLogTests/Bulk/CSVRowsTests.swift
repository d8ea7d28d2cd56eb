import Foundation
import SQLite
import TestSupport
import Testing

@testable import ReliefLog

@Suite("CSV rows of the export")
struct CSVRowsTests {
    /// The export writes CSV straight from the columns; it must equal the cells derived from
    /// the records, for every collection and the awkward values of `seedClinic`.
    private func same<R: StoredRecord>(
        _: R.Type, _ query: R.Query, _ database: DatabasePool
    ) async throws -> (fast: [UInt8], slow: [UInt8]) {
        try await database.read { connection in
            let records = RecordRepository<R>(connection)
            var fast: [UInt8] = []
            try records.appendExportedCSV(query, after: 0, limit: 1000, to: &fast) { _, _ in }
            var slow: [UInt8] = []
            try records.forEachExported(query, after: 0, limit: 1000) { record in
                CSV.appendRecord(BulkRows.csvCells(record), to: &slow)
            }
            return (fast, slow)
        }
    }

    @Test("the columns' CSV equals the records' CSV, in every collection")
    func fastPathMatchesRecords() async throws {
        let app = try TestApp()
        let client = try app.client()
        try await client.seedClinic()
        let database = app.application.database
        for (fast, slow) in [
            try await same(Patient.self, PatientQuery(), database),
            try await same(Therapist.self, TherapistQuery(), database),
            try await same(Episode.self, EpisodeQuery(), database),
            try await same(MassageSession.self, SessionQuery(), database),
        ] {
            #expect(!slow.isEmpty)
            #expect(String(decoding: fast, as: UTF8.self) == String(decoding: slow, as: UTF8.self))
        }
        #expect(CSV.guarded("=1") == "'=1")
        #expect(CSV.guarded("'=1") == "''=1")
        #expect(CSV.unguarded(CSV.guarded("''@x")) == "''@x")
        #expect(CSV.guarded("a=1") == "a=1")
        await app.stop()
    }
}
