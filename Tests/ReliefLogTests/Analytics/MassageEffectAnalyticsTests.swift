import Foundation
import JSON
import TestSupport
import Testing

@testable import ReliefLog

/// `GET /v1/patients/{id}/analytics/massage-effect`, worked by hand (patient in UTC).
/// Today is 2026-04-15, so the follow-up ends (exclusive) on 2026-04-16 by default.
@Suite("Analytics: massage effect")
struct MassageEffectAnalyticsTests {
    static let now = "2026-04-15T12:00:00Z"

    static func diary(_ h: AnalyticsHarness) async throws -> Int {
        let p = try await h.patient()
        let t = try await h.therapist("Dana", license: "M-1")
        // Sessions: the first on 03-01 (F); sessions on local dates [F, to) count.
        try await h.session(
            p, "2026-03-01T10:00:00Z", therapist: t, minutes: 60, techniques: ["scalp", "neck_shoulder"], pain: (6, 2),
            stress: (8, 3))
        try await h.session(p, "2026-03-05T18:00:00Z", minutes: 20, techniques: ["scalp"], pain: (5, 4))
        try await h.session(p, "2026-04-10T09:00:00Z", minutes: 15, techniques: ["swedish"])
        // Baseline [02-01, 03-01):
        try await h.episode(p, "2026-01-31T12:00:00Z", ended: "2026-02-01T02:00:00Z", intensity: 3)  // covers 02-01 only inside
        try await h.episode(p, "2026-02-03T08:00:00Z", ended: "2026-02-04T10:00:00Z", intensity: 7)  // 02-03, 02-04
        try await h.episode(p, "2026-02-10T12:00:00Z", intensity: 5)  // ongoing: 02-10
        try await h.episode(p, "2026-02-27T20:00:00Z", ended: "2026-03-01T06:00:00Z", intensity: 8)  // 02-27, 02-28 (+03-01)
        // After the first session:
        try await h.episode(p, "2026-03-02T09:00:00Z", ended: "2026-03-02T15:00:00Z", intensity: 4)  // ≤ 72 h after S1
        try await h.episode(p, "2026-03-06T07:00:00Z", ended: "2026-03-06T09:00:00Z", intensity: 6)  // ≤ 72 h after S2
        try await h.episode(p, "2026-03-25T10:00:00Z", ended: "2026-03-26T01:00:00Z", intensity: 5)  // 03-25, 03-26
        try await h.episode(p, "2026-04-12T09:00:00Z", intensity: 3)  // 72 h after S3
        try await h.episode(p, "2026-04-13T08:59:00Z", intensity: 2)  // 72 h after S3 (ends 04-13 09:00)
        return p
    }

    @Test("defaults: 28 baseline days, 28 follow-up days ending today")
    func defaults() async throws {
        try await AnalyticsHarness.run(now: Self.now) { h in
            let p = try await Self.diary(h)
            // Baseline [02-01, 03-01), 28 days: migraine days 02-01, 02-03, 02-04, 02-10, 02-27,
            //   02-28 = 6 → MMD 6.0; episodes starting inside: 3 (7, 5, 8) → 6.67.
            // Follow-up: end 04-16, start max(04-16 − 28 = 03-19, 03-01) = 03-19, 28 days:
            //   migraine days 03-25, 03-26, 04-12, 04-13 = 4 → MMD 4.0; episodes 3 (5, 3, 2) → 3.33.
            // mmdChange 4 − 6 = −2.0; percent −2 / 6 × 100 = −33.33; responder50 false.
            // Sessions [03-01, 04-16): 3. Pain drops 4, 1 → 2.5; stress drop 5 → 5.0.
            // Episodes within 72 h: S1 → 1 (03-02), S2 → 1 (03-06), S3 → 2 (04-12, 04-13 08:59)
            //   → 4 / 3 = 1.33. Baseline episodes per 72 h: 3 × 3 / 28 = 0.32.
            // By technique: scalp 2 (drops 4, 1 → 2.5; stress 5.0), neck_shoulder 1 (4.0, 5.0),
            //   swedish 1 (null, null).
            let body = try await h.analytics("/v1/patients/\(p)/analytics/massage-effect")
            try expectJSON(
                body,
                """
                {"patientId": \(p), "firstSessionAt": "2026-03-01T10:00:00Z",
                 "baseline": {"from": "2026-02-01", "to": "2026-03-01", "days": 28, "migraineDays": 6,
                              "monthlyMigraineDays": 6.0, "episodes": 3, "meanIntensity": 6.67},
                 "followUp": {"from": "2026-03-19", "to": "2026-04-16", "days": 28, "migraineDays": 4,
                              "monthlyMigraineDays": 4.0, "episodes": 3, "meanIntensity": 3.33},
                 "mmdChange": -2.0, "mmdPercentChange": -33.33, "responder50": false,
                 "sessions": 3, "meanPainDrop": 2.5, "meanStressDrop": 5.0,
                 "episodesWithin72hPerSession": 1.33, "baselineEpisodesPer72h": 0.32,
                 "byTechnique": [
                    {"technique": "scalp", "sessions": 2, "meanPainDrop": 2.5, "meanStressDrop": 5.0},
                    {"technique": "neck_shoulder", "sessions": 1, "meanPainDrop": 4.0, "meanStressDrop": 5.0},
                    {"technique": "swedish", "sessions": 1, "meanPainDrop": null, "meanStressDrop": null}],
                 "warnings": [], \(note)}
                """)
        }
    }

