import Foundation
import JSON
import TestSupport
import Testing

@testable import ReliefLog

/// `GET /v1/patients/{id}/analytics/trends`, worked by hand.
@Suite("Analytics: trends")
struct TrendsAnalyticsTests {
    static func bucket(
        _ start: String, _ end: String, episodes: Int, migraineDays: Int, intensity: String = "null",
        sessions: Int = 0, minutes: Int = 0, pain: String = "null", peak: String = "null"
    ) -> String {
        """
        {"start": "\(start)", "end": "\(end)", "episodes": \(episodes), "migraineDays": \(migraineDays),
         "meanIntensity": \(intensity), "sessions": \(sessions), "sessionMinutes": \(minutes), "meanPainDrop": \(pain),
         "peakIntensity": \(peak)}
        """
    }

    @Test("day buckets over the New York spring-forward day (23 hours long)")
    func springForward() async throws {
        try await AnalyticsHarness.run(now: "2026-03-20T12:00:00Z") { h in
            let p = try await h.patient("America/New_York")
            // A: local 03-07 22:00 EST → 03-09 01:00 EDT: covers 03-07, 03-08, 03-09.
            try await h.episode(p, "2026-03-07T22:00:00-05:00", ended: "2026-03-09T01:00:00-04:00", intensity: 6)
            // B: 03-09 00:30 EDT = 04:30Z: local 03-09. (A 24-hour block from 03-08 00:00 EST
            // would end at 05:00Z and wrongly put it on 03-08.)
            try await h.episode(p, "2026-03-09T00:30:00-04:00", intensity: 4)
            // A session at 03-08 23:30 EDT (UTC date 03-09): local 03-08, 40 min, pain 5 → 2.
            try await h.session(p, "2026-03-08T23:30:00-04:00", minutes: 40, pain: (5, 2))
            let body = try await h.analytics(
                "/v1/patients/\(p)/analytics/trends?bucket=day&from=2026-03-07&to=2026-03-10")
            // Slopes: migraine days 1, 1, 1 → 0.0; intensity at x = 0 (6) and x = 2 (4) → −1.0.
            // Warnings: 3 buckets, 2 episodes; the diary starts on the window's first day.
            try expectJSON(
                body,
                """
                {"patientId": \(p), "bucket": "day", "from": "2026-03-07", "to": "2026-03-10", "buckets": [
                  \(Self.bucket("2026-03-07", "2026-03-08", episodes: 1, migraineDays: 1, intensity: "6.0", peak: "6")),
                  \(Self.bucket("2026-03-08", "2026-03-09", episodes: 0, migraineDays: 1, sessions: 1, minutes: 40, pain: "3.0", peak: "6")),
                  \(Self.bucket("2026-03-09", "2026-03-10", episodes: 1, migraineDays: 1, intensity: "4.0", peak: "6"))],
                 "trend": {"migraineDaysSlope": 0.0, "meanIntensitySlope": -1.0}, "warnings": ["few-buckets", "few-episodes"], \(note)}
                """)
        }
    }

    @Test("day buckets over the New York fall-back day (25 hours long, 01:30 happens twice)")
    func fallBack() async throws {
        try await AnalyticsHarness.run(now: "2026-11-10T12:00:00Z") { h in
            let p = try await h.patient("America/New_York")
            // F: 10-31 23:00 EDT → 11-02 00:10 EST: covers 10-31, 11-01, 11-02.
            try await h.episode(p, "2026-10-31T23:00:00-04:00", ended: "2026-11-02T00:10:00-05:00", intensity: 7)
            // Both 01:30s of 11-01 (EDT then EST), and 23:30 EST (= 11-02 04:30Z): all local 11-01.
            try await h.episode(p, "2026-11-01T01:30:00-04:00", intensity: 2)
            try await h.episode(p, "2026-11-01T01:30:00-05:00", intensity: 5)
            try await h.episode(p, "2026-11-01T23:30:00-05:00", intensity: 8)
            let body = try await h.analytics(
                "/v1/patients/\(p)/analytics/trends?bucket=day&from=2026-10-31&to=2026-11-03")
            // Intensity: 7.0; (2 + 5 + 8) / 3 = 5.0; null → slope over (0, 7), (1, 5) = −2.0.
            // Warnings: 3 buckets; 4 episodes are enough.
            try expectJSON(
                body,
                """
                {"patientId": \(p), "bucket": "day", "from": "2026-10-31", "to": "2026-11-03", "buckets": [
                  \(Self.bucket("2026-10-31", "2026-11-01", episodes: 1, migraineDays: 1, intensity: "7.0", peak: "7")),
                  \(Self.bucket("2026-11-01", "2026-11-02", episodes: 3, migraineDays: 1, intensity: "5.0", peak: "8")),
                  \(Self.bucket("2026-11-02", "2026-11-03", episodes: 0, migraineDays: 1, peak: "7"))],
                 "trend": {"migraineDaysSlope": 0.0, "meanIntensitySlope": -2.0}, "warnings": ["few-buckets"], \(note)}
                """)
        }
    }

