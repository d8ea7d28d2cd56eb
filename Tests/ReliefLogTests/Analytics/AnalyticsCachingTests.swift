import Foundation
import JSON
import TestSupport
import Testing

@testable import ReliefLog

/// ETags, 304 and the result cache. "Not recomputed" is checked through the server's
/// computation counter, not timing.
@Suite("Analytics: ETag, 304 and caching")
struct AnalyticsCachingTests {
    static let now = "2026-03-20T12:00:00Z"

    @Test("If-None-Match answers 304 without recomputing; a repeat is served from the cache")
    func notModified() async throws {
        try await AnalyticsHarness.run(now: Self.now) { h in
            let p = try await h.patient("America/New_York")
            try await h.episode(p, "2026-03-10T10:00:00Z", intensity: 5)
            for path in [
                "/v1/patients/\(p)/analytics/summary", "/v1/patients/\(p)/analytics/trends?bucket=day",
                "/v1/patients/\(p)/analytics/massage-effect", "/v1/analytics/overview", "/v1/analytics/techniques",
                "/v1/analytics/therapists",
            ] {
                let first = try await h.get(path)
                #expect(first.status == 200, "\(path)")
                let etag = try #require(first.header("ETag"))
                #expect(etag.hasPrefix("\"") && etag.hasSuffix("\""))
                let computed = h.computations

                let conditional = try await h.get(path, ifNoneMatch: etag)
                #expect(conditional.status == 304, "\(path)")
                #expect(conditional.header("ETag") == etag)
                #expect(conditional.header("Cache-Control") == "no-store")
                #expect(conditional.body.isEmpty)
                // Weak comparison, lists and * match too.
                #expect(try await h.get(path, ifNoneMatch: "W/\(etag)").status == 304)
                #expect(try await h.get(path, ifNoneMatch: "\"other\", \(etag)").status == 304)
                #expect(try await h.get(path, ifNoneMatch: "*").status == 304)
                #expect(try await h.get(path, ifNoneMatch: "\"other\"").status == 200)

                let again = try await h.get(path)
                #expect(again.status == 200)
                #expect(again.body == first.body)
                #expect(again.header("ETag") == etag)
                #expect(h.computations == computed, "\(path) was recomputed")
            }
        }
    }

