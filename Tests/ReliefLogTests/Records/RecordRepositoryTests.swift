import JSON
import SQLite
import Testing

@testable import ReliefLog

@Suite("Record repositories over a real SQLite file")
struct RecordRepositoryTests {
    @Test("an episode with every field round-trips through the database")
    func episodeRoundTrip() throws {
        let db = try TestDatabase()
        let patient = try db.patients.insert(.make(notes: "é\u{0}nul"), now: testNow)
        let fields = Episode.Fields(
            patientId: patient.id, startedAt: instant("2026-11-19T07:15:00.250Z"),
            endedAt: instant("2026-11-19T20:00:00Z"),
            intensity: 7, aura: true, symptoms: ["nausea", "photophobia"], locations: ["left", "temporal"],
            triggers: ["stress", "new_trigger"],
            medications: [
                Medication(
                    name: "Sumatriptan", medicationClass: "triptan", doseMg: 50,
                    takenAt: instant("2026-11-19T08:00:00Z"), effective: true),
                Medication(name: "Ibuprofen", medicationClass: "nsaid", doseMg: 400.5),
                Medication(name: "Tea"),
            ],
            reliefMeasures: ["dark_room"], stressLevel: 4, disability: "moderate", notes: "Line one\nline two",
            externalId: "ep-1")
        let created = try db.episodes.insert(fields, now: testNow)
        #expect(created.id > 0)
        let fetched = try #require(try db.episodes.find(id: created.id))
        #expect(fetched.patientId == patient.id)
        #expect(fetched.startedAt == fields.startedAt)
        #expect(fetched.endedAt == fields.endedAt)
        #expect(fetched.intensity == 7)
        #expect(fetched.aura)
        #expect(fetched.symptoms == ["nausea", "photophobia"])
        #expect(fetched.locations == ["left", "temporal"])
        #expect(fetched.triggers == ["stress", "new_trigger"])
        #expect(fetched.medications == fields.medications)
        #expect(fetched.reliefMeasures == ["dark_room"])
        #expect(fetched.stressLevel == 4)
        #expect(fetched.disability == "moderate")
        #expect(fetched.notes == "Line one\nline two")
        #expect(fetched.externalId == "ep-1")
        #expect(fetched.createdAt == testNow && fetched.updatedAt == testNow)
        #expect(fetched == created)
        #expect(try db.patients.find(id: patient.id) == patient)
        #expect(try db.episodes.find(id: created.id + 100) == nil)
    }