    @Test("a follow-up longer than the time since the first session is clipped to its date")
    func clippedFollowUp() async throws {
        try await AnalyticsHarness.run(now: Self.now) { h in
            let p = try await Self.diary(h)
            // windowDays 60: start max(04-16 − 60 = 02-15, 03-01) = 03-01, 46 days. Migraine days
            //   03-01 (the baseline's last episode runs into it), 03-02, 03-06, 03-25, 03-26, 04-12,
            //   04-13 = 7 → MMD 7 × 28 / 46 = 4.26; episodes 5: (4 + 6 + 5 + 3 + 2) / 5 = 4.0.
            // baselineDays 14: [02-15, 03-01): migraine days 02-27, 02-28 = 2 → MMD 2 × 28 / 14 = 4.0;
            //   1 episode (8); per 72 h 1 × 3 / 14 = 0.21.
            // mmdChange 4.2609 − 4 = 0.26; percent 0.2609 / 4 × 100 = 6.52 (from unrounded MMDs).
            let body = try await h.analytics("/v1/patients/\(p)/analytics/massage-effect?windowDays=60&baselineDays=14")
            let object = try #require(body.objectValue)
            try expectJSON(
                try #require(object["baseline"]),
                """
                {"from": "2026-02-15", "to": "2026-03-01", "days": 14, "migraineDays": 2,
                 "monthlyMigraineDays": 4.0, "episodes": 1, "meanIntensity": 8.0}
                """)
            try expectJSON(
                try #require(object["followUp"]),
                """
                {"from": "2026-03-01", "to": "2026-04-16", "days": 46, "migraineDays": 7,
                 "monthlyMigraineDays": 4.26, "episodes": 5, "meanIntensity": 4.0}
                """)
            #expect(object["mmdChange"] == .number(.double(0.26)))
            #expect(object["mmdPercentChange"] == .number(.double(6.52)))
            // A 14-day baseline is too short to call anyone a responder.
            #expect(object["responder50"] == .null)
            #expect(object["warnings"] == ["baseline-short"])
            #expect(object["baselineEpisodesPer72h"] == .number(.double(0.21)))
        }
    }