    @Test("day buckets over the Sydney autumn change (2026-04-05, AEDT → AEST)")
    func sydney() async throws {
        try await AnalyticsHarness.run(now: "2026-04-20T00:00:00Z") { h in
            let p = try await h.patient("Australia/Sydney")
            try await h.episode(p, "2026-04-04T23:59:00+11:00", intensity: 3)  // local 04-04
            try await h.episode(p, "2026-04-05T02:30:00+11:00", intensity: 5)  // the first 02:30: 04-05
            // 23:30 AEST = 13:30Z; still taking +11 would say 04-06 00:30.
            try await h.episode(p, "2026-04-05T23:30:00+10:00", intensity: 7)
            let body = try await h.analytics(
                "/v1/patients/\(p)/analytics/trends?bucket=day&from=2026-04-04&to=2026-04-07")
            // Migraine days 1, 1, 0: slope −0.5; intensity (0, 3), (1, 6): slope 3.0.
            // Warnings: 3 buckets, 3 episodes.
            try expectJSON(
                body,
                """
                {"patientId": \(p), "bucket": "day", "from": "2026-04-04", "to": "2026-04-07", "buckets": [
                  \(Self.bucket("2026-04-04", "2026-04-05", episodes: 1, migraineDays: 1, intensity: "3.0", peak: "3")),
                  \(Self.bucket("2026-04-05", "2026-04-06", episodes: 2, migraineDays: 1, intensity: "6.0", peak: "7")),
                  \(Self.bucket("2026-04-06", "2026-04-07", episodes: 0, migraineDays: 0))],
                 "trend": {"migraineDaysSlope": -0.5, "meanIntensitySlope": 3.0}, "warnings": ["few-buckets", "few-episodes"], \(note)}
                """)
        }
    }

    @Test("ISO week buckets clipped to the window")
    func weeks() async throws {
        try await AnalyticsHarness.run(now: "2026-03-20T12:00:00Z") { h in
            let p = try await h.patient()
            // Sun 03-08 → Tue 03-10: covers 03-08 (week of Mon 03-02) and 03-09, 03-10 (week of 03-09).
            try await h.episode(p, "2026-03-08T10:00:00Z", ended: "2026-03-10T10:00:00Z", intensity: 4)
            try await h.episode(p, "2026-03-17T10:00:00Z", intensity: 8)
            try await h.episode(p, "2026-03-03T10:00:00Z", intensity: 9)  // before the window
            try await h.session(p, "2026-03-12T10:00:00Z", minutes: 30, pain: (4, 1))
            try await h.session(p, "2026-03-13T10:00:00Z", minutes: 60)
            // Window Wed 03-04 → Wed 03-18: [03-04, 03-09), [03-09, 03-16), [03-16, 03-18).
            // Migraine days 1, 2, 1: mean 4/3, Σ(x − 1)(y − 4/3) = 1/3 − 1/3 = 0 → 0.0.
            // Intensity at x = 0 (4) and x = 2 (8): 2.0.
            let body = try await h.analytics("/v1/patients/\(p)/analytics/trends?from=2026-03-04&to=2026-03-18")
            // Warnings: 3 buckets, 2 episodes starting in the window (03-03 is before it, and is the first entry).
            try expectJSON(
                body,
                """
                {"patientId": \(p), "bucket": "week", "from": "2026-03-04", "to": "2026-03-18", "buckets": [
                  \(Self.bucket("2026-03-04", "2026-03-09", episodes: 1, migraineDays: 1, intensity: "4.0", peak: "4")),
                  \(Self.bucket("2026-03-09", "2026-03-16", episodes: 0, migraineDays: 2, sessions: 2, minutes: 90, pain: "3.0", peak: "4")),
                  \(Self.bucket("2026-03-16", "2026-03-18", episodes: 1, migraineDays: 1, intensity: "8.0", peak: "8"))],
                 "trend": {"migraineDaysSlope": 0.0, "meanIntensitySlope": 2.0}, "warnings": ["few-buckets", "few-episodes"], \(note)}
                """)
        }
    }