    @Test("an episode renders every contract field, null for absent ones and UTC timestamps")
    func episodeJSON() throws {
        let episode = Episode(
            id: 12,
            fields: Episode.Fields(
                patientId: 3, startedAt: instant("2026-11-20T08:15:00+01:00"), intensity: 5,
                medications: [Medication(name: "Sumatriptan", medicationClass: "triptan", doseMg: 50)]),
            createdAt: instant("2026-11-20T09:00:00Z"), updatedAt: instant("2026-11-20T09:00:00.5Z"))
        #expect(
            JSON.string(episode.json) == """
                {"id":12,"patientId":3,"startedAt":"2026-11-20T07:15:00Z","endedAt":null,"intensity":5,"aura":false,\
                "symptoms":[],"locations":[],"triggers":[],"medications":[{"name":"Sumatriptan","class":"triptan",\
                "doseMg":50,"takenAt":null,"effective":null}],"reliefMeasures":[],"stressLevel":null,"disability":null,\
                "notes":null,"externalId":null,"createdAt":"2026-11-20T09:00:00Z","updatedAt":"2026-11-20T09:00:00.500Z"}
                """)
    }

    @Test("sessions, therapists and patients round-trip and render with the contract's names")
    func othersRoundTrip() throws {
        let db = try TestDatabase()
        let patient = try db.patients.insert(.make(externalId: "p-1", notes: "n"), now: testNow)
        var therapistFields = Therapist.Fields.make(techniques: ["swedish", "scalp"], migraineExperience: true)
        therapistFields.certifications = ["CMT", "Lymph drainage"]
        therapistFields.yearsExperience = 12
        therapistFields.email = "grace@clinic.example"
        therapistFields.phone = "+1 555 0100"
        let therapist = try db.therapists.insert(therapistFields, now: testNow)
        #expect(try db.therapists.find(id: therapist.id) == therapist)
        var sessionFields = MassageSession.Fields.make(patientId: patient.id, therapistId: therapist.id)
        sessionFields.areas = ["neck", "scalp"]
        sessionFields.pressure = "firm"
        sessionFields.triggerPointsReleased = 0
        sessionFields.essentialOils = ["peppermint"]
        sessionFields.warmCompress = true
        sessionFields.painBefore = 7
        sessionFields.painAfter = 2
        sessionFields.stressBefore = 5
        sessionFields.stressAfter = 5
        sessionFields.notes = "ok"
        let session = try db.sessions.insert(sessionFields, now: testNow)
        #expect(try db.sessions.find(id: session.id) == session)
        #expect(try db.patients.find(id: patient.id) == patient)

        let rendered = try #require(session.json.objectValue)
        #expect(
            rendered.keys == [
                "id", "patientId", "therapistId", "kind", "startedAt", "durationMinutes", "techniques", "areas",
                "pressure",
                "triggerPointsReleased", "essentialOils", "warmCompress", "breathingExercise", "painBefore",
                "painAfter",
                "stressBefore", "stressAfter", "notes", "externalId", "recordedBy", "createdAt", "updatedAt",
            ])
        #expect(rendered["kind"] == "professional")
        #expect(rendered["triggerPointsReleased"] == 0)
        #expect(
            try #require(therapist.json.objectValue).keys == [
                "id", "name", "licenseNumber", "licenseJurisdiction", "certifications", "yearsExperience",
                "migraineExperience", "techniques", "email", "phone", "active", "externalId", "createdAt", "updatedAt",
            ])
        #expect(
            JSON.string(patient.json) == """
                {"id":\(patient.id),"displayName":"Ada","timezone":"Europe/Berlin","birthYear":1985,"externalId":"p-1",\
                "notes":"n","createdAt":"2026-11-20T12:00:00Z","updatedAt":"2026-11-20T12:00:00Z"}
                """)
    }

    @Test("a validated merge patch is stored, and updatedAt moves forward even within one millisecond")
    func update() throws {
        let db = try TestDatabase()
        let patient = try db.patients.insert(.make(), now: testNow)
        let episode = try db.episodes.insert(.make(patientId: patient.id), now: testNow)
        let fields = try episode.patched(with: object(#"{"intensity": 9, "triggers": ["weather"]}"#), now: testNow)
        let first = try db.episodes.update(id: episode.id, fields, now: testNow)
        let second = try db.episodes.update(id: episode.id, fields, now: testNow)
        #expect(first.updatedAt == testNow + 1 && second.updatedAt == testNow + 2)
        #expect(first.createdAt == testNow)
        let stored = try #require(try db.episodes.find(id: episode.id))
        #expect(stored.intensity == 9 && stored.triggers == ["weather"] && stored.updatedAt == testNow + 2)
        #expect(throws: RecordsError.notFound) { try db.episodes.update(id: 999, fields, now: testNow) }
        #expect(throws: RecordsError.notFound) { try db.patients.update(id: 999, .make(), now: testNow) }
        #expect(throws: RecordsError.notFound) { try db.episodes.delete(id: 999) }
    }

    @Test("deleting a patient erases their episodes and sessions, and nobody else's")
    func cascade() throws {
        let db = try TestDatabase()
        let therapist = try db.therapists.insert(.make(), now: testNow)
        let gone = try db.patients.insert(.make(displayName: "Gone"), now: testNow)
        let kept = try db.patients.insert(.make(displayName: "Kept"), now: testNow)
        for patient in [gone, kept] {
            _ = try db.episodes.insert(.make(patientId: patient.id), now: testNow)
            _ = try db.episodes.insert(.make(patientId: patient.id), now: testNow)
            _ = try db.sessions.insert(.make(patientId: patient.id, therapistId: therapist.id), now: testNow)
            _ = try db.sessions.insert(.make(patientId: patient.id), now: testNow)
        }
        try db.patients.delete(id: gone.id)
        #expect(try db.patients.find(id: gone.id) == nil)
        #expect(try db.count("episodes") == 2 && db.count("sessions") == 2)
        #expect(try db.episodes.list(EpisodeQuery(patientId: gone.id)).items.isEmpty)
        #expect(try db.episodes.list(EpisodeQuery(patientId: kept.id)).items.count == 2)
        #expect(throws: RecordsError.notFound) { try db.patients.delete(id: gone.id) }
    }

    @Test("a therapist with sessions cannot be deleted; one without can")
    func therapistDelete() throws {
        let db = try TestDatabase()
        let patient = try db.patients.insert(.make(), now: testNow)
        let busy = try db.therapists.insert(.make(licenseNumber: "A"), now: testNow)
        let idle = try db.therapists.insert(.make(licenseNumber: "B"), now: testNow)
        _ = try db.sessions.insert(.make(patientId: patient.id, therapistId: busy.id), now: testNow)
        let error = #expect(throws: RecordsError.self) { try db.therapists.delete(id: busy.id) }
        guard case .conflict(let field, _)? = error else {
            Issue.record("expected a conflict, got \(String(describing: error))")
            return
        }
        #expect(field == nil)
        #expect(try db.therapists.find(id: busy.id) != nil)
        try db.therapists.delete(id: idle.id)
        #expect(try db.therapists.find(id: idle.id) == nil)
        #expect(throws: RecordsError.notFound) { try db.therapists.delete(id: idle.id) }
    }

    @Test("uniqueness conflicts name the field: externalId per table, licenseNumber per jurisdiction")
    func conflicts() throws {
        let db = try TestDatabase()
        let patient = try db.patients.insert(.make(externalId: "X"), now: testNow)
        #expect(
            throws: RecordsError.conflict(field: "externalId", message: "another record already has this externalId")
        ) {
            try db.patients.insert(.make(externalId: "X"), now: testNow)
        }
        let other = try db.patients.insert(.make(externalId: "Y"), now: testNow)
        #expect(throws: RecordsError.self) {
            try db.patients.update(id: other.id, .make(externalId: "X"), now: testNow)
        }
        _ = try db.patients.insert(.make(externalId: nil), now: testNow)
        _ = try db.patients.insert(.make(externalId: nil), now: testNow)

        _ = try db.episodes.insert(.make(patientId: patient.id, externalId: "X"), now: testNow)
        let duplicate = #expect(throws: RecordsError.self) {
            try db.episodes.insert(.make(patientId: patient.id, externalId: "X"), now: testNow)
        }
        #expect(duplicate.map { if case .conflict("externalId"?, _) = $0 { true } else { false } } == true)

        _ = try db.therapists.insert(.make(licenseNumber: "L-1", licenseJurisdiction: "US-CA"), now: testNow)
        _ = try db.therapists.insert(.make(licenseNumber: "L-1", licenseJurisdiction: "US-NY"), now: testNow)
        _ = try db.therapists.insert(.make(licenseNumber: "L-1", licenseJurisdiction: nil), now: testNow)
        for jurisdiction in ["US-CA", nil] {
            let error = #expect(throws: RecordsError.self) {
                try db.therapists.insert(.make(licenseNumber: "L-1", licenseJurisdiction: jurisdiction), now: testNow)
            }
            #expect(error.map { if case .conflict("licenseNumber"?, _) = $0 { true } else { false } } == true)
        }
    }

    @Test("records that name a missing patient or therapist are refused naming the field")
    func missingReferences() throws {
        let db = try TestDatabase()
        #expect(throws: RecordsError.missingReference(field: "patientId")) {
            try db.episodes.insert(.make(patientId: 42), now: testNow)
        }
        let patient = try db.patients.insert(.make(), now: testNow)
        #expect(throws: RecordsError.missingReference(field: "therapistId")) {
            try db.sessions.insert(.make(patientId: patient.id, therapistId: 42), now: testNow)
        }
        #expect(throws: RecordsError.missingReference(field: "patientId")) {
            try db.sessions.insert(.make(patientId: 43), now: testNow)
        }
    }
}