    @Test("a responder, and `to` before the first session leaves an empty follow-up")
    func responderAndEmptyFollowUp() async throws {
        try await AnalyticsHarness.run(now: Self.now) { h in
            let p = try await Self.diary(h)
            // to = 03-25 (as a timestamp: its UTC date): follow-up [03-01, 03-25) (24 days, clipped):
            // migraine days 03-01, 03-02, 03-06 = 3 → 3.5; baseline 6.0 → −2.5, −41.67 %.
            // windowDays 10 → [03-15, 03-25): no migraine days → 0.0: −6.0, −100 %: responder.
            let body = try await h.analytics(
                "/v1/patients/\(p)/analytics/massage-effect?to=2026-03-25T00:00:00Z&windowDays=10")
            let object = try #require(body.objectValue)
            #expect(object["followUp"]?.objectValue?["from"] == "2026-03-15")
            #expect(object["followUp"]?.objectValue?["monthlyMigraineDays"] == .number(.double(0.0)))
            #expect(object["followUp"]?.objectValue?["meanIntensity"] == .null)
            #expect(object["mmdChange"] == .number(.double(-6.0)))
            #expect(object["mmdPercentChange"] == .number(.double(-100.0)))
            #expect(object["responder50"] == true)
            // Sessions of [03-01, 03-25): S1 and S2.
            #expect(object["sessions"] == 2)

            // to = 02-20, before the first session: the follow-up is [03-01, 02-20) with 0 days,
            // its MMD and means null, so the comparisons are null; no sessions count.
            let before = try #require(
                try await h.analytics("/v1/patients/\(p)/analytics/massage-effect?to=2026-02-20").objectValue)
            try expectJSON(
                try #require(before["followUp"]),
                """
                {"from": "2026-03-01", "to": "2026-02-20", "days": 0, "migraineDays": 0,
                 "monthlyMigraineDays": null, "episodes": 0, "meanIntensity": null}
                """)
            #expect(before["baseline"]?.objectValue?["monthlyMigraineDays"] == .number(.double(6.0)))
            #expect(before["mmdChange"] == .null)
            #expect(before["mmdPercentChange"] == .null)
            #expect(before["responder50"] == .null)
            #expect(before["sessions"] == 0)
            #expect(before["meanPainDrop"] == .null)
            #expect(before["episodesWithin72hPerSession"] == .null)
            #expect(before["byTechnique"] == [])
        }
    }

    @Test("a baseline without migraine days gives no percent change")
    func zeroBaseline() async throws {
        try await AnalyticsHarness.run(now: Self.now) { h in
            let p = try await h.patient("Australia/Sydney")
            // First session 03-31 14:00Z = 04-01 01:00 AEDT: F = 04-01 (local).
            try await h.session(p, "2026-03-31T14:00:00Z", pain: (3, 3))
            try await h.episode(p, "2026-04-02T10:00:00+10:00", intensity: 5)
            // Baseline [03-04, 04-01): nothing → MMD 0.0; follow-up [04-01, 04-16): 15 days,
            // 1 migraine day → 28 / 15 = 1.87; change 1.87; percent null (baseline 0).
            let object = try #require(try await h.analytics("/v1/patients/\(p)/analytics/massage-effect").objectValue)
            #expect(object["baseline"]?.objectValue?["from"] == "2026-03-04")
            #expect(object["baseline"]?.objectValue?["monthlyMigraineDays"] == .number(.double(0.0)))
            #expect(object["followUp"]?.objectValue?["from"] == "2026-04-01")
            #expect(object["followUp"]?.objectValue?["days"] == 15)
            #expect(object["followUp"]?.objectValue?["monthlyMigraineDays"] == .number(.double(1.87)))
            #expect(object["mmdChange"] == .number(.double(1.87)))
            #expect(object["mmdPercentChange"] == .null)
            #expect(object["responder50"] == .null)
            #expect(object["baselineEpisodesPer72h"] == .number(.double(0.0)))
            #expect(object["episodesWithin72hPerSession"] == .number(.double(1.0)))
            #expect(object["meanPainDrop"] == .number(.double(0.0)))
        }
    }

    @Test("no sessions: 200 with sessions 0 and null comparisons")
    func noSessions() async throws {
        try await AnalyticsHarness.run(now: Self.now) { h in
            let p = try await h.patient()
            try await h.episode(p, "2026-04-01T10:00:00Z", intensity: 5)
            let body = try await h.analytics("/v1/patients/\(p)/analytics/massage-effect")
            try expectJSON(
                body,
                """
                {"patientId": \(p), "firstSessionAt": null, "baseline": null, "followUp": null,
                 "mmdChange": null, "mmdPercentChange": null, "responder50": null, "sessions": 0,
                 "meanPainDrop": null, "meanStressDrop": null, "episodesWithin72hPerSession": null,
                 "baselineEpisodesPer72h": null, "byTechnique": [], "warnings": [], \(note)}
                """)
        }
    }

    @Test("no diary before the first session: the change is reported with warnings, and no responder verdict")
    func warningsWithoutBaseline() async throws {
        try await AnalyticsHarness.run(now: Self.now) { h in
            let p = try await h.patient()
            // First session 04-08; today 04-15, so the follow-up [04-08, 04-16) has 8 days.
            try await h.session(p, "2026-04-08T10:00:00Z", minutes: 30, techniques: ["scalp"])
            try await h.episode(p, "2026-04-10T10:00:00Z", intensity: 5)
            try await h.episode(p, "2026-04-12T10:00:00Z", intensity: 4)
            let body = try await h.analytics("/v1/patients/\(p)/analytics/massage-effect")
            let object = try #require(body.objectValue)
            // Baseline MMD 0 (nothing recorded), follow-up 2 × 28 / 8 = 7.0.
            #expect(object["mmdChange"] == .number(.double(7.0)))
            #expect(object["responder50"] == .null)
            #expect(object["warnings"] == ["baseline-empty", "follow-up-short", "few-episodes"])
        }
    }
}
