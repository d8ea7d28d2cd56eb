import Foundation
import ReliefLog
import TestSupport
import Testing

/// A fixed instant, so two databases filled the same way export byte-identical files.
private let fixedNow: Int64 = 1_795_000_000_000  // 2026-11-18

private func withBulkApp(
    configure: @escaping (inout AppConfiguration) -> Void = { _ in },
    _ body: (TestApp, TestHTTPClient) async throws -> Void
) async throws {
    let app = try TestApp { configuration in
        configuration.clock = { fixedNow }
        configure(&configuration)
    }
    do {
        try await body(app, try app.client())
    } catch {
        await app.stop()
        throw error
    }
    await app.stop()
}

private let collections = ["patients", "therapists", "episodes", "sessions"]

extension TestHTTPClient {
    func export(_ collection: String, _ format: String, query: String = "") async throws -> TestResponse {
        try await get("/v1/\(collection)/export?format=\(format)\(query)")
    }

    func importRows(
        _ collection: String, _ body: String, format: String, query: String = "", headers: [(String, String)] = []
    ) async throws -> TestResponse {
        let type = format == "csv" ? "text/csv" : "application/x-ndjson"
        return try await request(
            "POST", "/v1/\(collection)/import\(query)", headers: [("Content-Type", type)] + headers, body: body)
    }

    /// Every record of every collection, as NDJSON exports: what "nothing changed" compares.
    func snapshot() async throws -> String {
        var text = ""
        for collection in collections {
            let response = try await export(collection, "ndjson")
            try #require(response.status == 200, "\(response.text)")
            text += "\(collection):\(response.text)"
        }
        return text
    }