@Suite("Listing records: keyset paging, filters and query plans")
struct RecordListTests {
    /// Every item of every page, following cursors, calling `between` after each page.
    private func allPages(
        _ db: TestDatabase, _ query: EpisodeQuery, between: (Int, Episode) throws -> Void = { _, _ in }
    ) throws -> [Episode] {
        var query = query
        var items: [Episode] = []
        var pageNumber = 0
        while true {
            let page = try db.episodes.list(query)
            items += page.items
            #expect(page.items.count <= query.limit)
            guard let next = page.nextCursor else { break }
            if let last = page.items.last { try between(pageNumber, last) }
            pageNumber += 1
            query.cursor = next
        }
        return items
    }

    @Test("paging while rows are inserted repeats nothing and skips no row older than the cursor")
    func pagingWhileInserting() throws {
        let db = try TestDatabase()
        let patient = try db.patients.insert(.make(), now: testNow)
        let base = instant("2026-10-01T00:00:00Z")
        var original: Set<Int64> = []
        for i in 0..<40 {
            // Pairs share a start time, so the id breaks ties.
            let episode = try db.episodes.insert(
                .make(patientId: patient.id, startedAt: base + Int64(i / 2) * 3_600_000), now: testNow)
            original.insert(episode.id)
        }
        var insertedOlder: Set<Int64> = []
        let items = try allPages(db, EpisodeQuery(limit: 7)) { page, last in
            // A row newer than the cursor (belongs to pages already read), one with the same start
            // as the last row (its higher id also sorts before the cursor), and one older.
            _ = try db.episodes.insert(.make(patientId: patient.id, startedAt: last.startedAt + 1), now: testNow)
            _ = try db.episodes.insert(.make(patientId: patient.id, startedAt: last.startedAt), now: testNow)
            let older = try db.episodes.insert(
                .make(patientId: patient.id, startedAt: last.startedAt - 1), now: testNow)
            insertedOlder.insert(older.id)
            _ = page
        }
        let ids = items.map(\.id)
        #expect(Set(ids).count == ids.count, "no duplicates")
        #expect(original.isSubset(of: Set(ids)), "every row present at the start is listed")
        #expect(insertedOlder.isSubset(of: Set(ids)), "rows inserted below the cursor are reached")
        for (a, b) in zip(items, items.dropFirst()) {
            #expect(a.startedAt > b.startedAt || (a.startedAt == b.startedAt && a.id > b.id), "strictly descending")
        }
    }