    @Test("default ranges: 28 days, 26 ISO weeks, 12 months, the current one included")
    func defaultRanges() async throws {
        // Friday 2026-03-20 in UTC.
        try await AnalyticsHarness.run(now: "2026-03-20T12:00:00Z") { h in
            let p = try await h.patient()
            try await h.episode(p, "2026-03-20T08:00:00Z", intensity: 5)
            let expected: [(String, String, String, Int)] = [
                ("day", "2026-02-21", "2026-03-21", 28),
                ("week", "2025-09-22", "2026-03-23", 26),  // Monday 25 weeks before Mon 03-16 → next Monday
                ("month", "2025-04-01", "2026-04-01", 12),
            ]
            for (bucket, from, to, count) in expected {
                let path = "/v1/patients/\(p)/analytics/trends" + (bucket == "week" ? "" : "?bucket=\(bucket)")
                let body = try #require(try await h.analytics(path).objectValue)
                #expect(body["bucket"]?.stringValue == bucket)
                #expect(body["from"]?.stringValue == from)
                #expect(body["to"]?.stringValue == to)
                let buckets = try #require(body["buckets"]?.arrayValue)
                #expect(buckets.count == count)
                #expect(buckets.first?.objectValue?["start"]?.stringValue == from)
                #expect(buckets.last?.objectValue?["end"]?.stringValue == to)
                // Contiguous buckets, today's episode in the last one.
                for (a, b) in zip(buckets, buckets.dropFirst()) {
                    #expect(a.objectValue?["end"] == b.objectValue?["start"])
                }
                #expect(buckets.last?.objectValue?["episodes"] == 1)
                // One bucket with a mean: no intensity slope; migraine days slope over all buckets.
                #expect(body["trend"]?.objectValue?["meanIntensitySlope"] == .null)
            }
        }
    }

    @Test("month buckets clipped to the window")
    func months() async throws {
        try await AnalyticsHarness.run(now: "2026-03-20T12:00:00Z") { h in
            let p = try await h.patient("Europe/Berlin")
            // 01-31 21:00 CET → 02-01 05:00 CET: covers 01-31 and 02-01.
            try await h.episode(p, "2026-01-31T20:00:00Z", ended: "2026-02-01T04:00:00Z", intensity: 6)
            // 02-28 23:30Z is 03-01 00:30 in Berlin.
            try await h.episode(p, "2026-02-28T23:30:00Z", intensity: 2)
            let body = try await h.analytics(
                "/v1/patients/\(p)/analytics/trends?bucket=month&from=2026-01-15&to=2026-03-02")
            // Migraine days 1, 1, 1 → 0.0; intensity (0, 6), (2, 2) → −2.0.
            // Warnings: 3 buckets; the diary starts on 01-31, after from; 2 episodes.
            try expectJSON(
                body,
                """
                {"patientId": \(p), "bucket": "month", "from": "2026-01-15", "to": "2026-03-02", "buckets": [
                  \(Self.bucket("2026-01-15", "2026-02-01", episodes: 1, migraineDays: 1, intensity: "6.0", peak: "6")),
                  \(Self.bucket("2026-02-01", "2026-03-01", episodes: 0, migraineDays: 1, peak: "6")),
                  \(Self.bucket("2026-03-01", "2026-03-02", episodes: 1, migraineDays: 1, intensity: "2.0", peak: "2"))],
                 "trend": {"migraineDaysSlope": 0.0, "meanIntensitySlope": -2.0}, "warnings": ["few-buckets", "before-first-entry", "few-episodes"], \(note)}
                """)
        }
    }
}
