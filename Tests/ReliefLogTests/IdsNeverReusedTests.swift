import Foundation
import ReliefLog
import SQLite
import TestSupport
import Testing

/// Ids name records in the audit log, in tokens and in clients' own systems: after the record
/// with the highest id is deleted, the next one must not get that id again
/// (Migrations/0005_ids_never_reused.sql).
@Suite("ids are never reused")
struct IdsNeverReusedTests {
    @Test("deleting the newest patient, therapist, episode, session or token does not hand its id out again")
    func recordsAndTokens() async throws {
        let app = try TestApp()
        let client = try app.client()
        let keeper = try await client.createPatient("Keeper")
        let patient = try await client.createPatient("Erased")
        #expect(try await client.delete("/v1/patients/\(patient)").status == 204)
        #expect(try await client.createPatient("Next") == patient + 1)

        let therapist = try await client.createTherapist(license: "L-1")
        #expect(try await client.delete("/v1/therapists/\(therapist)").status == 204)
        let nextTherapist = try await client.createTherapist(license: "L-2")
        #expect(nextTherapist == therapist + 1)

        let episode = try await client.createEpisode(patientId: keeper, startedAt: "2026-11-01T08:00:00Z")
        #expect(try await client.delete("/v1/episodes/\(episode)").status == 204)
        #expect(try await client.createEpisode(patientId: keeper, startedAt: "2026-11-01T08:00:00Z") == episode + 1)

        let session = try await client.createSession(patientId: keeper, startedAt: "2026-11-02T08:00:00Z")
        #expect(try await client.delete("/v1/sessions/\(session)").status == 204)
        #expect(try await client.createSession(patientId: keeper, startedAt: "2026-11-02T08:00:00Z") == session + 1)

        let token = try await client.create("tokens", #"{"role": "admin", "label": "revoked"}"#)
        #expect(try await client.delete("/v1/tokens/\(token)").status == 204)
        #expect(try await client.create("tokens", #"{"role": "admin", "label": "next"}"#) == token + 1)
        await app.stop()
    }

    @Test("audit rows keep counting up after the newest rows are gone")
    func auditRows() async throws {
        let app = try TestApp()
        let client = try app.client()
        _ = try await client.createPatient()  // a write's row, written with the change
        #expect(try await client.get("/v1/patients").status == 200)  // a read's row, written in a batch
        let highest = try await Self.waitForAuditRows(app, atLeast: 2)
        // As if retention had deleted every row: the next ones must still come after.
        try app.application.database.writeSync { try $0.run("DELETE FROM audit_log") }
        _ = try await client.createPatient()
        #expect(try await client.get("/v1/patients").status == 200)
        let ids = try await Self.waitForAuditIds(app, count: 2)
        #expect(ids.allSatisfy { $0 > highest }, "\(ids) after \(highest)")
        await app.stop()
    }

    @Test("migrating a database whose newest patient was erased starts past every id its audit log names")
    func migrationKeepsIdsAndSkipsErasedOnes() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("old.sqlite")
        // A database as the previous release left it: migrations 0001–0004, patient 1 kept,
        // patient 2 erased, and its trace in the audit log.
        let old = try Migrator(directory: URL(fileURLWithPath: migrationsDirectory)).migrations.filter {
            $0.version <= 4
        }
        let pool = try DatabasePool(path: path, configuration: .init(readerCount: 1, maxBatchSize: 1))
        try pool.withWriterConnection { connection in
            try Migrator(migrations: old).migrate(connection)
            try connection.execute(
                """
                INSERT INTO patients (id, display_name, created_at_ms, updated_at_ms) VALUES (1, 'Kept', 1, 1);
                INSERT INTO episodes (id, patient_id, started_at_ms, intensity, created_at_ms, updated_at_ms)
                VALUES (5, 1, 1, 4, 1, 1);
                INSERT INTO audit_log (id, at_ms, method, route, resource_id, patient_id, status)
                VALUES (1, 1, 'DELETE', '/v1/patients/{id}', 2, 2, 204);
                """)
        }
        pool.close()

        let app = try TestApp { $0.databasePath = path }
        let client = try app.client()
        // Existing ids are kept.
        #expect(try await client.get("/v1/patients/1").status == 200)
        #expect(try await client.get("/v1/episodes/5").object["patientId"] as? Int == 1)
        // Patient 2 is named by the audit log: the next patient is 3, not 2.
        #expect(try await client.createPatient() == 3)
        #expect(try await client.createEpisode(patientId: 1, startedAt: "2026-11-01T08:00:00Z") == 6)
        await app.stop()
    }

    /// The largest audit id once at least `count` rows are written (reads are written in batches).
    static func waitForAuditRows(_ app: TestApp, atLeast count: Int) async throws -> Int64 {
        let ids = try await waitForAuditIds(app, count: count)
        return try #require(ids.max())
    }

    static func waitForAuditIds(_ app: TestApp, count: Int) async throws -> [Int64] {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let ids = try app.application.database.readSync { connection in
                try connection.query("SELECT id FROM audit_log ORDER BY id").compactMap { $0.int64(0) }
            }
            if ids.count >= count || ContinuousClock.now > deadline { return ids }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

@Suite("the audit log, newest first by time")
struct AuditOrderTests {
    @Test("a read written after a later change is listed after it, and paging keeps that order")
    func orderedByTime() async throws {
        let clock = ManualClock(1_795_000_000_000)
        let app = try TestApp { $0.clock = clock.reader }
        let client = try app.client()
        let patient = try await client.createPatient()
        clock.advance(by: 1_000)
        // A read, buffered for the batch writer; then a change, written at once with a smaller id.
        #expect(try await client.get("/v1/patients/\(patient)").status == 200)
        clock.advance(by: 1_000)
        #expect(try await client.patch("/v1/patients/\(patient)", #"{"notes": "x"}"#).status == 200)
        _ = try await IdsNeverReusedTests.waitForAuditIds(app, count: 3)

        let page = try await client.get("/v1/audit?patientId=\(patient)")
        let items = try #require(page.object["items"] as? [[String: Any]])
        #expect(items.compactMap { $0["method"] as? String } == ["PATCH", "GET", "POST"])
        // One row per page: the same order through the cursors.
        var methods: [String] = []
        var cursor: String?
        repeat {
            let next = try await client.get(
                "/v1/audit?patientId=\(patient)&limit=1" + (cursor.map { "&cursor=\($0)" } ?? ""))
            methods += (next.object["items"] as? [[String: Any]])?.compactMap { $0["method"] as? String } ?? []
            cursor = next.object["nextCursor"] as? String
        } while cursor != nil && methods.count < 10
        #expect(methods == ["PATCH", "GET", "POST"])

        // Whether the batch wrote the read before or after the change depends on timing; rows
        // whose ids run against their times show the order for certain (an earlier request
        // with the larger id, as a batched read gets).
        try app.application.database.writeSync { connection in
            try connection.run(
                """
                INSERT INTO audit_log (id, at_ms, method, route, patient_id, status)
                VALUES (1000, 5000, 'PATCH', '/v1/patients/{id}', 999, 200), (1001, 3000, 'GET', '/v1/patients/{id}', 999, 200)
                """)
        }
        let crafted = try await client.get("/v1/audit?patientId=999")
        #expect((crafted.object["items"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [1000, 1001])
        await app.stop()
    }
}
