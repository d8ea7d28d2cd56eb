import Foundation
import ReliefLog
import TestSupport
import Testing

@Suite("Operational endpoints through a running application")
struct ApplicationTests {
    @Test("healthz and readyz answer 200 with a JSON status")
    func health() async throws {
        let app = try TestApp()
        let client = try app.client()
        let health = try await client.request("GET", "/healthz")
        #expect(health.status == 200)
        #expect(health.header("Content-Type") == "application/json; charset=utf-8")
        #expect(health.object["status"] as? String == "ok")
        let ready = try await client.request("GET", "/readyz")
        #expect(ready.status == 200)
        #expect(ready.object["status"] as? String == "ok")
        await app.stop()
    }

    @Test("the OpenAPI document is 3.1 and describes every registered route")
    func openAPI() async throws {
        let app = try TestApp()
        let response = try await app.client().request("GET", "/openapi.json")
        #expect(response.status == 200)
        let document = response.object
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        for route in app.application.routes {
            let operation = paths[route.template]?[route.method.lowercased()] as? [String: Any]
            #expect(operation != nil, "\(route.method) \(route.template) is missing from /openapi.json")
            #expect(operation?["responses"] != nil)
        }
        let documented = paths.flatMap { path, item in item.keys.map { "\($0.uppercased()) \(path)" } }
        #expect(documented.count == app.application.routes.count, "the document lists only what the server serves")
        await app.stop()
    }

    @Test("handlers that compute for long run on the shared pool; every other one on its event loop")
    func handlerPlacement() async throws {
        let app = try TestApp()
        let pooled = Set(
            app.application.routes.filter { $0.placement == .concurrentPool }.map { "\($0.method) \($0.template)" })
        #expect(
            pooled == [
                "POST /v1/patients/import", "POST /v1/therapists/import", "POST /v1/episodes/import",
                "POST /v1/sessions/import", "POST /v1/patients/{id}/import/migraine-buddy",
                "GET /v1/patients/{id}/report", "GET /fhir/r4/Patient/{id}/$everything",
            ])
        // A point read is answered on the loop's own connection and still sees the latest write.
        let client = try app.client()
        let created = try await client.request(
            "POST", "/v1/patients", body: #"{"displayName":"Ada","timezone":"Europe/Berlin"}"#)
        #expect(created.status == 201)
        let id = try #require(created.object["id"] as? Int)
        for name in ["Bea", "Cleo", "Dora"] {
            let changed = try await client.request(
                "PATCH", "/v1/patients/\(id)", headers: [("Content-Type", "application/merge-patch+json")],
                body: #"{"displayName":"\#(name)"}"#)
            #expect(changed.status == 200)
            let read = try await client.request("GET", "/v1/patients/\(id)")
            #expect(read.object["displayName"] as? String == name)
        }
        await app.stop()
    }

    @Test("metrics count requests by route template and status and report the database size")
    func metrics() async throws {
        let app = try TestApp()
        let client = try app.client()
        _ = try await client.request("GET", "/healthz")
        _ = try await client.request("GET", "/healthz")
        _ = try await client.request("GET", "/no/such/path/123")
        let metrics = try await client.request("GET", "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = metrics.text
        #expect(text.contains(#"relieflog_http_requests_total{method="GET",route="/healthz",status="200"} 2"#))
        #expect(text.contains(#"relieflog_http_requests_total{method="GET",route="unmatched",status="404"} 1"#))
        #expect(!text.contains("/no/such/path"), "concrete paths never become labels")
        #expect(text.contains("relieflog_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 2"))
        #expect(text.contains("relieflog_http_open_connections 1"))
        let sizeLine = try #require(
            text.split(separator: "\n").first { $0.hasPrefix("relieflog_database_size_bytes ") })
        #expect((Int(sizeLine.split(separator: " ")[1]) ?? 0) > 0)
        await app.stop()
    }

    @Test("unknown paths and wrong methods get problem details")
    func problems() async throws {
        let app = try TestApp()
        let client = try app.client()
        let missing = try await client.request("GET", "/v1/nothing")
        #expect(missing.status == 404)
        #expect(missing.header("Content-Type") == "application/problem+json")
        #expect(missing.object["title"] as? String == "Not Found")
        let wrong = try await client.request("POST", "/healthz", body: "{}")
        #expect(wrong.status == 405)
        #expect(wrong.header("Allow") == "GET, HEAD")
        await app.stop()
    }

    @Test("a second start on the same database applies nothing and keeps the data")
    func restart() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("db/relieflog.sqlite")
        for _ in 0..<2 {
            let app = try TestApp { $0.databasePath = path }
            #expect(try await app.client().request("GET", "/readyz").status == 200)
            await app.application.shutdown()
        }
        #expect(FileManager.default.fileExists(atPath: path))
    }
}
