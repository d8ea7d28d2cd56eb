import Foundation
import JSON
import TestSupport
import Testing

@testable import ReliefLog

/// The dashboard's static files, `GET /` and `GET /v1/me`, through the real server.
@Suite("Dashboard: static files and headers")
struct DashboardTests {
    static let assetsDirectory = repositoryRoot.appendingPathComponent("Sources/ReliefLog/Dashboard/Assets")

    static func withApp(_ body: (TestApp) async throws -> Void) async throws {
        let app = try TestApp()
        do {
            try await body(app)
        } catch {
            await app.stop()
            throw error
        }
        await app.stop()
    }

    @Test("GET / and GET /app redirect to /app/, without a token")
    func redirects() async throws {
        try await Self.withApp { app in
            let client = try app.client(token: nil)
            for path in ["/", "/app"] {
                let response = try await client.request("GET", path)
                #expect(response.status == 302, "\(path)")
                #expect(response.header("Location") == "/app/", "\(path)")
            }
        }
    }

    @Test("every file: 200 without a token, its type, a strong ETag, no-cache and the strict headers; 304 on a match")
    func files() async throws {
        try await Self.withApp { app in
            let client = try app.client(token: nil)
            let expected = [
                "/app/": "text/html; charset=utf-8", "/app/app.js": "text/javascript; charset=utf-8",
                "/app/app.css": "text/css; charset=utf-8", "/app/icon.svg": "image/svg+xml",
            ]
            var total = 0
            for (path, type) in expected.sorted(by: { $0.key < $1.key }) {
                let response = try await client.request("GET", path)
                #expect(response.status == 200, "\(path)")
                #expect(response.header("Content-Type") == type, "\(path)")
                let etag = try #require(response.header("ETag"), "\(path)")
                #expect(etag.hasPrefix("\"") && etag.hasSuffix("\"") && !etag.hasPrefix("W/"), "\(path)")
                #expect(response.header("Cache-Control") == "no-cache", "\(path)")
                let policy = try #require(response.header("Content-Security-Policy"), "\(path)")
                #expect(policy.hasPrefix("default-src 'self';"), "\(path)")
                #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"), "\(path)")
                #expect(policy.contains("frame-ancestors 'none'"), "\(path)")
                #expect(response.headerValues("X-Content-Type-Options") == ["nosniff"], "\(path)")
                #expect(response.header("Referrer-Policy") == "no-referrer", "\(path)")
                #expect(response.header("X-Frame-Options") == "DENY", "\(path)")
                total += response.body.count

                let again = try await client.request("GET", path, headers: [("If-None-Match", etag)])
                #expect(again.status == 304, "\(path)")
                #expect(again.body.isEmpty, "\(path)")
                #expect(again.header("ETag") == etag, "\(path)")
                #expect(again.header("Cache-Control") == "no-cache", "\(path)")
                #expect(again.header("Content-Security-Policy") == policy, "\(path)")
                #expect(try await client.request("GET", path, headers: [("If-None-Match", "\"other\"")]).status == 200)
            }
            // Uncompressed, the whole first load stays far below the 100 KB budget.
            #expect(total < 100_000)
            #expect(try await client.request("GET", "/app/nothing.js").status == 404)
        }
    }

    @Test("the embedded files are byte for byte the files in Dashboard/Assets (run scripts/embed-dashboard.py)")
    func embeddedMatchesSources() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.assetsDirectory.path).sorted()
        #expect(DashboardAssets.all.map(\.name).sorted() == names)
        for asset in DashboardAssets.all {
            let bytes = try Data(contentsOf: Self.assetsDirectory.appendingPathComponent(asset.name))
            #expect(Array(bytes) == asset.bytes, "\(asset.name) differs from its embedded copy")
        }
    }

    @Test("the page has no inline script, style or event handler for the policy to block, and links only its own files")
    func noInlineCode() throws {
        let page = String(decoding: DashboardAssets.indexHtml.bytes, as: UTF8.self)
        #expect(page.components(separatedBy: "<script").count == 2)
        #expect(page.contains(#"<script src="app.js" defer></script>"#))
        #expect(!page.contains("<style"))
        #expect(!page.contains(" style="))
        #expect(page.range(of: #"\son[a-z]+="#, options: .regularExpression) == nil)
        #expect(!page.contains("http://") && !page.contains("https://") && !page.contains("//cdn"))
        let script = String(decoding: DashboardAssets.appJs.bytes, as: UTF8.self)
        for forbidden in ["innerHTML", "eval(", "new Function", "localStorage", "document.cookie", "https://"] {
            #expect(!script.contains(forbidden), "app.js uses \(forbidden)")
        }
    }

    @Test("GET /v1/me names the token's role and binding; without a token it is 401")
    func me() async throws {
        try await Self.withApp { app in
            let admin = try app.client()
            let patient = try await admin.request(
                "POST", "/v1/patients", headers: [("Content-Type", "application/json")],
                body: #"{"displayName": "Ada"}"#)
            let patientId = try #require(patient.object["id"] as? Int)
            let me = try await app.client(token: try app.token(.patient, patient: patientId)).request("GET", "/v1/me")
            #expect(me.status == 200)
            #expect(me.object["role"] as? String == "patient")
            #expect(me.object["patientId"] as? Int == patientId)
            #expect(me.object["therapistId"] is NSNull)
            #expect(me.header("Cache-Control") == "no-store")
            let adminMe = try await admin.request("GET", "/v1/me")
            #expect(adminMe.object["role"] as? String == "admin")
            #expect(adminMe.object["patientId"] is NSNull)
            #expect(try await app.client(token: nil).request("GET", "/v1/me").status == 401)
        }
    }

    @Test("the OpenAPI document describes the dashboard, the report and /v1/me")
    func openAPI() async throws {
        try await Self.withApp { app in
            let document = try JSON.parse(try await app.client(token: nil).request("GET", "/openapi.json").body)
            let paths = try #require(document.objectValue?["paths"]?.objectValue)
            for path in ["/", "/app", "/app/", "/app/app.js", "/app/app.css", "/app/icon.svg", "/v1/me"] {
                #expect(paths[path]?.objectValue?["get"] != nil, "\(path)")
            }
            let report = try #require(paths["/v1/patients/{id}/report"]?.objectValue?["get"]?.objectValue)
            #expect(report["security"] != nil || document.objectValue?["security"] != nil)
            #expect(
                report["responses"]?.objectValue?["200"]?.objectValue?["content"]?.objectValue?[
                    "text/html; charset=utf-8"] != nil)
        }
    }
}