    /// A clinic with text that needs quoting and guarding in every collection.
    func seedClinic() async throws {
        let tricky = #"=HYPERLINK(\"http://x\"), \"quoted\"\nline two"#
        _ = try await create(
            "patients",
            #"{"displayName": "Ann, \"Annie\"", "timezone": "Europe/Berlin", "birthYear": 1980, "externalId": "p-1", "notes": "\#(tricky)"}"#
        )
        _ = try await create("patients", #"{"displayName": "+Bo", "notes": "", "externalId": "@p-2"}"#)
        _ = try await create(
            "therapists",
            #"{"name": "Dana", "licenseNumber": "-L1", "licenseJurisdiction": "US-CA", "certifications": ["CMT", "=cert"], "yearsExperience": 7, "migraineExperience": true, "techniques": ["scalp", "neck_shoulder"], "email": "d@example.org", "phone": "+1 555 0100", "externalId": "t-1"}"#
        )
        _ = try await create(
            "episodes",
            #"{"patientId": 1, "startedAt": "2026-11-01T08:00:00+01:00", "endedAt": "2026-11-01T20:00:00Z", "intensity": 7, "aura": true, "symptoms": ["nausea", "photophobia"], "locations": ["left"], "triggers": ["stress", "own_trigger"], "medications": [{"name": "Sumatriptan", "class": "triptan", "doseMg": 50, "takenAt": "2026-11-01T08:30:00Z", "effective": true}, {"name": "Ibu, 400", "doseMg": 400.5}], "reliefMeasures": ["dark_room"], "stressLevel": 6, "disability": "moderate", "notes": "\ttab first", "externalId": "e-1"}"#
        )
        _ = try await create("episodes", #"{"patientId": 2, "startedAt": "2026-11-02T08:00:00Z", "intensity": 3}"#)
        _ = try await create(
            "sessions",
            #"{"patientId": 1, "therapistId": 1, "startedAt": "2026-11-03T10:00:00Z", "durationMinutes": 45, "techniques": ["scalp", "trigger_point"], "areas": ["neck", "scalp"], "pressure": "medium", "triggerPointsReleased": 3, "essentialOils": ["lavender"], "warmCompress": true, "painBefore": 6, "painAfter": 2, "stressBefore": 7, "stressAfter": 3, "notes": "-5 minutes late", "externalId": "s-1"}"#
        )
        _ = try await create(
            "sessions",
            #"{"patientId": 2, "startedAt": "2026-11-04T10:00:00Z", "durationMinutes": 20, "techniques": ["stroking"]}"#
        )
    }
}

@Suite("Bulk export and import")
struct BulkDataTests {
    @Test("every collection survives export, import into an empty database and export again, in both formats")
    func roundTrips() async throws {
        for format in ["csv", "ndjson"] {
            var exported: [String: String] = [:]
            try await withBulkApp { _, client in
                try await client.seedClinic()
                for collection in collections {
                    let response = try await client.export(collection, format)
                    try #require(response.status == 200, "\(response.text)")
                    #expect(response.header("Transfer-Encoding") == "chunked")
                    #expect(
                        response.header("Content-Disposition")
                            == "attachment; filename=\"\(collection)-2026-11-18.\(format)\"")
                    exported[collection] = response.text
                }
            }
            try await withBulkApp { _, client in
                for collection in collections {
                    let response = try await client.importRows(collection, exported[collection]!, format: format)
                    try #require(response.status == 200, "\(collection) \(format): \(response.text)")
                    #expect((response.object["inserted"] as? Int) == (collection == "therapists" ? 1 : 2))
                }
                for collection in collections {
                    let again = try await client.export(collection, format)
                    #expect(again.text == exported[collection], "\(collection) \(format)")
                }
            }
        }
    }

    @Test("CSV has the contract's header, CRLF, quoting, joined slugs, JSON medications and guarded formulas")
    func csvLayout() async throws {
        try await withBulkApp { _, client in
            try await client.seedClinic()
            let patients = try await client.export("patients", "csv").text
            #expect(patients.hasPrefix("displayName,timezone,birthYear,externalId,notes,id,createdAt,updatedAt\r\n"))
            #expect(patients.contains("\"Ann, \"\"Annie\"\"\",Europe/Berlin,1980,p-1,\"'=HYPERLINK"))
            #expect(patients.contains("'+Bo,UTC,,'@p-2,\"\",2,2026-11-18T"))
            let therapists = try await client.export("therapists", "csv").text
            #expect(therapists.contains("Dana,'-L1,US-CA,CMT;=cert,7,true,scalp;neck_shoulder,"))
            let episodes = try await client.export("episodes", "csv").text
            #expect(
                episodes.contains(
                    ",true,nausea;photophobia,left,stress;own_trigger,\"[{\"\"name\"\":\"\"Sumatriptan\"\""))
            #expect(episodes.contains("'\ttab first"))
            let sessions = try await client.export("sessions", "csv").text
            #expect(sessions.contains("'-5 minutes late"))
            #expect(!sessions.contains("\n") || sessions.components(separatedBy: "\r\n").count == 4)
        }
    }

    @Test("export takes the list's filters, orders by id and refuses paging")
    func exportFilters() async throws {
        try await withBulkApp { _, client in
            try await client.seedClinic()
            let one = try await client.export("episodes", "ndjson", query: "&patientId=2")
            #expect(one.text.split(separator: "\n").count == 1)
            #expect(one.text.contains("\"patientId\":2"))
            let intense = try await client.export("episodes", "ndjson", query: "&minIntensity=5&trigger=stress")
            #expect(intense.text.split(separator: "\n").count == 1)
            let none = try await client.export("episodes", "csv", query: "&from=2027-01-01")
            #expect(none.text.components(separatedBy: "\r\n").count == 2)  // header only
            let paged = try await client.export("episodes", "ndjson", query: "&limit=5")
            #expect(paged.status == 400)
            let bad = try await client.export("episodes", "xml")
            #expect(bad.status == 400)
            #expect(bad.errorFields == ["/format"])
            // Exactly as GET renders each record.
            let single = try await client.get("/v1/episodes/1")
            let all = try await client.export("episodes", "ndjson")
            #expect(all.text.split(separator: "\n").first.map(String.init) == single.text)
        }
    }

