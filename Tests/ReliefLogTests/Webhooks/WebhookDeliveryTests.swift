import Foundation
import JSON
import TestSupport
import Testing

@testable import ReliefLog

/// Webhooks end to end: the real server, a real receiver on loopback, the real client.
// One at a time: each runs servers and receivers of its own, and the whole suite shares two cores.
@Suite("Webhook delivery: signed, in order, never lost", .serialized)
struct WebhookDeliveryTests {
    /// An application whose retries come after milliseconds instead of minutes.
    static func app(timeout: Double = 0.4, schedule: [Double] = Array(repeating: 0.05, count: 7)) throws -> TestApp {
        try TestApp { configuration in
            configuration.webhooks.retrySchedule = schedule
            configuration.webhooks.timeoutSeconds = timeout
        }
    }

    /// Registers a webhook; returns its id and secret.
    static func createWebhook(
        _ client: TestHTTPClient, url: String, events: [String] = ["*"]
    ) async throws -> (id: Int, secret: String) {
        let eventsJSON = events.map { "\"\($0)\"" }.joined(separator: ",")
        let response = try await client.request(
            "POST", "/v1/webhooks", headers: [("Content-Type", "application/json")],
            body: #"{"url": "\#(url)", "events": [\#(eventsJSON)], "description": "test"}"#)
        #expect(response.status == 201, "\(response.text)")
        let id = try #require(response.object["id"] as? Int)
        let secret = try #require(response.object["secret"] as? String)
        return (id, secret)
    }

    /// Creates a patient, episodes, a change and a deletion; returns the patient's id.
    @discardableResult
    static func writeSome(_ client: TestHTTPClient, episodes: Int = 4) async throws -> Int {
        let json = [("Content-Type", "application/json")]
        let patient = try await client.request(
            "POST", "/v1/patients", headers: json, body: #"{"displayName": "Ada", "timezone": "Europe/Berlin"}"#)
        let patientId = try #require(patient.object["id"] as? Int)
        var episodeIds: [Int] = []
        for day in 0..<episodes {
            let response = try await client.request(
                "POST", "/v1/episodes", headers: json,
                body: #"{"patientId": \#(patientId), "startedAt": "2026-11-0\#(day + 1)T08:00:00Z", "intensity": 6}"#)
            #expect(response.status == 201, "\(response.text)")
            episodeIds.append(try #require(response.object["id"] as? Int))
        }
        let patched = try await client.request(
            "PATCH", "/v1/episodes/\(episodeIds[0])", headers: [("Content-Type", "application/merge-patch+json")],
            body: #"{"intensity": 7}"#)
        #expect(patched.status == 200)
        let deleted = try await client.request("DELETE", "/v1/episodes/\(episodeIds[1])")
        #expect(deleted.status == 204)
        return patientId
    }

    /// The feed's events (ids and types), in commit order.
    static func feed(_ client: TestHTTPClient, type: String? = nil) async throws -> [(id: String, type: String)] {
        var events: [(String, String)] = []
        var after: String?
        while true {
            var path = "/v1/events?limit=3"
            if let after { path += "&after=\(after)" }
            if let type { path += "&type=\(type)" }
            let page = try await client.request("GET", path)
            #expect(page.status == 200, "\(page.text)")
            let items = try #require(page.object["items"] as? [[String: Any]])
            events += items.map { ($0["id"] as? String ?? "", $0["type"] as? String ?? "") }
            after = page.object["nextCursor"] as? String
            if page.object["hasMore"] as? Bool != true { return events }
        }
    }

    static func verify(_ received: WebhookReceiver.Received, secret: String) -> Bool {
        guard let key = WebhookSignature.keyBytes(ofSecret: secret), let timestamp = Int64(received.timestamp) else {
            return false
        }
        return WebhookSignature.verify(
            header: received.signature, id: received.id, timestamp: timestamp, body: received.body, key: key)
    }

    @Test("through 500s, a timeout and a Retry-After, every event arrives once, in commit order, signed")
    func retriesKeepOrder() async throws {
        let app = try Self.app()
        let receiver = try WebhookReceiver(script: [
            .status(500), .stall(milliseconds: 1200), .status(503, headers: ["Retry-After": "0"]), .status(200),
            .status(502),
        ])
        let client = try app.client()
        let webhook = try await Self.createWebhook(client, url: receiver.url)
        try await Self.writeSome(client)
        let expected = try await Self.feed(client)
        #expect(
            expected.map(\.type) == [
                "patient.created", "episode.created", "episode.created", "episode.created", "episode.created",
                "episode.updated", "episode.deleted",
            ])
        let arrived = await eventually { receiver.acknowledged.count >= expected.count }
        #expect(arrived)
        try await Task.sleep(for: .milliseconds(200))  // nothing more may come
        #expect(receiver.acknowledged == expected.map(\.id))
        for received in receiver.received { #expect(Self.verify(received, secret: webhook.secret)) }
        // The failed attempts were all of the first event, before anything later was sent.
        #expect(receiver.received.prefix(4).allSatisfy { $0.id == expected[0].id })

        let deliveries = try await client.request("GET", "/v1/webhooks/\(webhook.id)/deliveries?limit=500")
        let items = try #require(deliveries.object["items"] as? [[String: Any]])
        #expect(items.count == expected.count)
        #expect(items.allSatisfy { $0["state"] as? String == "delivered" })
        let first = try #require(items.first { ($0["event"] as? [String: Any])?["id"] as? String == expected[0].id })
        #expect(first["attempts"] as? Int == 4)
        #expect(first["lastStatus"] as? Int == 200)

        let metrics = try await client.request("GET", "/metrics")
        #expect(metrics.text.contains("relieflog_webhook_deliveries_total{state=\"delivered\"} \(expected.count)"))
        #expect(metrics.text.contains("relieflog_webhook_deliveries_total{state=\"retrying\"} 4"))
        #expect(metrics.text.contains("relieflog_webhook_queue_depth 0"))
        #expect(metrics.text.contains("relieflog_webhook_delivery_latency_seconds_count \(expected.count)"))
        await receiver.stop()
        await app.stop()
    }

    @Test("410 disables a webhook, a stalling one retries, and neither delays a healthy one")
    func isolation() async throws {
        let app = try Self.app(timeout: 0.3, schedule: [0.2, 0.2, 0.2])
        let gone = try WebhookReceiver(script: [.status(410)])
        let stalling = try WebhookReceiver(script: Array(repeating: .stall(milliseconds: 1000), count: 10))
        let healthy = try WebhookReceiver()
        let client = try app.client()
        let goneHook = try await Self.createWebhook(client, url: gone.url)
        let stallingHook = try await Self.createWebhook(client, url: stalling.url, events: ["episode.*"])
        _ = try await Self.createWebhook(client, url: healthy.url, events: ["patient.created", "episode.deleted"])
        try await Self.writeSome(client)
        let expected = try await Self.feed(client).filter { ["patient.created", "episode.deleted"].contains($0.type) }
        #expect(await eventually { healthy.acknowledged.count >= expected.count })
        #expect(healthy.acknowledged == expected.map(\.id))

        #expect(await eventually { gone.received.count == 1 })
        let disabled = try await client.request("GET", "/v1/webhooks/\(goneHook.id)")
        #expect(disabled.object["active"] as? Bool == false)
        #expect(disabled.object["disabledReason"] as? String != nil)
        let goneDeliveries = try await client.request("GET", "/v1/webhooks/\(goneHook.id)/deliveries?state=failed")
        let failed = try #require(goneDeliveries.object["items"] as? [[String: Any]])
        #expect(failed.count == 1 && failed.first?["lastStatus"] as? Int == 410)

        // The stalling receiver's first event is tried 1 + 3 times, then failed; the next ones follow.
        #expect(await eventually { stalling.received.count >= 5 })
        let stallingDeliveries = try await client.request(
            "GET", "/v1/webhooks/\(stallingHook.id)/deliveries?state=failed")
        let stalled = try #require(stallingDeliveries.object["items"] as? [[String: Any]])
        #expect(stalled.count >= 1)
        #expect(stalled.last?["attempts"] as? Int == 4)
        #expect(stalled.last?["lastError"] as? String == "timed out")
        await gone.stop()
        await stalling.stop()
        await healthy.stop()
        await app.stop()
    }

    @Test("refused connections keep deliveries pending; once the URL works they arrive in order; manual retry resends")
    func refusedThenRecovered() async throws {
        let app = try Self.app(schedule: Array(repeating: 0.1, count: 50))
        let client = try app.client()
        let refusedURL = "http://127.0.0.1:\(try await closedPort())/hook"
        let webhook = try await Self.createWebhook(client, url: refusedURL)
        try await Self.writeSome(client, episodes: 2)
        let expected = try await Self.feed(client)
        #expect(
            try await eventually {
                let page = try await client.request("GET", "/v1/webhooks/\(webhook.id)/deliveries?state=pending")
                let items = page.object["items"] as? [[String: Any]] ?? []
                return items.contains { $0["lastError"] as? String == "connection refused" }
            })
        let receiver = try WebhookReceiver()
        let patched = try await client.request(
            "PATCH", "/v1/webhooks/\(webhook.id)", headers: [("Content-Type", "application/merge-patch+json")],
            body: #"{"url": "\#(receiver.url)"}"#)
        #expect(patched.status == 200)
        #expect(await eventually { receiver.acknowledged.count >= expected.count })
        #expect(receiver.acknowledged == expected.map(\.id))

        // A manual retry sends a delivered event again, with the same webhook-id.
        let page = try await client.request("GET", "/v1/webhooks/\(webhook.id)/deliveries?limit=1")
        let newest = try #require((page.object["items"] as? [[String: Any]])?.first)
        let deliveryId = try #require(newest["id"] as? Int)
        let retried = try await client.request(
            "POST", "/v1/webhooks/\(webhook.id)/deliveries/\(deliveryId)/retry")
        #expect(retried.status == 202)
        #expect(await eventually { receiver.acknowledged.count == expected.count + 1 })
        #expect(receiver.acknowledged.last == expected.last?.id)
        let missing = try await client.request("POST", "/v1/webhooks/\(webhook.id)/deliveries/999999/retry")
        #expect(missing.status == 404)
        await receiver.stop()
        await app.stop()
    }

    @Test("a rotated secret signs alongside the new one; a ping reaches only its webhook")
    func rotationAndPing() async throws {
        let app = try Self.app()
        let receiver = try WebhookReceiver()
        let client = try app.client()
        let webhook = try await Self.createWebhook(client, url: receiver.url)
        let rotated = try await client.request("POST", "/v1/webhooks/\(webhook.id)/rotate-secret")
        #expect(rotated.status == 200)
        let newSecret = try #require(rotated.object["secret"] as? String)
        #expect(newSecret != webhook.secret)
        #expect(rotated.object["previousSecretExpiresAt"] as? String != nil)
        let ping = try await client.request("POST", "/v1/webhooks/\(webhook.id)/test")
        #expect(ping.status == 202)
        #expect((ping.object["event"] as? [String: Any])?["type"] as? String == "ping")
        #expect(await eventually { receiver.acknowledged.count == 1 })
        let received = try #require(receiver.received.first)
        #expect(received.type == "ping")
        #expect(received.signature.split(separator: " ").count == 2)
        #expect(Self.verify(received, secret: newSecret))
        #expect(Self.verify(received, secret: webhook.secret))
        // Pings are not part of the feed.
        #expect(try await Self.feed(client).isEmpty)
        await receiver.stop()
        await app.stop()
    }
}
