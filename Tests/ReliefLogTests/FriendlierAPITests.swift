import Foundation
import ReliefLog
import TestSupport
import Testing

/// What phone shortcuts, scripts and dashboards on another origin need.
@Suite("friendlier for shortcuts, scripts and browsers")
struct FriendlierAPITests {
    @Test("GET /v1/vocabulary lists the known slugs of every vocabulary field, to any token")
    func vocabulary() async throws {
        let app = try TestApp()
        let patient = try await app.client().createPatient()
        let phone = try app.client(token: try app.token(.patient, patient: patient))
        let response = try await phone.get("/v1/vocabulary")
        #expect(response.status == 200)
        for key in [
            "symptoms", "locations", "triggers", "medicationClasses", "reliefMeasures", "disability", "techniques",
            "areas", "pressure",
        ] {
            #expect((response.object[key] as? [String])?.isEmpty == false, "\(key)")
        }
        #expect(response.object["pressure"] as? [String] == ["light", "medium", "firm"])
        #expect(try await app.client(token: nil).get("/v1/vocabulary").status == 401)
        #expect(try await phone.get("/v1/vocabulary?x=1").status == 400)
        await app.stop()
    }

    @Test("a number with an integral value is an integer; a patient token cannot name another patient as 2.0")
    func integralNumbers() async throws {
        let app = try TestApp()
        let admin = try app.client()
        let own = try await admin.createPatient()
        let other = try await admin.createPatient()
        let created = try await admin.post(
            "/v1/episodes", #"{"patientId": \#(own).0, "startedAt": "2026-11-01T08:00:00Z", "intensity": 5.0}"#)
        #expect(created.status == 201, "\(created.text)")
        #expect(created.object["intensity"] as? Int == 5)
        #expect(created.text.contains(#""intensity":5,"#))
        let fraction = try await admin.post(
            "/v1/episodes", #"{"patientId": \#(own), "startedAt": "2026-11-01T08:00:00Z", "intensity": 5.5}"#)
        #expect(fraction.status == 422)
        let phone = try app.client(token: try app.token(.patient, patient: own))
        let elsewhere = try await phone.post(
            "/v1/episodes", #"{"patientId": \#(other).0, "startedAt": "2026-11-01T08:00:00Z", "intensity": 5}"#)
        #expect(elsewhere.status == 404)
        await app.stop()
    }

    @Test("externalId finds a record in every collection")
    func externalIdFilter() async throws {
        let app = try TestApp()
        let client = try app.client()
        let patient = try await client.createPatient("Ann", externalId: "P-1")
        _ = try await client.createPatient("Bo", externalId: "P-2")
        let therapist = try await client.createTherapist(license: "L-1", extra: #", "externalId": "T-1""#)
        _ = try await client.createTherapist(license: "L-2")
        let episode = try await client.createEpisode(
            patientId: patient, startedAt: "2026-11-01T08:00:00Z", extra: #", "externalId": "E-1""#)
        _ = try await client.createEpisode(patientId: patient, startedAt: "2026-11-02T08:00:00Z")
        let session = try await client.create(
            "sessions",
            #"{"patientId": \#(patient), "startedAt": "2026-11-01T09:00:00Z", "durationMinutes": 20, "techniques": ["scalp"], "externalId": "S-1"}"#
        )
        for (collection, externalId, id) in [
            ("patients", "P-1", patient), ("therapists", "T-1", therapist), ("episodes", "E-1", episode),
            ("sessions", "S-1", session),
        ] {
            let page = try await client.get("/v1/\(collection)?externalId=\(externalId)")
            #expect(page.status == 200)
            #expect(
                (page.object["items"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } == [id], "\(collection)")
            let none = try await client.get("/v1/\(collection)?externalId=nobody")
            #expect((none.object["items"] as? [Any])?.isEmpty == true)
            let tooLong = try await client.get("/v1/\(collection)?externalId=" + String(repeating: "x", count: 101))
            #expect(tooLong.status == 400)
        }
        await app.stop()
    }

    @Test("a cursor is valid only with the filters it was issued for")
    func cursorBoundToFilters() async throws {
        let app = try TestApp()
        let client = try app.client()
        let patient = try await client.createPatient()
        for day in 1...3 {
            _ = try await client.createEpisode(patientId: patient, startedAt: "2026-11-0\(day)T08:00:00Z", intensity: 7)
        }
        let first = try await client.get("/v1/episodes?minIntensity=5&limit=1")
        let cursor = try #require(first.object["nextCursor"] as? String)
        #expect(try await client.get("/v1/episodes?minIntensity=5&limit=1&cursor=\(cursor)").status == 200)
        // The same filters in another order, and another page size, are the same list.
        #expect(try await client.get("/v1/episodes?limit=2&cursor=\(cursor)&minIntensity=5").status == 200)
        let other = try await client.get("/v1/episodes?minIntensity=6&limit=1&cursor=\(cursor)")
        #expect(other.status == 400)
        #expect(other.text.contains(#""/cursor""#), "\(other.text)")
        #expect(try await client.get("/v1/episodes?limit=1&cursor=\(cursor)").status == 400)
        await app.stop()
    }

    @Test("CORS: a listed origin's preflight and responses name it; other origins get no CORS headers")
    func cors() async throws {
        let app = try TestApp { $0.corsOrigins = ["https://dash.example.org"] }
        let client = try app.client()
        let preflight = try await client.request(
            "OPTIONS", "/v1/patients",
            headers: [
                ("Origin", "https://dash.example.org"), ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "authorization, content-type"),
            ])
        #expect(preflight.status == 204)
        #expect(preflight.header("Access-Control-Allow-Origin") == "https://dash.example.org")
        #expect(preflight.header("Access-Control-Allow-Methods")?.contains("PATCH") == true)
        #expect(preflight.header("Access-Control-Allow-Headers")?.contains("Idempotency-Key") == true)
        #expect(preflight.header("Access-Control-Allow-Credentials") == nil)

        let listed = try await client.get("/v1/patients", headers: [("Origin", "https://dash.example.org")])
        #expect(listed.status == 200)
        #expect(listed.header("Access-Control-Allow-Origin") == "https://dash.example.org")
        #expect(listed.header("Access-Control-Expose-Headers")?.contains("ETag") == true)

        let stranger = try await client.get("/v1/patients", headers: [("Origin", "https://evil.example")])
        #expect(stranger.status == 200)
        #expect(stranger.header("Access-Control-Allow-Origin") == nil)
        let strangerPreflight = try await client.request(
            "OPTIONS", "/v1/patients",
            headers: [("Origin", "https://evil.example"), ("Access-Control-Request-Method", "GET")])
        #expect(strangerPreflight.header("Access-Control-Allow-Origin") == nil)
        await app.stop()

        // Off by default.
        let plain = try TestApp()
        let response = try await plain.client().get("/v1/patients", headers: [("Origin", "https://dash.example.org")])
        #expect(response.header("Access-Control-Allow-Origin") == nil)
        await plain.stop()
    }

    @Test("http.corsOrigins accepts origins only")
    func corsConfiguration() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.file("config.json")
        try Data(#"{"http": {"corsOrigins": ["https://a.example", "http://localhost:3000"]}}"#.utf8).write(
            to: URL(fileURLWithPath: file))
        let loaded = try AppConfiguration.load(flags: ConfigurationOverrides(configFile: file), environment: [:])
        #expect(loaded.corsOrigins == ["https://a.example", "http://localhost:3000"])
        for bad in ["*", "https://a.example/", "a.example"] {
            try Data(#"{"http": {"corsOrigins": ["\#(bad)"]}}"#.utf8).write(to: URL(fileURLWithPath: file))
            #expect(throws: ConfigurationError.self) {
                try AppConfiguration.load(flags: ConfigurationOverrides(configFile: file), environment: [:])
            }
        }
    }
}
