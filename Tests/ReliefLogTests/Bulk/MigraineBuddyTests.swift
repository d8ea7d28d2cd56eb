import Foundation
import ReliefLog
import TestSupport
import Testing

private func fixture(_ name: String) throws -> String {
    try String(
        contentsOf: repositoryRoot.appendingPathComponent("Tests/Fixtures/migraine-buddy/\(name)"), encoding: .utf8)
}

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
    func importMigraineBuddy(patient: Int, _ file: String, query: String = "") async throws -> TestResponse {
        try await request(
            "POST", "/v1/patients/\(patient)/import/migraine-buddy\(query)", headers: [("Content-Type", "text/csv")],
            body: file)
    }

    func episodes(of patient: Int) async throws -> [[String: Any]] {
        let response = try await get("/v1/episodes/export?patientId=\(patient)")
        return response.text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }
}

@Suite("Migraine Buddy import")
struct MigraineBuddyTests {
    @Test("the newer layout: preamble skipped, offsets, durations, lists, medications; a second import adds nothing")
    func newerLayout() async throws {
        try await withApp { _, client in
            let patient = try await client.createPatient()
            let file = try fixture("attacks-with-offsets.csv")
            let response = try await client.importMigraineBuddy(patient: patient, file)
            try #require(response.status == 200, "\(response.text)")
            #expect((response.object["inserted"] as? Int) == 4)
            let unmapped = try #require(response.object["unmapped"] as? [String: [String]])
            #expect(unmapped["triggers"] == ["Full moon"])
            #expect(unmapped["symptoms"] == [])

            let episodes = try await client.episodes(of: patient)
            try #require(episodes.count == 4)
            let first = episodes[0]
            #expect(first["startedAt"] as? String == "2026-03-01T07:30:00Z")
            #expect(first["endedAt"] as? String == "2026-03-01T08:30:00Z")
            #expect(first["intensity"] as? Int == 7)
            #expect(first["triggers"] as? [String] == ["stress", "poor_sleep"])
            #expect(first["symptoms"] as? [String] == ["nausea", "photophobia", "visual_disturbance"])
            #expect(first["aura"] as? Bool == true)
            #expect(first["locations"] as? [String] == ["left", "frontal"])
            #expect(first["reliefMeasures"] as? [String] == ["dark_room", "sleep"])
            #expect(first["notes"] as? String == "Bad one, woke up with it")
            #expect(first["externalId"] as? String == "mb:1:2026-03-01T07:30:00Z")
            let medications = try #require(first["medications"] as? [[String: Any]])
            #expect(medications.count == 2)
            #expect(medications[0]["name"] as? String == "Sumatriptan")
            #expect(medications[0]["doseMg"] as? Int == 50)
            #expect(medications[0]["class"] as? String == "triptan")
            #expect(medications[0]["effective"] as? Bool == true)
            #expect(medications[1]["name"] as? String == "Ibuprofen")
            #expect(medications[1]["doseMg"] as? Int == 400)
            #expect(medications[1]["class"] as? String == "nsaid")

            let second = episodes[1]
            #expect(second["startedAt"] as? String == "2026-03-06T03:15:00Z")
            #expect(second["endedAt"] as? String == "2026-03-07T05:30:00Z")
            #expect(second["triggers"] as? [String] == ["alcohol", "full_moon"])
            #expect((second["medications"] as? [Any])?.isEmpty == true)
            #expect(second["reliefMeasures"] as? [String] == ["self_massage"])
            let third = episodes[2]
            #expect(third["endedAt"] is NSNull)
            #expect(third["notes"] as? String == "Notes with \"quotes\"\r\nand a second line")
            #expect(episodes[3]["triggers"] as? [String] == ["weather"])
            #expect(episodes[3]["endedAt"] as? String == "2026-03-21T12:45:00Z")

            let again = try await client.importMigraineBuddy(patient: patient, file)
            #expect(again.status == 200)
            #expect((again.object["inserted"] as? Int) == 0)
            #expect((again.object["skipped"] as? Int) == 4)
            #expect(try await client.episodes(of: patient).count == 4)
        }
    }

    @Test("the older layout without offsets is read in the patient's time zone")
    func olderLayout() async throws {
        try await withApp { _, client in
            let patient = try await client.create(
                "patients", #"{"displayName": "Ann", "timezone": "Europe/Berlin"}"#)
            let response = try await client.importMigraineBuddy(
                patient: patient, try fixture("attacks-without-offsets.csv"))
            try #require(response.status == 200, "\(response.text)")
            #expect((response.object["inserted"] as? Int) == 2)
            let unmapped = try #require(response.object["unmapped"] as? [String: [String]])
            #expect(unmapped["triggers"] == ["Chocolate"])
            let episodes = try await client.episodes(of: patient)
            #expect(episodes.map { $0["startedAt"] as? String } == ["2019-07-14T07:00:00Z", "2019-12-01T17:45:00Z"])
            #expect(episodes[0]["endedAt"] as? String == "2019-07-14T10:30:00Z")
            #expect(episodes[0]["symptoms"] as? [String] == ["phonophobia"])
            #expect(episodes[1]["locations"] as? [String] == ["temporal"])
            #expect(episodes[1]["notes"] as? String == "Summer → winter")
            let medications = try #require(episodes[0]["medications"] as? [[String: Any]])
            #expect(medications.first?["name"] as? String == "Rizatriptan")
            #expect(medications.first?["doseMg"] as? Int == 10)
        }
    }

    @Test("a bad file writes nothing and names each bad row; other patients are 404 to a patient token")
    func refusals() async throws {
        try await withApp { app, client in
            let patient = try await client.createPatient()
            let other = try await client.createPatient()
            let response = try await client.importMigraineBuddy(patient: patient, try fixture("attacks-invalid.csv"))
            #expect(response.status == 422)
            let errors = (response.object["errors"] as? [[String: Any]]) ?? []
            #expect(
                errors.map { "\($0["line"] as? Int ?? 0) \($0["field"] as? String ?? "")" } == [
                    "2 /Lasted", "3 /Started", "4 /intensity", "5 /endedAt",
                ])
            #expect(try await client.episodes(of: patient).isEmpty)

            let token = try app.token(.patient, patient: patient)
            let patientClient = try app.client(token: token)
            let file = try fixture("attacks-without-offsets.csv")
            #expect(try await patientClient.importMigraineBuddy(patient: other, file).status == 404)
            #expect(
                try await patientClient.importMigraineBuddy(patient: patient, file, query: "?dryRun=true").status == 200
            )
            #expect(try await client.episodes(of: patient).isEmpty)
            #expect(try await patientClient.importMigraineBuddy(patient: patient, file).status == 200)
            #expect(try await client.importMigraineBuddy(patient: 999, file).status == 404)

            let mapping = try await patientClient.get("/v1/import/migraine-buddy/mapping")
            #expect(mapping.status == 200)
            let fields = try #require(mapping.object["fields"] as? [String: Any])
            let triggers = try #require((fields["triggers"] as? [String: Any])?["names"] as? [String: String])
            #expect(triggers["lack of sleep"] == "poor_sleep")
        }
    }
}
