import Foundation
import ReliefLog
import TestSupport
import Testing

/// Runs `body` against a fresh application and stops it afterwards, also when `body` throws.
private func withApp(_ body: (TestApp, TestHTTPClient) async throws -> Void) async throws {
    let app = try TestApp()
    do {
        try await body(app, try app.client())
    } catch {
        await app.stop()
        throw error
    }
    await app.stop()
}

extension TestHTTPClient {
    func post(_ path: String, _ body: String, headers: [(String, String)] = []) async throws -> TestResponse {
        try await request("POST", path, headers: headers, body: body)
    }

    func get(_ path: String, headers: [(String, String)] = []) async throws -> TestResponse {
        try await request("GET", path, headers: headers)
    }

    func patch(_ path: String, _ body: String, headers: [(String, String)] = []) async throws -> TestResponse {
        try await request(
            "PATCH", path, headers: [("Content-Type", "application/merge-patch+json")] + headers, body: body)
    }

    func delete(_ path: String, headers: [(String, String)] = []) async throws -> TestResponse {
        try await request("DELETE", path, headers: headers)
    }

    /// Creates a record and returns its id, failing the test unless the answer is 201.
    func create(_ collection: String, _ body: String) async throws -> Int {
        let response = try await post("/v1/\(collection)", body)
        try #require(response.status == 201, "\(collection): \(response.text)")
        return try #require(response.object["id"] as? Int)
    }