    @Test("an export of more rows than one batch streams them all in id order")
    func largeExport() async throws {
        try await withBulkApp { _, client in
            _ = try await client.createPatient()
            var lines: [String] = []
            for index in 0..<5200 {
                lines.append(#"{"patientId": 1, "startedAt": "2026-10-01T08:00:00Z", "intensity": \#(index % 11)}"#)
            }
            let imported = try await client.importRows("episodes", lines.joined(separator: "\n"), format: "ndjson")
            try #require(imported.status == 200, "\(imported.text)")
            let export = try await client.export("episodes", "csv")
            let rows = export.text.components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }
            #expect(rows.count == 5200)
            let ids = rows.compactMap { row in
                row.split(separator: ",", omittingEmptySubsequences: false).dropLast(2).last
            }
            #expect(ids.map { Int($0)! } == Array(1...5200))
        }
    }

    @Test("a file with bad rows writes nothing and names every bad row by line and field")
    func invalidRowsChangeNothing() async throws {
        try await withBulkApp { _, client in
            try await client.seedClinic()
            let before = try await client.snapshot()
            let csv = [
                "patientId,startedAt,intensity,triggers,externalId",
                "1,2026-11-05T08:00:00Z,4,stress,new-1",
                "1,2026-11-05T08:00:00Z,11,stress,",
                "\"1\",not a time,4,Bad Slug,",
                "99,2026-11-05T08:00:00Z,4,,",
                "1,2026-11-05T08:00:00Z,4,,e-1",
                "1,2026-11-05T08:00:00Z,4,,new-1",
                "1,2026-11-05T08:00:00Z,4",
            ].joined(separator: "\r\n")
            let response = try await client.importRows("episodes", csv, format: "csv")
            #expect(response.status == 422)
            #expect(response.header("Content-Type") == "application/problem+json")
            #expect((response.object["invalidRows"] as? Int) == 6)
            let errors = try #require(response.object["errors"] as? [[String: Any]])
            let pairs = errors.map { "\($0["line"] as? Int ?? 0) \($0["field"] as? String ?? "?")" }
            #expect(
                pairs == [
                    "3 /intensity", "4 /startedAt", "4 /triggers/0", "5 /patientId", "6 /externalId", "7 /externalId",
                    "8 ",
                ])
            #expect(try await client.snapshot() == before)

            let ndjson = "{\"patientId\": 1, \"startedAt\": \"2026-11-05T08:00:00Z\", \"intensity\": 4}\n\n{oops\n[1]\n"
            let bad = try await client.importRows("episodes", ndjson, format: "ndjson")
            #expect(bad.status == 422)
            let lines = (bad.object["errors"] as? [[String: Any]] ?? []).compactMap { $0["line"] as? Int }
            #expect(lines == [3, 4])
            let unknownColumn = try await client.importRows(
                "episodes", "patientId,startedAt,intensity,colour\r\n1,2026-11-05T08:00:00Z,4,red\r\n", format: "csv")
            #expect(unknownColumn.status == 422)
            #expect(unknownColumn.errorFields == ["/colour"])
            let unclosed = try await client.importRows("patients", "displayName\r\n\"Ann\r\n", format: "csv")
            #expect(unclosed.status == 422)
            #expect(try await client.snapshot() == before)

            // At most 100 listed, all counted.
            let many = (0..<150).map { _ in #"{"patientId": 1, "startedAt": "2026-11-05T08:00:00Z", "intensity": 12}"# }
            let tooMany = try await client.importRows("episodes", many.joined(separator: "\n"), format: "ndjson")
            #expect((tooMany.object["errors"] as? [Any])?.count == 100)
            #expect((tooMany.object["invalidRows"] as? Int) == 150)
            #expect(try await client.snapshot() == before)
        }
    }