    @Test("patients and therapists page by id ascending")
    func pagingById() throws {
        let db = try TestDatabase()
        for i in 0..<5 {
            _ = try db.patients.insert(.make(displayName: "P\(i)"), now: testNow)
            _ = try db.therapists.insert(.make(licenseNumber: "L\(i)"), now: testNow)
        }
        let first = try db.patients.list(PatientQuery(limit: 3))
        #expect(first.items.map(\.id) == [1, 2, 3])
        let second = try db.patients.list(PatientQuery(limit: 3, cursor: first.nextCursor))
        #expect(second.items.map(\.id) == [4, 5] && second.nextCursor == nil)
        let therapists = try db.therapists.list(TherapistQuery(limit: 5))
        #expect(therapists.items.map(\.id) == [1, 2, 3, 4, 5] && therapists.nextCursor == nil)
        #expect(
            JSON.string(
                try db.patients.list(
                    PatientQuery(
                        limit: 1, cursor: second.items.first.map { Cursor.encode(list: "patients", key: [$0.id]) })
                ).json(\.json)
            ).hasPrefix(#"{"items":[{"id":5,"#))
    }

    @Test("a cursor from another list, an altered one or garbage is refused")
    func invalidCursors() throws {
        let db = try TestDatabase()
        let patientCursor = Cursor.encode(list: "patients", key: [1])
        #expect(throws: RecordsError.invalidCursor) { try db.episodes.list(EpisodeQuery(cursor: patientCursor)) }
        #expect(throws: RecordsError.invalidCursor) { try db.sessions.list(SessionQuery(cursor: "bm9wZQ")) }
        #expect(throws: RecordsError.invalidCursor) { try db.therapists.list(TherapistQuery(cursor: "!!")) }
        #expect(throws: RecordsError.invalidCursor) { try db.patients.list(PatientQuery(cursor: patientCursor + "=")) }
        let episodeCursor = Cursor.encode(list: "episodes", key: [-5, 7])
        #expect(Cursor.decode(episodeCursor, list: "episodes", count: 2) == [-5, 7])
        #expect(Cursor.decode(Base64URL.encode(Array("episodes:01:7".utf8)), list: "episodes", count: 2) == nil)
    }

    @Test("episode filters: patient, from inclusive, to exclusive, minimum intensity, trigger, updatedSince")
    func episodeFilters() throws {
        let db = try TestDatabase()
        let ada = try db.patients.insert(.make(displayName: "Ada"), now: testNow)
        let bob = try db.patients.insert(.make(displayName: "Bob"), now: testNow)
        let day = Timestamp.millisecondsPerDay
        let start = instant("2026-11-01T00:00:00Z")
        let e1 = try db.episodes.insert(
            .make(patientId: ada.id, startedAt: start, intensity: 3, triggers: ["stress"]), now: testNow)
        let e2 = try db.episodes.insert(
            .make(patientId: ada.id, startedAt: start + day, intensity: 8, triggers: ["weather", "stress"]),
            now: testNow)
        let e3 = try db.episodes.insert(
            .make(patientId: bob.id, startedAt: start + 2 * day, intensity: 5, triggers: ["stressful"]),
            now: testNow + 10)
        func ids(_ query: EpisodeQuery) throws -> [Int64] { try db.episodes.list(query).items.map(\.id) }
        #expect(try ids(EpisodeQuery()) == [e3.id, e2.id, e1.id])
        #expect(try ids(EpisodeQuery(patientId: ada.id)) == [e2.id, e1.id])
        #expect(try ids(EpisodeQuery(from: start + day)) == [e3.id, e2.id])
        #expect(try ids(EpisodeQuery(to: start + day)) == [e1.id])
        #expect(try ids(EpisodeQuery(from: start, to: start + 2 * day)) == [e2.id, e1.id])
        #expect(try ids(EpisodeQuery(minIntensity: 5)) == [e3.id, e2.id])
        #expect(try ids(EpisodeQuery(trigger: "stress")) == [e2.id, e1.id], "whole items only, not substrings")
        #expect(try ids(EpisodeQuery(patientId: ada.id, trigger: "weather")) == [e2.id])
        #expect(try ids(EpisodeQuery(updatedSince: testNow + 1)) == [e3.id])
        _ = try db.episodes.update(id: e1.id, e1.fields, now: testNow + 20)
        #expect(try ids(EpisodeQuery(updatedSince: testNow + 1)) == [e3.id, e1.id])
    }

    @Test("session, therapist and patient filters")
    func otherFilters() throws {
        let db = try TestDatabase()
        let ada = try db.patients.insert(.make(displayName: "Ada"), now: testNow)
        let bob = try db.patients.insert(.make(displayName: "Bob"), now: testNow + 5)
        let grace = try db.therapists.insert(
            .make(licenseNumber: "1", techniques: ["swedish", "scalp"], migraineExperience: true), now: testNow)
        let alan = try db.therapists.insert(
            .make(licenseNumber: "2", techniques: ["deep_tissue"], active: false), now: testNow + 5)
        let start = instant("2026-11-01T00:00:00Z")
        let s1 = try db.sessions.insert(
            .make(patientId: ada.id, therapistId: grace.id, startedAt: start, techniques: ["swedish"]), now: testNow)
        let s2 = try db.sessions.insert(
            .make(patientId: ada.id, startedAt: start + 1000, techniques: ["scalp", "kneading"]), now: testNow)
        let s3 = try db.sessions.insert(
            .make(
                patientId: bob.id, therapistId: alan.id, startedAt: start + 2000, techniques: ["deep_tissue", "scalp"]),
            now: testNow + 5)
        func ids(_ query: SessionQuery) throws -> [Int64] { try db.sessions.list(query).items.map(\.id) }
        #expect(try ids(SessionQuery()) == [s3.id, s2.id, s1.id])
        #expect(try ids(SessionQuery(patientId: ada.id)) == [s2.id, s1.id])
        #expect(try ids(SessionQuery(therapistId: grace.id)) == [s1.id])
        #expect(try ids(SessionQuery(technique: "scalp")) == [s3.id, s2.id])
        #expect(try ids(SessionQuery(kind: .self)) == [s2.id])
        #expect(try ids(SessionQuery(kind: .professional)) == [s3.id, s1.id])
        #expect(try ids(SessionQuery(from: start + 1000, to: start + 2000)) == [s2.id])
        #expect(try ids(SessionQuery(updatedSince: testNow + 1)) == [s3.id])

        func therapistIds(_ query: TherapistQuery) throws -> [Int64] { try db.therapists.list(query).items.map(\.id) }
        #expect(try therapistIds(TherapistQuery(technique: "scalp")) == [grace.id])
        #expect(try therapistIds(TherapistQuery(migraineExperience: true)) == [grace.id])
        #expect(try therapistIds(TherapistQuery(migraineExperience: false)) == [alan.id])
        #expect(try therapistIds(TherapistQuery(active: false)) == [alan.id])
        #expect(try therapistIds(TherapistQuery(updatedSince: testNow + 5)) == [alan.id])
        #expect(try db.patients.list(PatientQuery(updatedSince: testNow + 1)).items.map(\.id) == [bob.id])
    }

    /// Every combination of the given filters, as list SQL with its bindings.
    private func combinations<Q>(_ base: Q, _ setters: [(inout Q) -> Void]) -> [Q] {
        (0..<(1 << setters.count)).map { mask in
            var query = base
            for (bit, set) in setters.enumerated() where mask & (1 << bit) != 0 {
                set(&query)
            }
            return query
        }
    }

    private func plan(_ db: TestDatabase, _ sql: String, _ bindings: [SQLiteValue]) throws -> [String] {
        try db.connection.query("EXPLAIN QUERY PLAN " + sql, bindings).compactMap { $0.string("detail") }
    }

    /// A full scan of `table`: `SCAN table` without an index.
    private func fullScans(_ lines: [String], table: String) -> [String] {
        lines.filter {
            $0.hasPrefix("SCAN \(table)") && !$0.contains("USING INDEX") && !$0.contains("USING COVERING INDEX")
        }
    }

    @Test("no episode or session list query scans its whole table, whatever filters it combines")
    func queryPlans() throws {
        let db = try TestDatabase()
        let patient = try db.patients.insert(.make(), now: testNow)
        let therapist = try db.therapists.insert(.make(), now: testNow)
        for i in 0..<50 {
            _ = try db.episodes.insert(
                .make(patientId: patient.id, startedAt: testNow - Int64(i) * 3_600_000), now: testNow)
            _ = try db.sessions.insert(
                .make(patientId: patient.id, therapistId: i % 2 == 0 ? therapist.id : nil), now: testNow)
        }
        // The detector itself: an unindexed filter without an ordering is a full scan.
        #expect(!fullScans(try plan(db, "SELECT id FROM episodes WHERE intensity > ?", [3]), table: "episodes").isEmpty)
        var checked = 0
        // Without statistics (a fresh database) and with them (after ANALYZE or PRAGMA optimize).
        for analyzed in [false, true] {
            if analyzed { try db.connection.execute("ANALYZE") }
            let episodeCursor = Cursor.encode(list: "episodes", key: [testNow, 10])
            let episodeQueries = combinations(
                EpisodeQuery(),
                [
                    { $0.patientId = 1 }, { $0.from = 0 }, { $0.to = testNow }, { $0.minIntensity = 5 },
                    { $0.trigger = "stress" }, { $0.updatedSince = testNow }, { $0.cursor = episodeCursor },
                ])
            for query in episodeQueries {
                let (sql, bindings, _) = try EpisodeRepository.listSQL(query)
                let lines = try plan(db, sql, bindings)
                #expect(fullScans(lines, table: "episodes").isEmpty, "\(sql)\n\(lines.joined(separator: "\n"))")
                checked += 1
            }
            let sessionCursor = Cursor.encode(list: "sessions", key: [testNow, 10])
            let sessionQueries = combinations(
                SessionQuery(),
                [
                    { $0.patientId = 1 }, { $0.therapistId = 1 }, { $0.technique = "scalp" }, { $0.kind = .self },
                    { $0.from = 0 }, { $0.to = testNow }, { $0.updatedSince = testNow }, { $0.cursor = sessionCursor },
                ])
            for query in sessionQueries {
                let (sql, bindings, _) = try SessionRepository.listSQL(query)
                let lines = try plan(db, sql, bindings)
                #expect(fullScans(lines, table: "sessions").isEmpty, "\(sql)\n\(lines.joined(separator: "\n"))")
                checked += 1
            }
        }
        #expect(checked == 2 * (128 + 256))
        // The by-id reads are primary-key searches.
        let byId = try plan(db, "SELECT \(EpisodeRepository.columns) FROM episodes WHERE id = ?", [1])
        #expect(byId.contains { $0.contains("USING INTEGER PRIMARY KEY") })
    }
}