    func createPatient(_ name: String = "Ann", externalId: String? = nil) async throws -> Int {
        let external = externalId.map { #", "externalId": "\#($0)""# } ?? ""
        return try await create("patients", #"{"displayName": "\#(name)"\#(external)}"#)
    }

    func createTherapist(license: String, extra: String = "") async throws -> Int {
        try await create("therapists", #"{"name": "Dana", "licenseNumber": "\#(license)"\#(extra)}"#)
    }

    func createEpisode(patientId: Int, startedAt: String, intensity: Int = 5, extra: String = "") async throws -> Int {
        try await create(
            "episodes",
            #"{"patientId": \#(patientId), "startedAt": "\#(startedAt)", "intensity": \#(intensity)\#(extra)}"#)
    }

    func createSession(
        patientId: Int, therapistId: Int? = nil, startedAt: String, techniques: String = #"["scalp"]"#
    ) async throws -> Int {
        let therapist = therapistId.map { #", "therapistId": \#($0)"# } ?? ""
        return try await create(
            "sessions",
            #"{"patientId": \#(patientId)\#(therapist), "startedAt": "\#(startedAt)", "durationMinutes": 30, "techniques": \#(techniques)}"#
        )
    }

    /// The ids of one list page, and its next cursor.
    func listIds(_ path: String) async throws -> (ids: [Int], next: String?) {
        let response = try await get(path)
        try #require(response.status == 200, "\(path): \(response.text)")
        let items = try #require(response.object["items"] as? [[String: Any]])
        return (items.compactMap { $0["id"] as? Int }, response.object["nextCursor"] as? String)
    }
}

extension TestResponse {
    var errorFields: [String] {
        (object["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String } ?? []
    }
}

/// Expects the headers every record representation carries.
private func expectRepresentation(_ response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(response.header("Content-Type") == "application/json; charset=utf-8", sourceLocation: sourceLocation)
    #expect(response.header("Cache-Control") == "no-store", sourceLocation: sourceLocation)
}

private func isStrongETag(_ value: String?) -> Bool {
    guard let value, value.count == 18, value.first == "\"", value.last == "\"" else { return false }
    return value.dropFirst().dropLast().allSatisfy { $0.isHexDigit && !$0.isUppercase }
}

@Suite("Records over HTTP: /v1/patients, /v1/therapists, /v1/episodes, /v1/sessions")
struct RecordsAPITests {
    // MARK: Create, read, list, patch, delete

    @Test("patients: create, read, list, patch and delete")
    func patients() async throws {
        try await withApp { _, client in
            let created = try await client.post(
                "/v1/patients",
                #"{"displayName": "Ann Lee", "timezone": "Europe/Berlin", "birthYear": 1985, "externalId": "P-1"}"#)
            #expect(created.status == 201)
            expectRepresentation(created)
            let id = try #require(created.object["id"] as? Int)
            #expect(created.header("Location") == "/v1/patients/\(id)")
            #expect(isStrongETag(created.header("ETag")))
            #expect(created.object["displayName"] as? String == "Ann Lee")
            #expect(created.object["timezone"] as? String == "Europe/Berlin")
            #expect(created.object["notes"] is NSNull)

            let read = try await client.get("/v1/patients/\(id)")
            #expect(read.status == 200)
            expectRepresentation(read)
            #expect(read.body == created.body)
            #expect(read.header("ETag") == created.header("ETag"), "the same representation has the same ETag")

            let list = try await client.get("/v1/patients")
            #expect(list.status == 200)
            expectRepresentation(list)
            #expect((list.object["items"] as? [[String: Any]])?.map { $0["id"] as? Int } == [id])
            #expect(list.object["nextCursor"] is NSNull)

            let patched = try await client.patch(
                "/v1/patients/\(id)", #"{"notes": "prefers mornings", "birthYear": null}"#)
            #expect(patched.status == 200)
            expectRepresentation(patched)
            #expect(patched.object["notes"] as? String == "prefers mornings")
            #expect(patched.object["birthYear"] is NSNull, "null clears an optional field")
            #expect(patched.object["displayName"] as? String == "Ann Lee", "members the patch leaves out are kept")
            #expect(patched.object["createdAt"] as? String == created.object["createdAt"] as? String)
            #expect(patched.object["updatedAt"] as? String != created.object["updatedAt"] as? String)
            #expect(isStrongETag(patched.header("ETag")))
            #expect(patched.header("ETag") != created.header("ETag"))
            #expect(try await client.get("/v1/patients/\(id)").header("ETag") == patched.header("ETag"))

            let deleted = try await client.delete("/v1/patients/\(id)")
            #expect(deleted.status == 204)
            #expect(deleted.body.isEmpty)
            #expect(try await client.get("/v1/patients/\(id)").status == 404)
            #expect(try await client.listIds("/v1/patients").ids.isEmpty)
        }
    }

    @Test("therapists: create, read, list with filters, patch and delete")
    func therapists() async throws {
        try await withApp { _, client in
            let created = try await client.post(
                "/v1/therapists",
                #"{"name": "Dana Ruiz", "licenseNumber": "LMT-1", "licenseJurisdiction": "US-CA", "certifications": ["NCBTMB"], "yearsExperience": 8, "migraineExperience": true, "techniques": ["trigger_point", "scalp"], "email": "dana@example.org"}"#
            )
            #expect(created.status == 201)
            let first = try #require(created.object["id"] as? Int)
            #expect(created.header("Location") == "/v1/therapists/\(first)")
            #expect(created.object["active"] as? Bool == true)
            #expect(created.object["techniques"] as? [String] == ["trigger_point", "scalp"])
            let second = try await client.createTherapist(
                license: "LMT-2", extra: #", "techniques": ["swedish"], "active": false"#)

            #expect(try await client.listIds("/v1/therapists").ids == [first, second])
            #expect(try await client.listIds("/v1/therapists?technique=scalp").ids == [first])
            #expect(try await client.listIds("/v1/therapists?migraineExperience=true").ids == [first])
            #expect(try await client.listIds("/v1/therapists?migraineExperience=false").ids == [second])
            #expect(try await client.listIds("/v1/therapists?active=false").ids == [second])
            #expect(try await client.listIds("/v1/therapists?active=true&technique=swedish").ids.isEmpty)

            let read = try await client.get("/v1/therapists/\(first)")
            #expect(read.status == 200)
            #expect(read.object["licenseJurisdiction"] as? String == "US-CA")

            let patched = try await client.patch("/v1/therapists/\(first)", #"{"active": false}"#)
            #expect(patched.status == 200)
            #expect(patched.object["active"] as? Bool == false)
            #expect(try await client.listIds("/v1/therapists?active=false").ids == [first, second])

            #expect(try await client.delete("/v1/therapists/\(second)").status == 204)
            #expect(try await client.get("/v1/therapists/\(second)").status == 404)
        }
    }

    @Test("episodes: create, read, list with filters, patch and delete")
    func episodes() async throws {
        try await withApp { _, client in
            let ann = try await client.createPatient("Ann")
            let ben = try await client.createPatient("Ben")
            let created = try await client.post(
                "/v1/episodes",
                #"{"patientId": \#(ann), "startedAt": "2025-03-01T08:15:00+01:00", "endedAt": "2025-03-01T14:00:00+01:00", "intensity": 7, "aura": true, "symptoms": ["nausea"], "triggers": ["stress", "poor_sleep"], "medications": [{"name": "Sumatriptan", "class": "triptan", "doseMg": 50}], "disability": "moderate"}"#
            )
            #expect(created.status == 201)
            expectRepresentation(created)
            let first = try #require(created.object["id"] as? Int)
            #expect(created.header("Location") == "/v1/episodes/\(first)")
            #expect(created.object["startedAt"] as? String == "2025-03-01T07:15:00Z", "rendered in UTC")
            let medication = (created.object["medications"] as? [[String: Any]])?.first
            #expect(medication?["name"] as? String == "Sumatriptan")
            #expect(medication?["doseMg"] as? Int == 50)

            let second = try await client.createEpisode(patientId: ann, startedAt: "2025-03-05T09:00:00Z", intensity: 3)
            let third = try await client.createEpisode(
                patientId: ben, startedAt: "2025-03-03T09:00:00Z", intensity: 9, extra: #", "triggers": ["weather"]"#)

            #expect(try await client.listIds("/v1/episodes").ids == [second, third, first], "newest first")
            #expect(try await client.listIds("/v1/episodes?patientId=\(ann)").ids == [second, first])
            #expect(try await client.listIds("/v1/episodes?minIntensity=7").ids == [third, first])
            #expect(try await client.listIds("/v1/episodes?trigger=stress").ids == [first])
            #expect(
                try await client.listIds("/v1/episodes?from=2025-03-03&to=2025-03-05").ids == [third],
                "from inclusive, to exclusive")
            #expect(try await client.listIds("/v1/episodes?from=2025-03-03T09:00:00Z").ids == [second, third])
            #expect(try await client.listIds("/v1/episodes?to=2025-03-03T10:00:00%2B01:00").ids == [first])

            let patched = try await client.patch(
                "/v1/episodes/\(first)", #"{"intensity": 8, "endedAt": null, "medications": []}"#)
            #expect(patched.status == 200)
            #expect(patched.object["intensity"] as? Int == 8)
            #expect(patched.object["endedAt"] is NSNull)
            #expect((patched.object["medications"] as? [Any])?.isEmpty == true)
            #expect(patched.object["triggers"] as? [String] == ["stress", "poor_sleep"])

            #expect(try await client.delete("/v1/episodes/\(first)").status == 204)
            #expect(try await client.listIds("/v1/episodes").ids == [second, third])
        }
    }

    @Test("sessions: create, read, list with filters, patch and delete")
    func sessions() async throws {
        try await withApp { _, client in
            let ann = try await client.createPatient("Ann")
            let dana = try await client.createTherapist(license: "LMT-1")
            let created = try await client.post(
                "/v1/sessions",
                #"{"patientId": \#(ann), "therapistId": \#(dana), "startedAt": "2025-04-02T10:00:00Z", "durationMinutes": 60, "techniques": ["trigger_point", "neck_shoulder"], "areas": ["neck"], "pressure": "firm", "painBefore": 6, "painAfter": 2}"#
            )
            #expect(created.status == 201)
            expectRepresentation(created)
            let professional = try #require(created.object["id"] as? Int)
            #expect(created.header("Location") == "/v1/sessions/\(professional)")
            #expect(created.object["kind"] as? String == "professional")
            #expect(created.object["therapistId"] as? Int == dana)
            let selfMassage = try await client.createSession(patientId: ann, startedAt: "2025-04-03T21:00:00Z")

            #expect(try await client.listIds("/v1/sessions").ids == [selfMassage, professional])
            #expect(try await client.listIds("/v1/sessions?kind=self").ids == [selfMassage])
            #expect(
                try await client.listIds("/v1/sessions?kind=professional&therapistId=\(dana)").ids == [professional])
            #expect(try await client.listIds("/v1/sessions?technique=trigger_point").ids == [professional])
            #expect(try await client.listIds("/v1/sessions?patientId=\(ann)&from=2025-04-03").ids == [selfMassage])

            let read = try await client.get("/v1/sessions/\(professional)")
            #expect(read.status == 200)
            #expect(read.object["pressure"] as? String == "firm")

            let patched = try await client.patch(
                "/v1/sessions/\(professional)", #"{"kind": "self", "therapistId": null}"#)
            #expect(patched.status == 200)
            #expect(patched.object["kind"] as? String == "self")
            #expect(patched.object["therapistId"] is NSNull)

            #expect(try await client.delete("/v1/sessions/\(selfMassage)").status == 204)
            #expect(try await client.listIds("/v1/sessions").ids == [professional])
        }
    }

    // MARK: Errors

    @Test("a 422 lists every failing field with its pointer, and nothing is stored")
    func validation() async throws {
        try await withApp { _, client in
            let patient = try await client.createPatient()
            let response = try await client.post(
                "/v1/episodes",
                #"{"patientId": \#(patient), "intensity": 11, "startedAt": "yesterday", "medications": [{"doseMg": -1}], "mood": "bad", "id": 4}"#
            )
            #expect(response.status == 422)
            #expect(response.header("Content-Type") == "application/problem+json")
            #expect(response.object["status"] as? Int == 422)
            #expect(
                Set(response.errorFields)
                    == ["/mood", "/id", "/startedAt", "/intensity", "/medications/0/name", "/medications/0/doseMg"])
            #expect(try await client.listIds("/v1/episodes").ids.isEmpty)

            let patientProblem = try await client.post(
                "/v1/patients", #"{"displayName": "", "birthYear": 1800, "timezone": "Mars/Olympus"}"#)
            #expect(patientProblem.status == 422)
            #expect(patientProblem.errorFields == ["/displayName", "/timezone", "/birthYear"])
            #expect(try await client.listIds("/v1/patients").ids == [patient])
        }
    }

    @Test("a missing patient or therapist is 422 at that field")
    func missingReference() async throws {
        try await withApp { _, client in
            let patient = try await client.createPatient()
            let episode = try await client.post(
                "/v1/episodes", #"{"patientId": 999, "startedAt": "2025-01-01T00:00:00Z", "intensity": 4}"#)
            #expect(episode.status == 422)
            #expect(episode.errorFields == ["/patientId"])
            let session = try await client.post(
                "/v1/sessions",
                #"{"patientId": \#(patient), "therapistId": 999, "startedAt": "2025-01-01T00:00:00Z", "durationMinutes": 30, "techniques": ["scalp"]}"#
            )
            #expect(session.status == 422)
            #expect(session.errorFields == ["/therapistId"])
            #expect(try await client.listIds("/v1/episodes").ids.isEmpty)
            #expect(try await client.listIds("/v1/sessions").ids.isEmpty)
        }
    }

    @Test("a body that is not JSON is 415, malformed JSON is 400, and neither stores anything")
    func mediaTypeAndSyntax() async throws {
        try await withApp { _, client in
            let text = try await client.post(
                "/v1/patients", #"{"displayName": "Ann"}"#, headers: [("Content-Type", "text/plain")])
            #expect(text.status == 415)
            #expect(text.header("Content-Type") == "application/problem+json")
            let malformed = try await client.post("/v1/patients", #"{"displayName": "Ann""#)
            #expect(malformed.status == 400)
            #expect(malformed.header("Content-Type") == "application/problem+json")
            #expect(try await client.listIds("/v1/patients").ids.isEmpty)

            let id = try await client.createPatient()
            let before = try await client.get("/v1/patients/\(id)")
            let patchText = try await client.request(
                "PATCH", "/v1/patients/\(id)", headers: [("Content-Type", "text/plain")], body: #"{"notes": "x"}"#)
            #expect(patchText.status == 415)
            #expect(patchText.header("Accept-Patch")?.contains("application/merge-patch+json") == true)
            let patchJSON = try await client.request("PATCH", "/v1/patients/\(id)", body: #"{"notes": "plain json"}"#)
            #expect(patchJSON.status == 200, "application/json is accepted for merge patches too")
            let invalidPatch = try await client.patch("/v1/patients/\(id)", #"{"displayName": null, "birthYear": "x"}"#)
            #expect(invalidPatch.status == 422)
            #expect(invalidPatch.errorFields == ["/displayName", "/birthYear"])
            #expect(try await client.get("/v1/patients/\(id)").object["notes"] as? String == "plain json")
            #expect(before.object["notes"] is NSNull)
        }
    }

    @Test("a duplicate externalId is 409 and stores nothing")
    func conflict() async throws {
        try await withApp { _, client in
            let first = try await client.createPatient("Ann", externalId: "P-1")
            let duplicate = try await client.post("/v1/patients", #"{"displayName": "Other", "externalId": "P-1"}"#)
            #expect(duplicate.status == 409)
            #expect(duplicate.header("Content-Type") == "application/problem+json")
            #expect(duplicate.errorFields == ["/externalId"])
            #expect(try await client.listIds("/v1/patients").ids == [first])

            let second = try await client.createPatient("Ben", externalId: "P-2")
            let patched = try await client.patch("/v1/patients/\(second)", #"{"externalId": "P-1"}"#)
            #expect(patched.status == 409)
            #expect(try await client.get("/v1/patients/\(second)").object["externalId"] as? String == "P-2")
        }
    }

    @Test("an unknown id is 404 for GET, PATCH and DELETE; a malformed id is 400")
    func notFound() async throws {
        try await withApp { _, client in
            for collection in ["patients", "therapists", "episodes", "sessions"] {
                let get = try await client.get("/v1/\(collection)/424242")
                #expect(get.status == 404)
                #expect(get.header("Content-Type") == "application/problem+json")
                #expect(try await client.patch("/v1/\(collection)/424242", #"{"notes": "x"}"#).status == 404)
                #expect(try await client.delete("/v1/\(collection)/424242").status == 404)
                #expect(try await client.get("/v1/\(collection)/0").status == 404)
                #expect(try await client.get("/v1/\(collection)/abc").status == 400)
            }
        }
    }

    // MARK: Conditional requests

    @Test("If-None-Match with the current ETag answers 304 with the ETag and no body")
    func notModified() async throws {
        try await withApp { _, client in
            let id = try await client.createPatient()
            let read = try await client.get("/v1/patients/\(id)")
            let etag = try #require(read.header("ETag"))
            for condition in [etag, "W/\(etag)", "\"0000000000000000\", \(etag)", "*"] {
                let cached = try await client.get("/v1/patients/\(id)", headers: [("If-None-Match", condition)])
                #expect(cached.status == 304, "If-None-Match: \(condition)")
                #expect(cached.header("ETag") == etag)
                #expect(cached.body.isEmpty)
            }
            let stale = try await client.get("/v1/patients/\(id)", headers: [("If-None-Match", "\"0000000000000000\"")])
            #expect(stale.status == 200)
            #expect(stale.body == read.body)

            _ = try await client.patch("/v1/patients/\(id)", #"{"notes": "changed"}"#)
            let changed = try await client.get("/v1/patients/\(id)", headers: [("If-None-Match", etag)])
            #expect(changed.status == 200, "a changed record no longer matches the old ETag")
            #expect(changed.header("ETag") != etag)
        }
    }

    @Test("If-Match that does not match is 412 and changes nothing; a matching one proceeds")
    func preconditionFailed() async throws {
        try await withApp { _, client in
            let id = try await client.createPatient()
            let original = try await client.get("/v1/patients/\(id)")
            let etag = try #require(original.header("ETag"))
            let stale = "\"0123456789abcdef\""

            let patch = try await client.patch("/v1/patients/\(id)", #"{"notes": "x"}"#, headers: [("If-Match", stale)])
            #expect(patch.status == 412)
            #expect(patch.header("Content-Type") == "application/problem+json")
            let weak = try await client.patch(
                "/v1/patients/\(id)", #"{"notes": "x"}"#, headers: [("If-Match", "W/\(etag)")])
            #expect(weak.status == 412, "If-Match compares strongly")
            let delete = try await client.delete("/v1/patients/\(id)", headers: [("If-Match", stale)])
            #expect(delete.status == 412)
            let after = try await client.get("/v1/patients/\(id)")
            #expect(after.status == 200)
            #expect(after.body == original.body, "failed conditional requests changed nothing")

            let matching = try await client.patch(
                "/v1/patients/\(id)", #"{"notes": "x"}"#, headers: [("If-Match", etag)])
            #expect(matching.status == 200)
            let newETag = try #require(matching.header("ETag"))
            #expect(
                try await client.patch("/v1/patients/\(id)", #"{"notes": "y"}"#, headers: [("If-Match", etag)]).status
                    == 412)
            #expect(try await client.delete("/v1/patients/\(id)", headers: [("If-Match", "*")]).status == 204)
            #expect(try await client.delete("/v1/patients/\(id)", headers: [("If-Match", newETag)]).status == 404)
        }
    }

    // MARK: Deleting

    @Test("a therapist with sessions cannot be deleted (409)")
    func therapistWithSessions() async throws {
        try await withApp { _, client in
            let patient = try await client.createPatient()
            let therapist = try await client.createTherapist(license: "LMT-1")
            _ = try await client.createSession(
                patientId: patient, therapistId: therapist, startedAt: "2025-04-02T10:00:00Z")
            let response = try await client.delete("/v1/therapists/\(therapist)")
            #expect(response.status == 409)
            #expect(response.header("Content-Type") == "application/problem+json")
            #expect(try await client.get("/v1/therapists/\(therapist)").status == 200)
            #expect(try await client.listIds("/v1/sessions").ids.count == 1)
        }
    }

    @Test("deleting a patient erases their episodes and sessions, and only theirs")
    func patientCascade() async throws {
        try await withApp { _, client in
            let ann = try await client.createPatient("Ann")
            let ben = try await client.createPatient("Ben")
            let therapist = try await client.createTherapist(license: "LMT-1")
            let annEpisode = try await client.createEpisode(patientId: ann, startedAt: "2025-02-01T08:00:00Z")
            let annSession = try await client.createSession(
                patientId: ann, therapistId: therapist, startedAt: "2025-02-02T08:00:00Z")
            let benEpisode = try await client.createEpisode(patientId: ben, startedAt: "2025-02-01T09:00:00Z")
            let benSession = try await client.createSession(patientId: ben, startedAt: "2025-02-03T08:00:00Z")

            #expect(try await client.delete("/v1/patients/\(ann)").status == 204)
            #expect(try await client.get("/v1/episodes/\(annEpisode)").status == 404)
            #expect(try await client.get("/v1/sessions/\(annSession)").status == 404)
            #expect(try await client.listIds("/v1/episodes").ids == [benEpisode])
            #expect(try await client.listIds("/v1/sessions").ids == [benSession])
            #expect(try await client.delete("/v1/therapists/\(therapist)").status == 204, "its only session is gone")
        }
    }

    // MARK: Lists

    @Test("paging across three pages while a row is inserted between pages: no duplicates, nothing skipped")
    func paging() async throws {
        try await withApp { _, client in
            let patient = try await client.createPatient()
            var expected: [Int] = []
            for day in 1...8 {
                expected.append(
                    try await client.createEpisode(patientId: patient, startedAt: "2025-05-0\(day)T08:00:00Z"))
            }
            expected.reverse()  // newest first

            let first = try await client.listIds("/v1/episodes?limit=3")
            #expect(first.ids == Array(expected[0..<3]))
            let cursor1 = try #require(first.next)
            // A newer episode, which would shift an offset-based page by one.
            let inserted = try await client.createEpisode(patientId: patient, startedAt: "2025-05-09T08:00:00Z")
            let middle = try await client.listIds("/v1/episodes?limit=3&cursor=\(cursor1)")
            #expect(middle.ids == Array(expected[3..<6]))
            let cursor2 = try #require(middle.next)
            let third = try await client.listIds("/v1/episodes?cursor=\(cursor2)&limit=3")
            #expect(third.ids == Array(expected[6..<8]))
            #expect(third.next == nil)
            let seen = first.ids + middle.ids + third.ids
            #expect(Set(seen).count == seen.count, "no duplicates")
            #expect(seen == expected, "nothing skipped")
            #expect(!seen.contains(inserted))

            // Ascending lists see rows inserted behind the cursor on a later page.
            let second = try await client.createPatient("Second")
            let patients = try await client.listIds("/v1/patients?limit=1")
            #expect(patients.ids == [patient])
            let later = try await client.createPatient("Later")
            let rest = try await client.listIds("/v1/patients?limit=2&cursor=\(try #require(patients.next))")
            #expect(rest.ids == [second, later])

            let foreign = try await client.get("/v1/patients?cursor=\(cursor1)")
            #expect(foreign.status == 400, "a cursor of another list is refused")
            #expect(foreign.errorFields == ["/cursor"])
            #expect(try await client.get("/v1/episodes?cursor=not-a-cursor").status == 400)
        }
    }

    @Test("limit out of range or malformed is 400 at /limit", arguments: ["0", "501", "abc", "-1", "1.5", ""])
    func badLimit(limit: String) async throws {
        try await withApp { _, client in
            let response = try await client.get("/v1/patients?limit=\(limit)")
            #expect(response.status == 400)
            #expect(response.header("Content-Type") == "application/problem+json")
            #expect(response.errorFields == ["/limit"])
        }
    }

    @Test("unknown and malformed query parameters are 400, all listed at once")
    func badQuery() async throws {
        try await withApp { _, client in
            let unknown = try await client.get("/v1/therapists?colour=blue")
            #expect(unknown.status == 400)
            #expect(unknown.errorFields == ["/colour"])
            let many = try await client.get(
                "/v1/episodes?limit=1000&patientId=0&from=yesterday&minIntensity=11&trigger=Stress&updatedSince=2025-01-01&extra=1"
            )
            #expect(many.status == 400)
            #expect(
                Set(many.errorFields)
                    == ["/limit", "/patientId", "/from", "/minIntensity", "/trigger", "/updatedSince", "/extra"])
            let sessions = try await client.get("/v1/sessions?kind=spa&therapistId=x&limit=2&limit=3")
            #expect(Set(sessions.errorFields) == ["/kind", "/therapistId", "/limit"])
            let therapists = try await client.get("/v1/therapists?active=yes&migraineExperience=1")
            #expect(Set(therapists.errorFields) == ["/active", "/migraineExperience"])
            #expect(try await client.get("/v1/patients?limit=500").status == 200)
            let plus = try await client.get("/v1/episodes?from=2025-03-03T10:00:00+01:00")
            #expect(plus.status == 400)
            #expect(
                (plus.object["errors"] as? [[String: Any]])?.first?["message"] as? String
                    == "must be a date (YYYY-MM-DD) or an RFC 3339 timestamp with an offset (write the + of an offset as %2B in a query string)"
            )
        }
    }

    @Test("updatedSince lists rows created or changed at or after the instant")
    func updatedSince() async throws {
        try await withApp { _, client in
            let first = try await client.createPatient("Ann")
            let second = try await client.createPatient("Ben")
            let created = try #require(try await client.get("/v1/patients/\(second)").object["updatedAt"] as? String)
            #expect(try await client.listIds("/v1/patients?updatedSince=\(created)").ids.contains(second))
            try await Task.sleep(for: .milliseconds(5))
            let patched = try await client.patch("/v1/patients/\(first)", #"{"notes": "x"}"#)
            let changedAt = try #require(patched.object["updatedAt"] as? String)
            #expect(try await client.listIds("/v1/patients?updatedSince=\(changedAt)").ids == [first])
            #expect(try await client.listIds("/v1/patients?updatedSince=2999-01-01T00:00:00Z").ids.isEmpty)
        }
    }

    // MARK: Idempotent creation

    @Test("the same Idempotency-Key and body returns the first response again, with one row")
    func idempotentReplay() async throws {
        try await withApp { _, client in
            let body = #"{"displayName": "Ann"}"#
            let key = [("Idempotency-Key", "3f1c-create-ann")]
            let first = try await client.post("/v1/patients", body, headers: key)
            #expect(first.status == 201)
            let again = try await client.post("/v1/patients", body, headers: key)
            #expect(again.status == 201)
            #expect(again.body == first.body)
            #expect(again.header("Location") == first.header("Location"))
            #expect(again.header("ETag") == first.header("ETag"))
            #expect(try await client.listIds("/v1/patients").ids.count == 1)

            let other = try await client.post("/v1/patients", #"{"displayName": "Ben"}"#, headers: key)
            #expect(other.status == 422)
            #expect(other.header("Content-Type") == "application/problem+json")
            #expect(try await client.listIds("/v1/patients").ids.count == 1)

            // Keys are per endpoint, and requests without a key are never deduplicated.
            let episodeScope = try await client.post(
                "/v1/therapists", #"{"name": "D", "licenseNumber": "1"}"#, headers: key)
            #expect(episodeScope.status == 201)
            #expect(try await client.post("/v1/patients", body).status == 201)
            #expect(try await client.post("/v1/patients", body).status == 201)
            #expect(try await client.listIds("/v1/patients").ids.count == 3)
        }
    }

    @Test(
        "an Idempotency-Key that is empty, too long or not visible ASCII is 400",
        arguments: ["", String(repeating: "k", count: 256), "has space", "clé"])
    func badIdempotencyKey(key: String) async throws {
        try await withApp { _, client in
            let response = try await client.post(
                "/v1/patients", #"{"displayName": "Ann"}"#, headers: [("Idempotency-Key", key)])
            #expect(response.status == 400)
            #expect(response.errorFields == ["Idempotency-Key"])
            #expect(try await client.listIds("/v1/patients").ids.isEmpty)
        }
    }

    // MARK: Concurrency

    @Test("16 clients creating 10 episodes each store 160 distinct rows")
    func concurrentCreates() async throws {
        try await withApp { app, client in
            let patient = try await client.createPatient()
            let ids = try await withThrowingTaskGroup(of: [Int].self) { group in
                for worker in 0..<16 {
                    group.addTask {
                        let client = try app.client()
                        var ids: [Int] = []
                        for n in 0..<10 {
                            let minute = String(format: "%02d", n)
                            ids.append(
                                try await client.createEpisode(
                                    patientId: patient,
                                    startedAt: "2025-06-\(String(format: "%02d", worker + 1))T10:\(minute):00Z",
                                    intensity: n))
                        }
                        return ids
                    }
                }
                var all: [Int] = []
                for try await ids in group { all += ids }
                return all
            }
            #expect(ids.count == 160)
            #expect(Set(ids).count == 160)
            let listed = try await client.listIds("/v1/episodes?limit=500")
            #expect(Set(listed.ids) == Set(ids))
            #expect(listed.next == nil)
        }
    }

    @Test("racing requests with one Idempotency-Key create one row")
    func concurrentIdempotentCreates() async throws {
        try await withApp { app, client in
            let bodies = try await withThrowingTaskGroup(of: [UInt8].self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let response = try await app.client().post(
                            "/v1/patients", #"{"displayName": "Ann"}"#, headers: [("Idempotency-Key", "race")])
                        try #require(response.status == 201)
                        return response.body
                    }
                }
                var all: [[UInt8]] = []
                for try await body in group { all.append(body) }
                return all
            }
            #expect(Set(bodies).count == 1)
            #expect(try await client.listIds("/v1/patients").ids.count == 1)
        }
    }

    // MARK: OpenAPI

    @Test("the OpenAPI document describes record schemas, parameters and responses")
    func openAPI() async throws {
        try await withApp { _, client in
            let document = try await client.get("/openapi.json").object
            let schemas = try #require(
                (document["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]])
            for name in [
                "Patient", "PatientInput", "Therapist", "TherapistInput", "Episode", "EpisodeInput", "Medication",
                "Session", "SessionInput", "PatientList", "SessionList",
            ] {
                #expect(schemas[name] != nil, "\(name) is missing")
            }
            #expect(schemas["EpisodeInput"]?["additionalProperties"] as? Bool == false)
            // patientId is implied by a patient token, so the schema cannot require it; it says so.
            #expect(schemas["EpisodeInput"]?["required"] as? [String] == ["startedAt", "intensity"])
            let patientId = (schemas["SessionInput"]?["properties"] as? [String: [String: Any]])?["patientId"]
            #expect((patientId?["description"] as? String)?.contains("implied by a patient token") == true)
            #expect(patientId?["type"] as? String == "integer")
            let intensity = (schemas["Episode"]?["properties"] as? [String: [String: Any]])?["intensity"]
            #expect(intensity?["minimum"] as? Int == 0)
            #expect(intensity?["maximum"] as? Int == 10)
            let endedAt = (schemas["Episode"]?["properties"] as? [String: [String: Any]])?["endedAt"]
            #expect(endedAt?["type"] as? [String] == ["string", "null"])
            #expect(endedAt?["format"] as? String == "date-time")

            let paths = try #require(document["paths"] as? [String: [String: [String: Any]]])
            let list = try #require(paths["/v1/episodes"]?["get"])
            let names = (list["parameters"] as? [[String: Any]])?.compactMap { $0["name"] as? String } ?? []
            #expect(
                Set(names) == [
                    "limit", "cursor", "updatedSince", "externalId", "patientId", "from", "to", "minIntensity",
                    "trigger",
                ])
            let create = try #require(paths["/v1/sessions"]?["post"]?["responses"] as? [String: [String: Any]])
            #expect(Set(create.keys).isSuperset(of: ["201", "409", "415", "422"]))
            #expect((create["201"]?["headers"] as? [String: Any])?["Location"] != nil)
            let patch = try #require(paths["/v1/patients/{id}"]?["patch"]?["responses"] as? [String: Any])
            #expect(patch["412"] != nil)
        }
    }
}
