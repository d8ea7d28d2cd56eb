import Foundation
import ReliefLog
import SQLite
import Synchronization
import TestSupport
import Testing

func isTokenShaped(_ text: String) -> Bool {
    text.wholeMatch(of: #/rlg_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/#) != nil
}

@Suite("Tokens, expiry, revocation, erasure, audit and rate limits")
struct AccessTests {
    @Test("a token is shown once, listed without its secret, works, and stops working when revoked")
    func issueListRevoke() async throws {
        let app = try TestApp()
        let admin = try app.client()
        let issued = try await admin.post("/v1/tokens", #"{"role": "admin", "label": "script"}"#)
        #expect(issued.status == 201)
        let token = try #require(issued.object["token"] as? String)
        #expect(isTokenShaped(token))
        let id = try #require(issued.object["id"] as? Int)
        #expect(issued.header("Location") == "/v1/tokens/\(id)")
        #expect((issued.object["prefix"] as? String).map { token.hasPrefix($0) } == true)

        let list = try await admin.get("/v1/tokens")
        #expect(list.status == 200)
        #expect(!list.text.contains(token))
        #expect(!list.text.contains("\"token\""))
        #expect(list.header("Cache-Control") == "no-store")

        let holder = try app.client(token: token)
        #expect(try await holder.get("/v1/tokens/\(id)").status == 200)
        #expect(try await admin.delete("/v1/tokens/\(id)").status == 204)
        let refused = try await holder.get("/v1/patients")
        #expect(refused.status == 401)
        #expect(refused.header("WWW-Authenticate") == #"Bearer realm="relieflog", error="invalid_token""#)
        #expect(try await admin.delete("/v1/tokens/\(id)").status == 404)
        await app.stop()
    }

    @Test("the Authorization header: Bearer in any case, one header, one token of our shape")
    func authorizationHeader() async throws {
        let app = try TestApp()
        let anonymous = try app.client(token: nil)
        let token = app.adminToken
        // The same shape, one secret character changed.
        let altered = String(token.dropLast()) + (token.hasSuffix("A") ? "B" : "A")
        let cases: [([(String, String)], Int, String?)] = [
            ([("Authorization", "Bearer \(token)")], 200, nil),
            ([("Authorization", "bEaReR \(token)")], 200, nil),
            ([("Authorization", "Bearer    \(token)")], 200, nil),
            ([("Authorization", "Basic \(token)")], 401, "invalid_request"),
            ([("Authorization", "Bearer")], 401, "invalid_request"),
            ([("Authorization", "Bearer \(token) extra")], 401, "invalid_request"),
            ([("Authorization", "Bearer \(token)"), ("Authorization", "Bearer \(token)")], 401, "invalid_request"),
            ([("Authorization", "Bearer \(token.dropLast())")], 401, "invalid_token"),
            ([("Authorization", "Bearer \(token.uppercased())")], 401, "invalid_token"),
            ([("Authorization", "Bearer \(altered)")], 401, "invalid_token"),
            ([], 401, nil),
        ]
        for (headers, status, error) in cases {
            let response = try await anonymous.request("GET", "/v1/therapists", headers: headers)
            #expect(response.status == status, "\(headers)")
            if let error {
                #expect(response.header("WWW-Authenticate")?.contains("error=\"\(error)\"") == true, "\(headers)")
            } else if status == 401 {
                #expect(response.header("WWW-Authenticate") == #"Bearer realm="relieflog""#)
            }
        }
        await app.stop()
    }

    @Test("token requests are validated field by field")
    func tokenValidation() async throws {
        let app = try TestApp()
        let admin = try app.client()
        let patient = try await admin.createPatient()
        let cases: [(String, String)] = [
            (#"{"role": "patient"}"#, "/patientId"),
            (#"{"role": "clinician", "patientId": \#(patient)}"#, "/therapistId"),
            (#"{"role": "admin", "patientId": \#(patient)}"#, "/patientId"),
            (#"{"role": "owner"}"#, "/role"),
            (#"{"role": "admin", "expiresAt": "2001-01-01T00:00:00Z"}"#, "/expiresAt"),
            (#"{"role": "admin", "token": "mine"}"#, "/token"),
            (#"{"role": "patient", "patientId": 999999}"#, "/patientId"),
        ]
        for (body, field) in cases {
            let response = try await admin.post("/v1/tokens", body)
            #expect(response.status == 422, "\(body)")
            let fields = (response.object["errors"] as? [[String: Any]])?.compactMap { $0["field"] as? String } ?? []
            #expect(fields.contains(field), "\(body): \(response.text)")
        }
        #expect(try await admin.listIds("/v1/tokens").ids.count == 1, "nothing was created")
        await app.stop()
    }

    @Test("a token stops working at its expiry")
    func expiry() async throws {
        let clock = ManualClock(1_795_000_000_000)
        let app = try TestApp { $0.clock = clock.reader }
        let admin = try app.client()
        let expiresAt = Date(timeIntervalSince1970: Double(clock.now + 60_000) / 1000)
        let body = #"{"role": "admin", "expiresAt": "\#(ISO8601DateFormatter().string(from: expiresAt))"}"#
        let issued = try await admin.post("/v1/tokens", body)
        let token = try #require(issued.object["token"] as? String)
        let holder = try app.client(token: token)
        #expect(try await holder.get("/v1/patients").status == 200)
        clock.advance(by: 61_000)
        let expired = try await holder.get("/v1/patients")
        #expect(expired.status == 401)
        #expect(expired.text.contains("expired"))
        await app.stop()
    }

    @Test("erasing a patient revokes the patient's tokens at once")
    func erasureRevokes() async throws {
        let app = try TestApp()
        let admin = try app.client()
        let patient = try await admin.createPatient()
        let holder = try app.client(token: try app.token(.patient, patient: patient))
        #expect(try await holder.get("/v1/patients/\(patient)").status == 200)
        #expect(try await admin.delete("/v1/patients/\(patient)").status == 204)
        #expect(try await holder.get("/v1/episodes").status == 401)
        #expect(try await admin.listIds("/v1/tokens?patientId=\(patient)").ids.isEmpty)
        await app.stop()
    }

    @Test("neither a token nor its secret part is anywhere in the database files")
    func onlyDigestsStored() async throws {
        let app = try TestApp()
        let admin = try app.client()
        var tokens = [app.adminToken]
        for _ in 0..<5 {
            let issued = try await admin.post("/v1/tokens", #"{"role": "admin"}"#)
            tokens.append(try #require(issued.object["token"] as? String))
        }
        let path = app.application.configuration.databasePath
        var bytes = Data()
        for file in [path, path + "-wal"] {
            bytes.append((try? Data(contentsOf: URL(fileURLWithPath: file))) ?? Data())
        }
        #expect(bytes.count > 0)
        for token in tokens {
            let secret = String(token.split(separator: "_", maxSplits: 2)[2])
            #expect(bytes.range(of: Data(token.utf8)) == nil)
            #expect(bytes.range(of: Data(secret.utf8)) == nil)
        }
        await app.stop()
    }

    /// An RFC 3339 UTC instant as the server writes it (`…:15.5Z`), with a three-digit fraction
    /// (`…:15.500Z`), so that instants sort as text.
    static func sortable(_ instant: String) -> String {
        var text = String(instant.dropLast())  // "Z"
        if let dot = text.lastIndex(of: ".") {
            text += String(repeating: "0", count: max(0, 3 - text[text.index(after: dot)...].count))
        } else {
            text += ".000"
        }
        return text + "Z"
    }

    @Test("reads and writes of patient data, and refused attempts, are in the audit log")
    func auditLog() async throws {
        let app = try TestApp()
        let admin = try app.client()
        let patient = try await admin.createPatient()
        let other = try await admin.createPatient()
        // A write's audit line commits with the write: it is there before any batch is written.
        let episode = try await admin.createEpisode(patientId: patient, startedAt: "2026-11-01T08:00:00Z")
        let written = try app.application.database.readSync { connection in
            try connection.scalar(
                "SELECT count(*) FROM audit_log WHERE method = 'POST' AND route = '/v1/episodes' AND resource_id = ?",
                [.integer(Int64(episode))])
        }
        #expect(written == .integer(1))

        let token = try app.token(.patient, patient: patient)
        let holder = try app.client(token: token)
        #expect(try await holder.get("/v1/episodes/\(episode)").status == 200)
        let hidden = try await admin.createEpisode(patientId: other, startedAt: "2026-11-01T08:00:00Z")
        #expect(try await holder.get("/v1/episodes/\(hidden)").status == 404)

        let page = try await admin.get("/v1/audit?patientId=\(patient)")
        #expect(page.status == 200)
        let items = try #require(page.object["items"] as? [[String: Any]])
        let read = try #require(items.first { $0["method"] as? String == "GET" })
        #expect(read["role"] as? String == "patient")
        #expect(read["route"] as? String == "/v1/episodes/{id}")
        #expect(read["resourceId"] as? Int == episode)
        #expect(read["status"] as? Int == 200)
        #expect(read["tokenId"] is Int)
        #expect(items.contains { $0["method"] as? String == "POST" && $0["status"] as? Int == 201 })
        // Newest first, by request time (compared as text once the fractions have three digits).
        let times = items.compactMap { ($0["at"] as? String).map(Self.sortable) }
        #expect(times.count == items.count && times == times.sorted(by: >))
        let attempt = try await admin.get("/v1/audit?patientId=\(other)")
        #expect(
            (attempt.object["items"] as? [[String: Any]])?.contains {
                $0["status"] as? Int == 404 && $0["role"] as? String == "patient" && $0["resourceId"] as? Int == hidden
            } == true)
        // Paging.
        let first = try await admin.get("/v1/audit?limit=1")
        let cursor = try #require(first.object["nextCursor"] as? String)
        let second = try await admin.get("/v1/audit?limit=1&cursor=\(cursor)")
        let firstId = try #require((first.object["items"] as? [[String: Any]])?.first?["id"] as? Int)
        let secondId = try #require((second.object["items"] as? [[String: Any]])?.first?["id"] as? Int)
        #expect(secondId != firstId)
        await app.stop()
    }

    @Test("audit rows older than the retention are deleted; newer ones stay")
    func auditRetention() async throws {
        let day: Int64 = 86_400_000
        let clock = ManualClock(1_795_000_000_000)
        let app = try TestApp { configuration in
            configuration.clock = clock.reader
            configuration.auditRetentionDays = 30
        }
        // Rows from 40 and 10 days ago, written as the server writes them (in time order, before
        // today's), then one of today.
        try app.application.database.writeSync { connection in
            for (age, route) in [(40 * day, "/old"), (10 * day, "/recent")] {
                try connection.run(
                    "INSERT INTO audit_log (at_ms, method, route, patient_id, status) VALUES (?, 'GET', ?, 1, 200)",
                    [.integer(clock.now - age), .text(route)])
            }
        }
        _ = try await app.client().createPatient()
        // A server prunes with its first periodic write, within a second of starting: one started
        // now, on the same file, is sure to run after the rows exist (the first may run too).
        let server = try TestApp { configuration in
            configuration.clock = clock.reader
            configuration.auditRetentionDays = 30
            configuration.databasePath = app.application.configuration.databasePath
        }
        let deadline = ContinuousClock.now + .seconds(5)
        var routes: [String] = []
        while ContinuousClock.now < deadline {
            routes = try server.application.database.readSync { connection in
                try connection.query("SELECT route FROM audit_log WHERE route IN ('/old', '/recent') ORDER BY id")
                    .compactMap { $0.string(0) }
            }
            if routes == ["/recent"] { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(routes == ["/recent"])
        await server.application.shutdown()
        await app.stop()
    }

    @Test("a burst from one token is refused with Retry-After, leaves another token alone, and refills with time")
    func perTokenLimit() async throws {
        // The limiter's clock stands still unless the test moves it: however slowly a busy
        // machine runs the requests, no bucket refills behind the test's back.
        let nanoseconds = Mutex<UInt64>(1_000_000_000)
        let app = try TestApp { configuration in
            configuration.rateLimits.perTokenPerSecond = 1
            configuration.rateLimits.perTokenBurst = 5
            configuration.rateLimitClock = { nanoseconds.withLock { $0 } }
        }
        let busy = try app.client()
        let other = try app.client(token: try app.token(.admin))
        var statuses: [Int] = []
        for _ in 0..<8 { statuses.append(try await busy.get("/v1/therapists").status) }
        #expect(statuses == [200, 200, 200, 200, 200, 429, 429, 429])
        let limited = try await busy.get("/v1/therapists")
        #expect(limited.status == 429)
        #expect(Int(limited.header("Retry-After") ?? "") ?? 0 >= 1)
        // Another token has a bucket of its own, full.
        for _ in 0..<5 { #expect(try await other.get("/v1/therapists").status == 200) }
        #expect(try await other.get("/v1/therapists").status == 429)
        // Two seconds later the busy token has earned two requests, and no more.
        nanoseconds.withLock { $0 += 2_000_000_000 }
        statuses = []
        for _ in 0..<3 { statuses.append(try await busy.get("/v1/therapists").status) }
        #expect(statuses == [200, 200, 429])
        await app.stop()
    }

    @Test("after a few bad tokens an address is shut out, even with a good token, until its bucket refills")
    func failedAuthenticationLimit() async throws {
        let app = try TestApp { configuration in
            configuration.rateLimits.failedAuthenticationBurst = 3
            configuration.rateLimits.failedAuthenticationsPerMinute = 1
        }
        let guesser = try app.client(token: "rlg_0123456789abcdef_" + String(repeating: "A", count: 43))
        for _ in 0..<3 { #expect(try await guesser.get("/v1/patients").status == 401) }
        let shutOut = try await guesser.get("/v1/patients")
        #expect(shutOut.status == 429)
        #expect(Int(shutOut.header("Retry-After") ?? "") ?? 0 >= 30)
        #expect(try await app.client().get("/v1/patients").status == 429)
        // A request without credentials from that address is refused too; public routes are not.
        let anonymous = try app.client(token: nil)
        #expect(try await anonymous.get("/v1/patients").status == 429)
        #expect(try await anonymous.get("/healthz").status == 200)
        await app.stop()
    }

    @Test("behind a trusted proxy, each forwarded client has its own buckets; a direct client cannot forge one")
    func trustedProxy() async throws {
        func client(_ app: TestApp, token: String?, forwardedFor: String) throws -> TestHTTPClient {
            let client = try app.client(token: token)
            client.defaultHeaders.append(("X-Forwarded-For", forwardedFor))
            return client
        }
        let guess = "rlg_0123456789abcdef_" + String(repeating: "A", count: 43)
        let behindProxy = try TestApp { configuration in
            configuration.http.trustedProxies = ["127.0.0.1"]
            configuration.rateLimits.failedAuthenticationBurst = 2
            configuration.rateLimits.failedAuthenticationsPerMinute = 1
        }
        // The tests reach the server from 127.0.0.1, here the proxy: a guesser behind it is shut
        // out, another client behind the same proxy is not.
        let guesser = try client(behindProxy, token: guess, forwardedFor: "198.51.100.1")
        for _ in 0..<2 { #expect(try await guesser.get("/v1/patients").status == 401) }
        #expect(try await guesser.get("/v1/patients").status == 429)
        let neighbour = try client(behindProxy, token: behindProxy.adminToken, forwardedFor: "198.51.100.2")
        #expect(try await neighbour.get("/v1/patients").status == 200)
        // Changing the address it claims to the left of the proxy's entry does not help it.
        let forging = try client(behindProxy, token: guess, forwardedFor: "203.0.113.50, 198.51.100.1")
        #expect(try await forging.get("/v1/patients").status == 429)
        await behindProxy.stop()

        // Without trusted proxies the header means nothing: one address, one bucket.
        let direct = try TestApp { configuration in
            configuration.rateLimits.failedAuthenticationBurst = 2
            configuration.rateLimits.failedAuthenticationsPerMinute = 1
        }
        let directGuesser = try client(direct, token: guess, forwardedFor: "198.51.100.1")
        for _ in 0..<2 { #expect(try await directGuesser.get("/v1/patients").status == 401) }
        let claimsOther = try client(direct, token: direct.adminToken, forwardedFor: "198.51.100.2")
        #expect(try await claimsOther.get("/v1/patients").status == 429)
        await direct.stop()
    }

    @Test("every response says nosniff; responses behind a token say no-store")
    func securityHeaders() async throws {
        let app = try TestApp()
        let admin = try app.client()
        let anonymous = try app.client(token: nil)
        let patient = try await admin.createPatient()
        let responses = [
            try await anonymous.get("/healthz"), try await anonymous.get("/nowhere"),
            try await anonymous.get("/v1/patients"),
            try await admin.get("/v1/patients/\(patient)"), try await admin.get("/v1/patients"),
            try await admin.get("/v1/audit"),
        ]
        for response in responses {
            #expect(response.header("X-Content-Type-Options") == "nosniff")
        }
        for response in responses.suffix(3) {
            #expect(response.header("Cache-Control") == "no-store")
        }
        await app.stop()
    }
}