    @Test("dryRun counts without writing; onConflict error, skip and update act on externalId")
    func conflictsAndDryRun() async throws {
        try await withBulkApp { _, client in
            _ = try await client.createPatient()
            let rows = [
                #"{"patientId": 1, "startedAt": "2026-11-05T08:00:00Z", "intensity": 4, "externalId": "x-1"}"#,
                #"{"patientId": 1, "startedAt": "2026-11-06T08:00:00Z", "intensity": 5, "externalId": "x-2"}"#,
                #"{"patientId": 1, "startedAt": "2026-11-07T08:00:00Z", "intensity": 6}"#,
            ].joined(separator: "\n")
            let before = try await client.snapshot()
            let dry = try await client.importRows("episodes", rows, format: "ndjson", query: "?dryRun=true")
            #expect(dry.status == 200)
            #expect((dry.object["inserted"] as? Int) == 3)
            #expect((dry.object["dryRun"] as? Bool) == true)
            #expect(try await client.snapshot() == before)

            let first = try await client.importRows("episodes", rows, format: "ndjson")
            #expect((first.object["inserted"] as? Int) == 3)
            let again = try await client.importRows("episodes", rows, format: "ndjson")
            #expect(again.status == 422)
            #expect(again.errorFields == ["/externalId", "/externalId"])
            #expect(((again.object["errors"] as? [[String: Any]]) ?? []).map { $0["line"] as? Int } == [1, 2])
            let skipped = try await client.importRows("episodes", rows, format: "ndjson", query: "?onConflict=skip")
            #expect((skipped.object["skipped"] as? Int) == 2)
            #expect((skipped.object["inserted"] as? Int) == 1)
            let changed = rows.replacingOccurrences(of: #""intensity": 4"#, with: #""intensity": 9"#)
            let updated = try await client.importRows(
                "episodes", changed, format: "ndjson", query: "?onConflict=update")
            #expect((updated.object["updated"] as? Int) == 1)
            #expect((updated.object["unchanged"] as? Int) == 1)
            #expect((updated.object["inserted"] as? Int) == 1)
            #expect(try await client.get("/v1/episodes/1").object["intensity"] as? Int == 9)
            // Idempotency-Key: the same import again replays the first answer and writes nothing.
            let once = #"{"patientId": 1, "startedAt": "2026-11-08T08:00:00Z", "intensity": 2}"#
            let key = [("Idempotency-Key", "nightly-2026-11-08")]
            let first1 = try await client.importRows("episodes", once, format: "ndjson", headers: key)
            let replay = try await client.importRows("episodes", once, format: "ndjson", headers: key)
            #expect(first1.status == 200 && replay.status == 200)
            #expect(replay.text == first1.text)
            #expect(replay.header("Idempotent-Replayed") == "true")
            #expect(try await client.export("episodes", "ndjson").text.split(separator: "\n").count == 6)
            let reused = try await client.importRows("episodes", rows, format: "ndjson", headers: key)
            #expect(reused.status == 422)
            let badPolicy = try await client.importRows("episodes", rows, format: "ndjson", query: "?onConflict=merge")
            #expect(badPolicy.status == 400)
            let wrongType = try await client.request(
                "POST", "/v1/episodes/import", headers: [("Content-Type", "application/json")], body: "{}")
            #expect(wrongType.status == 415)
        }
    }

    @Test("a patient token exports and imports its own rows only")
    func patientScope() async throws {
        try await withBulkApp { app, admin in
            try await admin.seedClinic()
            let patient = try app.client(token: try app.token(.patient, patient: 2))
            let mine = try await patient.export("episodes", "ndjson")
            #expect(mine.status == 200)
            #expect(mine.text.split(separator: "\n").count == 1)
            #expect(!mine.text.contains("\"patientId\":1"))
            #expect(try await patient.export("episodes", "csv", query: "&patientId=1").status == 404)
            let patients = try await patient.export("patients", "ndjson")
            #expect(patients.text.split(separator: "\n").count == 1)
            #expect(patients.text.contains("\"id\":2"))

            let before = try await admin.snapshot()
            let other = try await patient.importRows(
                "episodes",
                "{\"startedAt\": \"2026-11-05T08:00:00Z\", \"intensity\": 4}\n{\"patientId\": 1, \"startedAt\": \"2026-11-05T08:00:00Z\", \"intensity\": 4}",
                format: "ndjson")
            #expect(other.status == 404)
            #expect(try await admin.snapshot() == before)
            // Taking over another patient's record by its externalId is as if it did not exist.
            let takeover = try await patient.importRows(
                "episodes", "startedAt,intensity,externalId\r\n2026-11-05T08:00:00Z,4,e-1\r\n", format: "csv",
                query: "?onConflict=update")
            #expect(takeover.status == 404)
            #expect(try await admin.snapshot() == before)
            let own = try await patient.importRows(
                "episodes", "startedAt,intensity\r\n2026-11-05T08:00:00Z,4\r\n", format: "csv")
            #expect(own.status == 200)
            #expect(try await admin.get("/v1/episodes/3").object["patientId"] as? Int == 2)
            #expect(try await patient.importRows("patients", "displayName\r\nX\r\n", format: "csv").status == 403)
        }
    }

    @Test("imports take bodies up to http.maxImportBytes, other bodies keep their own limit")
    func importBodyLimit() async throws {
        try await withBulkApp(configure: { $0.http.parserLimits.maxLargeBodyBytes = 3_000_000 }) { app, client in
            _ = try await client.createPatient()
            let line =
                #"{"patientId": 1, "startedAt": "2026-11-05T08:00:00Z", "intensity": 4, "notes": "\#(String(repeating: "n", count: 900))"}"#
            let body = Array(repeating: line, count: 2000).joined(separator: "\n")  // about 2 MB
            let imported = try await client.importRows("episodes", body, format: "ndjson")
            #expect(imported.status == 200, "\(imported.text)")
            // A 413 closes its connection: each on a connection of its own.
            let tooLarge = try await app.client().importRows("episodes", body + "\n" + body, format: "ndjson")
            #expect(tooLarge.status == 413)
            let single = try await app.client().post(
                "/v1/patients", #"{"displayName": "\#(String(repeating: "a", count: 1_100_000))"}"#)
            #expect(single.status == 413)
        }
    }

    @Test("an import or export is one audit entry per patient touched")
    func auditPerPatient() async throws {
        try await withBulkApp { app, client in
            _ = try await client.createPatient()
            _ = try await client.createPatient()
            let rows = (0..<10).map { index in
                #"{"patientId": \#(index % 2 + 1), "startedAt": "2026-11-05T08:00:00Z", "intensity": 4}"#
            }
            let imported = try await client.importRows("episodes", rows.joined(separator: "\n"), format: "ndjson")
            #expect(imported.status == 200)
            _ = try await client.export("episodes", "csv")
            // The export's lines are buffered; give the audit writer its flush.
            var entries: [[String: Any]] = []
            for _ in 0..<100 {
                let audit = try await client.get("/v1/audit?limit=500")
                entries = (audit.object["items"] as? [[String: Any]]) ?? []
                if entries.filter({ ($0["route"] as? String) == "/v1/episodes/export" }).count == 2 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let importLines = entries.filter { ($0["route"] as? String) == "/v1/episodes/import" }
            #expect(importLines.compactMap { $0["patientId"] as? Int }.sorted() == [1, 2])
            let exportLines = entries.filter { ($0["route"] as? String) == "/v1/episodes/export" }
            #expect(exportLines.compactMap { $0["patientId"] as? Int }.sorted() == [1, 2])
            _ = app
        }
    }
}
