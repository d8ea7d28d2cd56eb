import Foundation
import TestSupport
import Testing

@testable import ReliefLog

@Suite("Webhooks API and the event outbox")
struct WebhookAPITests {
    let json = [("Content-Type", "application/json")]

    @Test("webhooks are created with a secret shown once, validated, listed, changed and deleted")
    func lifecycle() async throws {
        let app = try TestApp()
        let client = try app.client()
        let bad = try await client.request(
            "POST", "/v1/webhooks", headers: json,
            body: #"{"url": "ftp://example.com/x", "events": ["episode.created", "episode.exploded"], "colour": 1}"#)
        #expect(bad.status == 422)
        let fields = ((bad.object["errors"] as? [[String: Any]]) ?? []).compactMap { $0["field"] as? String }
        #expect(Set(fields) == ["/url", "/events/1", "/colour"])
        let noEvents = try await client.request(
            "POST", "/v1/webhooks", headers: json, body: #"{"url": "https://clinic.example/hooks", "events": []}"#)
        #expect(noEvents.status == 422)

        let created = try await client.request(
            "POST", "/v1/webhooks", headers: json,
            body:
                #"{"url": "https://clinic.example/hooks", "events": ["episode.created", "session.*"], "description": "Practice system", "active": true}"#
        )
        #expect(created.status == 201)
        let id = try #require(created.object["id"] as? Int)
        let secret = try #require(created.object["secret"] as? String)
        #expect(secret.hasPrefix("whsec_") && secret.count == 50)
        #expect(created.header("Location") == "/v1/webhooks/\(id)")

        let read = try await client.request("GET", "/v1/webhooks/\(id)")
        #expect(read.status == 200)
        #expect(read.object["secret"] == nil)
        #expect(read.object["events"] as? [String] == ["episode.created", "session.*"])
        let list = try await client.request("GET", "/v1/webhooks")
        #expect((list.object["items"] as? [[String: Any]])?.count == 1)
        #expect(!list.text.contains(secret))

        let patched = try await client.request(
            "PATCH", "/v1/webhooks/\(id)", headers: [("Content-Type", "application/merge-patch+json")],
            body: #"{"active": false, "description": null}"#)
        #expect(patched.status == 200)
        #expect(patched.object["active"] as? Bool == false)
        #expect(patched.object["description"] is NSNull)
        let badPatch = try await client.request(
            "PATCH", "/v1/webhooks/\(id)", headers: [("Content-Type", "application/merge-patch+json")],
            body: #"{"url": null, "secret": "x"}"#)
        #expect(badPatch.status == 422)

        // The secret is not in the database file in clear text.
        let database = try Data(contentsOf: URL(fileURLWithPath: app.application.configuration.databasePath))
        let wal =
            (try? Data(contentsOf: URL(fileURLWithPath: app.application.configuration.databasePath + "-wal")))
            ?? Data()
        let secretBody = Data(secret.dropFirst(6).utf8)
        #expect(database.range(of: secretBody) == nil)
        #expect(wal.range(of: secretBody) == nil)

        #expect(try await client.request("DELETE", "/v1/webhooks/\(id)").status == 204)
        #expect(try await client.request("GET", "/v1/webhooks/\(id)").status == 404)
        await app.stop()
    }

    @Test("only admins manage webhooks and read the feed")
    func adminOnly() async throws {
        let app = try TestApp()
        let admin = try app.client()
        let patient = try await admin.request(
            "POST", "/v1/patients", headers: json, body: #"{"displayName": "P"}"#)
        let patientId = try #require(patient.object["id"] as? Int)
        let patientClient = try app.client(token: try app.token(.patient, patient: patientId))
        #expect(try await patientClient.request("GET", "/v1/webhooks").status == 403)
        #expect(try await patientClient.request("GET", "/v1/events").status == 403)
        #expect(try await app.client(token: nil).request("GET", "/v1/events").status == 401)
        await app.stop()
    }

    @Test("a write that fails leaves no event; every committed change has exactly one, in commit order")
    func outbox() async throws {
        let app = try TestApp()
        let client = try app.client()
        let missingPatient = try await client.request(
            "POST", "/v1/episodes", headers: json,
            body: #"{"patientId": 999, "startedAt": "2026-11-01T08:00:00Z", "intensity": 6}"#)
        #expect(missingPatient.status == 422)
        #expect(try await WebhookDeliveryTests.feed(client).isEmpty)

        // Concurrent writes share group commits; each still gets its own event.
        let patient = try await client.request("POST", "/v1/patients", headers: json, body: #"{"displayName": "G"}"#)
        let patientId = try #require(patient.object["id"] as? Int)
        let port = app.port
        let token = app.adminToken
        let created = try await withThrowingTaskGroup(of: [Int].self) { group in
            // 8 clients writing 5 episodes each, all at once.
            for client in 0..<8 {
                group.addTask {
                    let writer = try TestHTTPClient(port: port)
                    writer.defaultHeaders = [("Authorization", "Bearer \(token)")]
                    var ids: [Int] = []
                    for index in 0..<5 {
                        let minute = String(format: "%02d", client * 5 + index)
                        let response = try await writer.request(
                            "POST", "/v1/episodes", headers: [("Content-Type", "application/json")],
                            body:
                                #"{"patientId": \#(patientId), "startedAt": "2026-11-01T08:\#(minute):00Z", "intensity": 5}"#
                        )
                        ids.append(response.status == 201 ? (response.object["id"] as? Int ?? 0) : 0)
                    }
                    return ids
                }
            }
            var ids: [Int] = []
            for try await written in group { ids += written }
            return ids
        }
        #expect(!created.contains(0))
        let page = try await client.request("GET", "/v1/events?type=episode.created&limit=500")
        let items = try #require(page.object["items"] as? [[String: Any]])
        let eventIds = items.compactMap { (($0["data"] as? [String: Any])?["object"] as? [String: Any])?["id"] as? Int }
        #expect(eventIds.count == 40)
        #expect(Set(eventIds) == Set(created))
        #expect(eventIds == eventIds.sorted())  // ids are assigned in commit order too
        let first = try #require(items.first)
        #expect((first["id"] as? String)?.hasPrefix("evt_") == true)
        let object = try #require((first["data"] as? [String: Any])?["object"] as? [String: Any])
        #expect(object["intensity"] as? Int == 5)
        #expect(object["createdAt"] as? String != nil)
        // The event holds the record as GET shows it.
        let firstId = try #require(object["id"] as? Int)
        let read = try await client.request("GET", "/v1/episodes/\(firstId)")
        let canonical = { (value: [String: Any]) in
            try JSONSerialization.data(withJSONObject: value, options: .sortedKeys)
        }
        #expect(try canonical(read.object) == canonical(object))
        await app.stop()
    }

    @Test("erasing a patient reports each episode and session deleted, and earlier events lose the records")
    func erasure() async throws {
        let app = try TestApp()
        let client = try app.client()
        let patient = try await client.request(
            "POST", "/v1/patients", headers: json, body: #"{"displayName": "Erase Me", "notes": "private"}"#)
        let patientId = try #require(patient.object["id"] as? Int)
        let episode = try await client.request(
            "POST", "/v1/episodes", headers: json,
            body: #"{"patientId": \#(patientId), "startedAt": "2026-11-01T08:00:00Z", "intensity": 6}"#)
        let episodeId = try #require(episode.object["id"] as? Int)
        let before = try await client.request("GET", "/v1/events")
        #expect(before.text.contains("Erase Me"))
        #expect(try await client.request("DELETE", "/v1/patients/\(patientId)").status == 204)
        let after = try await client.request("GET", "/v1/events")
        #expect(!after.text.contains("Erase Me"))
        #expect(!after.text.contains("private"))
        let items = try #require(after.object["items"] as? [[String: Any]])
        #expect(
            items.map { $0["type"] as? String } == [
                "patient.created", "episode.created", "episode.deleted", "patient.deleted",
            ])
        let deletedEpisode = try #require((items[2]["data"] as? [String: Any])?["object"] as? [String: Any])
        #expect(deletedEpisode["id"] as? Int == episodeId)
        #expect(deletedEpisode["patientId"] as? Int == patientId)
        #expect(deletedEpisode.count == 2)
        await app.stop()
    }

    @Test("the feed pages by cursor, filters by type, and refuses foreign cursors")
    func feedPaging() async throws {
        let app = try TestApp()
        let client = try app.client()
        try await WebhookDeliveryTests.writeSome(client, episodes: 3)
        let all = try await WebhookDeliveryTests.feed(client)
        #expect(all.count == 6)
        let episodes = try await WebhookDeliveryTests.feed(client, type: "episode.*")
        #expect(episodes.map(\.id) == all.filter { $0.type.hasPrefix("episode.") }.map(\.id))
        let end = try await client.request("GET", "/v1/events?limit=500")
        let cursor = try #require(end.object["nextCursor"] as? String)
        let empty = try await client.request("GET", "/v1/events?after=\(cursor)")
        #expect((empty.object["items"] as? [Any])?.isEmpty == true)
        #expect(empty.object["nextCursor"] as? String == cursor)
        #expect(try await client.request("GET", "/v1/events?after=bogus").status == 400)
        #expect(try await client.request("GET", "/v1/events?type=episode.exploded").status == 400)
        await app.stop()
    }
}
