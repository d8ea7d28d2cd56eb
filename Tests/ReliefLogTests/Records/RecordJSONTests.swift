import JSON
import SQLite
import TestSupport
import Testing

@testable import ReliefLog

/// GET by id, list pages and the NDJSON export render records straight from their rows
/// (`RecordTable.writeJSON`); the body must be the bytes the records' own rendering gives, and a
/// row that decoding refuses must be refused the same way.
@Suite("Records rendered from their rows")
struct RecordJSONTests {
    /// Both renderings of every row of `R`'s table: the body and owner, or the error.
    private func compare<R: StoredRecord>(_: R.Type, _ database: DatabasePool) async throws -> (same: Int, refused: Int)
    {
        try await database.read { connection in
            let records = RecordRepository<R>(connection)
            let ids = try connection.query("SELECT id FROM \(R.table.name) ORDER BY id").compactMap { $0.int64(0) }
            var same = 0
            var refused = 0
            for id in ids {
                let slow: Result<(body: [UInt8], owner: Int64?), RecordsError>
                do {
                    let record = try #require(try records.find(id: id))
                    slow = .success((JSON.serialize(record.json), record.ownerPatientId))
                } catch let error as RecordsError {
                    slow = .failure(error)
                }
                let fast: Result<(body: [UInt8], owner: Int64?), RecordsError>
                do {
                    fast = .success(try #require(try records.findJSON(id: id)))
                } catch let error as RecordsError {
                    fast = .failure(error)
                }
                switch (slow, fast) {
                case (.success(let expected), .success(let actual)):
                    #expect(
                        String(decoding: actual.body, as: UTF8.self) == String(decoding: expected.body, as: UTF8.self),
                        "\(R.table.name) \(id)")
                    #expect(actual.owner == expected.owner, "\(R.table.name) \(id)")
                    same += 1
                case (.failure(let expected), .failure(let actual)):
                    #expect("\(actual)" == "\(expected)", "\(R.table.name) \(id)")
                    refused += 1
                default:
                    Issue.record("\(R.table.name) \(id): records \(slow), rows \(fast)")
                }
            }
            return (same, refused)
        }
    }

    /// A list page and an NDJSON export batch from the rows against the same from records.
    private func comparePages<R: StoredRecord>(
        _: R.Type, _ database: DatabasePool, query: @escaping @Sendable (Int, String?) -> R.Query
    ) async throws -> Int {
        try await database.read { connection in
            let records = RecordRepository<R>(connection)
            var pages = 0
            for limit in [1, 2, 50] {
                var cursor: String?
                repeat {
                    let page = try records.list(query(limit, cursor))
                    var writer = JSONTextWriter()
                    writer.beginObject()
                    writer.key("items")
                    writer.beginArray()
                    let next = try records.listJSON(query(limit, cursor), into: &writer)
                    writer.endArray()
                    writer.key("nextCursor")
                    if let next { writer.string(next) } else { writer.null() }
                    writer.endObject()
                    let expected = JSON.serialize(page.json(\.json))
                    #expect(
                        String(decoding: writer.finish(), as: UTF8.self) == String(decoding: expected, as: UTF8.self))
                    #expect(next == page.nextCursor)
                    cursor = page.nextCursor
                    pages += 1
                } while cursor != nil
            }
            var fast: [UInt8] = []
            var owners: [Int64?] = []
            try records.appendExportedNDJSON(query(50, nil), after: 0, limit: 1000, to: &fast) { _, owner in
                owners.append(owner)
            }
            var slow: [UInt8] = []
            try records.forEachExported(query(50, nil), after: 0, limit: 1000) { record in
                JSON.serialize(record.json, into: &slow)
                slow.append(0x0A)
                #expect(owners.removeFirst() == record.ownerPatientId)
            }
            #expect(!slow.isEmpty)
            #expect(String(decoding: fast, as: UTF8.self) == String(decoding: slow, as: UTF8.self))
            return pages
        }
    }

    @Test("list pages and NDJSON export batches render the same from rows as from records")
    func pagesSameAsRecords() async throws {
        let app = try TestApp()
        let client = try app.client()
        try await client.seedClinic()
        for index in 0..<3 {
            _ = try await client.create(
                "episodes",
                #"{"patientId": 1, "startedAt": "2026-10-0\#(index + 1)T08:00:00Z", "intensity": \#(index)}"#)
        }
        let database = app.application.database
        try await database.write { connection in
            try connection.execute("UPDATE patients SET notes = CAST(X'416E6EFF2022' AS TEXT) WHERE id = 2")
        }
        // Pages of 1, 2 and 50 until the last: 2 patients → 2 + 1 + 1, 5 episodes → 5 + 3 + 1.
        #expect(try await comparePages(Patient.self, database) { PatientQuery(limit: $0, cursor: $1) } == 4)
        #expect(try await comparePages(Therapist.self, database) { TherapistQuery(limit: $0, cursor: $1) } == 3)
        #expect(try await comparePages(Episode.self, database) { EpisodeQuery(limit: $0, cursor: $1) } == 9)
        #expect(try await comparePages(MassageSession.self, database) { SessionQuery(limit: $0, cursor: $1) } == 4)
        await app.stop()
    }

    @Test("every record of every table, awkward text and stored oddities included, renders the same")
    func sameAsRecords() async throws {
        let app = try TestApp()
        let client = try app.client()
        try await client.seedClinic()
        _ = try await client.create(
            "patients", #"{"displayName": "Zoë 😀 \u2028 \u0001 \"q\" \\", "notes": "ÄÖÜ \u00e9\u0301 中文"}"#)
        let database = app.application.database
        try await database.write { connection in
            // What another writer may have left: text that is not UTF-8, lists in other spellings.
            try connection.execute(
                """
                UPDATE patients SET notes = CAST(X'416E6EFF2022' AS TEXT) WHERE id = 2;
                UPDATE episodes SET symptoms = '[ "nausea" , "\\u0061ura" ]', notes = 'tab	and
                newline' WHERE id = 2;
                UPDATE therapists SET certifications = '["\\u00e9t\\u00e9"]' WHERE id = 1;
                """)
        }
        let counts = [
            try await compare(Patient.self, database), try await compare(Therapist.self, database),
            try await compare(Episode.self, database), try await compare(MassageSession.self, database),
        ]
        #expect(counts.map(\.same) == [3, 1, 2, 2])
        #expect(counts.map(\.refused) == [0, 0, 0, 0])

        // Rows decoding refuses: a session kind outside the enum, a list that is not JSON.
        try await database.write { connection in
            try connection.execute(
                """
                PRAGMA ignore_check_constraints = ON;
                UPDATE sessions SET kind = 'bogus' WHERE id = 1;
                UPDATE episodes SET triggers = '[' WHERE id = 1;
                PRAGMA ignore_check_constraints = OFF;
                """)
        }
        let sessions = try await compare(MassageSession.self, database)
        let episodes = try await compare(Episode.self, database)
        #expect(sessions.refused == 1 && sessions.same == 1)
        #expect(episodes.refused == 1 && episodes.same == 1)
        await app.stop()
    }
}