    @Test("the ETag is the body's: another query for the same window computes once, then answers 304 to the same ETag")
    func notModifiedWithoutCachedEntry() async throws {
        try await AnalyticsHarness.run(now: Self.now) { h in
            let p = try await h.patient()
            let etag = try #require(try await h.get("/v1/patients/\(p)/analytics/summary").header("ETag"))
            let computed = h.computations
            // Another raw query resolving to the same window is another cache key: computed once,
            // it yields the same bytes, hence the same strong ETag.
            let other = try await h.get("/v1/patients/\(p)/analytics/summary?to=2026-03-21", ifNoneMatch: etag)
            #expect(other.status == 304)
            #expect(other.header("ETag") == etag)
            #expect(h.computations == computed + 1)
            // From then on it is cached too.
            #expect(
                try await h.get("/v1/patients/\(p)/analytics/summary?to=2026-03-21", ifNoneMatch: etag).status == 304)
            #expect(h.computations == computed + 1)
        }
    }

    @Test("a write changes the ETags that depend on it, and only those")
    func writes() async throws {
        try await AnalyticsHarness.run(now: Self.now) { h in
            let p = try await h.patient()
            let q = try await h.patient()
            let summary = "/v1/patients/\(p)/analytics/summary"
            let other = "/v1/patients/\(q)/analytics/summary"
            let overview = "/v1/analytics/overview"
            func etag(_ path: String) async throws -> String { try #require(try await h.get(path).header("ETag")) }

            var tags = (try await etag(summary), try await etag(other), try await etag(overview))
            // A new episode of p: p's and the clinic's change, q's does not.
            let episode = try await h.episode(p, "2026-03-18T10:00:00Z", intensity: 7)
            let afterCreate = try await h.get(summary, ifNoneMatch: tags.0)
            #expect(afterCreate.status == 200)
            #expect(afterCreate.header("ETag") != tags.0)
            #expect(try await h.analytics(summary).objectValue?["episodes"] == 1)
            #expect(try await h.get(other, ifNoneMatch: tags.1).status == 304)
            #expect(try await h.get(overview, ifNoneMatch: tags.2).status == 200)

            // A change, then a delete, of the episode.
            tags = (try await etag(summary), try await etag(other), try await etag(overview))
            #expect(try await h.call("PATCH", "/v1/episodes/\(episode)", body: #"{"intensity": 2}"#).status == 200)
            #expect(try await h.get(summary, ifNoneMatch: tags.0).status == 200)
            #expect(try await h.analytics(summary).objectValue?["meanIntensity"] == .number(.double(2.0)))
            tags.0 = try await etag(summary)
            #expect(try await h.call("DELETE", "/v1/episodes/\(episode)").status == 204)
            #expect(try await h.get(summary, ifNoneMatch: tags.0).status == 200)
            #expect(try await h.analytics(summary).objectValue?["episodes"] == 0)

            // Moving an episode to another patient changes both.
            let moved = try await h.episode(p, "2026-03-18T10:00:00Z", intensity: 7)
            tags = (try await etag(summary), try await etag(other), try await etag(overview))
            #expect(try await h.call("PATCH", "/v1/episodes/\(moved)", body: #"{"patientId": \#(q)}"#).status == 200)
            #expect(try await h.get(summary, ifNoneMatch: tags.0).status == 200)
            #expect(try await h.get(other, ifNoneMatch: tags.1).status == 200)
            #expect(try await h.analytics(summary).objectValue?["episodes"] == 0)
            #expect(try await h.analytics(other).objectValue?["episodes"] == 1)

            // Sessions too.
            tags.1 = try await etag(other)
            try await h.session(q, "2026-03-19T10:00:00Z")
            #expect(try await h.get(other, ifNoneMatch: tags.1).status == 200)

            // A therapist write changes the clinic-wide results only.
            tags = (try await etag(summary), try await etag(other), try await etag(overview))
            _ = try await h.therapist("Dana", license: "X-1")
            #expect(try await h.get(summary, ifNoneMatch: tags.0).status == 304)
            #expect(try await h.get(overview, ifNoneMatch: tags.2).status == 200)
            #expect(try await h.analytics(overview).objectValue?["activeTherapists"] == 1)

            // A time zone change moves the patient's dates: new ETag.
            tags.0 = try await etag(summary)
            #expect(
                try await h.call("PATCH", "/v1/patients/\(p)", body: #"{"timezone": "Pacific/Kiritimati"}"#).status
                    == 200)
            let shifted = try await h.get(summary, ifNoneMatch: tags.0)
            #expect(shifted.status == 200)
            // 12:00Z is 02:00 the next day at +14.
            #expect(try await h.analytics(summary).objectValue?["to"] == "2026-03-22")

            // Deleting the patient: 404, not a cached answer.
            #expect(try await h.call("DELETE", "/v1/patients/\(p)").status == 204)
            #expect(try await h.get(summary).status == 404)
            #expect(try await h.get(summary, ifNoneMatch: tags.0).status == 404)
        }
    }

    @Test("a new day moves the default window and its ETag; an explicit window keeps its ETag")
    func newDay() async throws {
        try await AnalyticsHarness.run(now: "2026-03-20T03:00:00Z") { h in
            let p = try await h.patient("America/New_York")  // 03-19 23:00 EDT
            let defaultPath = "/v1/patients/\(p)/analytics/summary"
            let fixedPath = "/v1/patients/\(p)/analytics/trends?bucket=day&from=2026-03-01&to=2026-03-08"
            let first = try await h.get(defaultPath)
            #expect(try JSON.parse(first.body).objectValue?["to"] == "2026-03-20")
            let defaultTag = try #require(first.header("ETag"))
            let fixedTag = try #require(try await h.get(fixedPath).header("ETag"))
            let clinicTag = try #require(try await h.get("/v1/analytics/overview").header("ETag"))

            // 04:30Z: still 03-20 in UTC, and now 03-20 00:30 in New York.
            try h.clock.set("2026-03-20T04:30:00Z")
            let computed = h.computations
            #expect(try await h.get("/v1/analytics/overview", ifNoneMatch: clinicTag).status == 304)
            let next = try await h.get(defaultPath, ifNoneMatch: defaultTag)
            #expect(next.status == 200)
            #expect(next.header("ETag") != defaultTag)
            #expect(try JSON.parse(next.body).objectValue?["to"] == "2026-03-21")
            #expect(try JSON.parse(next.body).objectValue?["from"] == "2026-02-21")
            #expect(h.computations == computed + 1)
            #expect(try await h.get(fixedPath, ifNoneMatch: fixedTag).status == 304)
            #expect(h.computations == computed + 1)
        }
    }

    @Test("the cache stays bounded")
    func bounded() {
        let cache = AnalyticsCache(capacity: 8)
        for i in 0..<100 {
            cache.put(
                "k\(i)", AnalyticsCache.Entry(version: 0, timezone: "UTC", resolved: "", etag: "\"\(i)\"", body: []))
        }
        #expect(cache.count <= 8)
        #expect(cache.get("k99")?.etag == "\"99\"")
        #expect(cache.get("k0") == nil)
    }

    @Test("versions: a patient's write leaves other patients alone; a therapist's only the clinic")
    func versions() {
        let versions = DataVersions()
        let a0 = versions.patient(1)
        let b0 = versions.patient(2)
        let g0 = versions.global
        versions.patientsChanged([1])
        #expect(versions.patient(1) > a0)
        #expect(versions.patient(2) == b0)
        #expect(versions.global > g0)
        let a1 = versions.patient(1)
        versions.patientsChanged([1, 2])
        #expect(versions.patient(1) > a1)
        #expect(versions.patient(2) > b0)
        let (a2, b2, g1) = (versions.patient(1), versions.patient(2), versions.global)
        versions.clinicChanged()
        #expect(versions.global > g1)
        #expect(versions.patient(1) == a2 && versions.patient(2) == b2)
    }
}
