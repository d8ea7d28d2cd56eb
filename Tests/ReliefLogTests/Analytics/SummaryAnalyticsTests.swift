import Foundation
import JSON
import TestSupport
import Testing

@testable import ReliefLog

/// `GET /v1/patients/{id}/analytics/summary`, worked by hand. The patient lives in
/// America/New_York; DST starts there on 2026-03-08 (02:00 EST → 03:00 EDT).
@Suite("Analytics: summary")
struct SummaryAnalyticsTests {
    /// Today is 2026-03-20 in New York (12:00Z = 08:00 EDT): the default window is
    /// [2026-02-21, 2026-03-21), 28 days.
    static let now = "2026-03-20T12:00:00Z"

    /// The diary the tests read.
    static func diary(_ h: AnalyticsHarness) async throws -> (patient: Int, therapist: Int) {
        let p = try await h.patient("America/New_York")
        let t = try await h.therapist("Dana", license: "L-1")
        // E1: local 03-07 22:00 EST → 03-09 01:00 EDT: covers 03-07, 03-08, 03-09; lasts
        // 03:00Z 03-08 → 05:00Z 03-09 = 26 h (a 24 h calendar day would make it 25).
        try await h.episode(
            p, "2026-03-07T22:00:00-05:00", ended: "2026-03-09T01:00:00-04:00", intensity: 6,
            extra:
                #", "triggers": ["stress", "poor_sleep"], "symptoms": ["nausea", "photophobia"], "medications": [{"name": "Suma", "class": "triptan"}]"#
        )
        // E2: local 03-08 23:30 EDT (UTC date 03-09), ongoing: covers 03-08 only. Aura.
        // Medications: an NSAID and one without a class (ignored for overuse).
        try await h.episode(
            p, "2026-03-08T23:30:00-04:00", intensity: 4,
            extra:
                #", "aura": true, "triggers": ["stress"], "symptoms": ["nausea"], "medications": [{"name": "Ibu", "class": "nsaid"}, {"name": "Tea"}]"#
        )
        // E3: starts 02-15 (before the window) and runs to 02-22 08:00 EST: covers 02-21 and
        // 02-22 inside the window, but is not an episode *in* the window.
        try await h.episode(
            p, "2026-02-15T20:00:00-05:00", ended: "2026-02-22T08:00:00-05:00", intensity: 10,
            extra: #", "triggers": ["alcohol"], "medications": [{"name": "Ergo", "class": "ergot"}]"#)
        // E4: today 01:00–03:30 EDT, 2.5 h; two triptans the same day count as one day.
        try await h.episode(
            p, "2026-03-20T01:00:00-04:00", ended: "2026-03-20T03:30:00-04:00", intensity: 9,
            extra:
                #", "triggers": ["weather"], "medications": [{"name": "Suma", "class": "triptan"}, {"name": "Riza", "class": "triptan"}]"#
        )
        // E5: tomorrow (local 03-21), outside the window (to is exclusive).
        try await h.episode(p, "2026-03-21T00:30:00-04:00", intensity: 2, extra: #", "triggers": ["stress"]"#)
        // S1: professional, 03-10, 45 min, pain 6→3, stress 7→4.
        try await h.session(p, "2026-03-10T10:00:00-04:00", therapist: t, minutes: 45, pain: (6, 3), stress: (7, 4))
        // S2: self, local 02-21 00:15 EST (the window's first day), 20 min, pain 5→4.
        try await h.session(p, "2026-02-21T00:15:00-05:00", minutes: 20, pain: (5, 4))
        // S3: self, local 02-20 23:45 EST: before the window although its UTC date is 02-21.
        try await h.session(p, "2026-02-20T23:45:00-05:00", minutes: 30, pain: (8, 0))
        return (p, t)
    }

    @Test("default window: the 28 local days ending today")
    func defaultWindow() async throws {
        try await AnalyticsHarness.run(now: Self.now) { h in
            let (p, _) = try await Self.diary(h)
            // episodes in window: E1, E2, E4 = 3.
            // migraine days: 02-21, 02-22 (E3), 03-07, 03-08, 03-09 (E1; E2 adds nothing), 03-20 (E4) = 6;
            //   MMD = 6 × 28 / 28 = 6.0.
            // intensity: (6 + 4 + 9) / 3 = 6.333… → 6.33; median of 4, 6, 9 = 6.
            // duration: E1 26 h, E4 2.5 h (E2 ongoing): 28.5 / 2 = 14.25.
            // triggers: stress 2 (E1, E2) share 2/3 = 0.67; poor_sleep 1, weather 1: 0.33 each.
            // symptoms: nausea 2 (0.67), photophobia 1 (0.33).
            // medication days: 03-07 (E1), 03-08 (E2), 03-20 (E4) = 3.
            // overuse: nsaid 1 day → 1 × 30 / 28 = 1.07 (threshold 15);
            //          triptan 2 days (03-07, 03-20) → 60 / 28 = 2.14 (threshold 10).
            // sessions: S1 and S2 (S3 is local 02-20): 2, 1 professional, 1 self, 65 min;
            //   pain drops 3 and 1 → 2.0; stress drop only S1: 3.0.
            let body = try await h.analytics("/v1/patients/\(p)/analytics/summary")
            // Warnings: 28 days, the diary starts 02-15 (E3), 3 episodes.
            try expectJSON(
                body,
                """
                {"patientId": \(p), "from": "2026-02-21", "to": "2026-03-21", "days": 28, "episodes": 3,
                 "migraineDays": 6, "monthlyMigraineDays": 6.0, "meanIntensity": 6.33, "medianIntensity": 6.0,
                 "meanDurationHours": 14.25, "auraEpisodes": 1,
                 "topTriggers": [{"trigger": "stress", "count": 2, "share": 0.67},
                                 {"trigger": "poor_sleep", "count": 1, "share": 0.33},
                                 {"trigger": "weather", "count": 1, "share": 0.33}],
                 "topSymptoms": [{"symptom": "nausea", "count": 2, "share": 0.67},
                                 {"symptom": "photophobia", "count": 1, "share": 0.33}],
                 "medicationDays": 3,
                 "medicationOveruse": [
                    {"class": "nsaid", "days": 1, "daysPer30": 1.07, "threshold": 15, "exceeded": false},
                    {"class": "triptan", "days": 2, "daysPer30": 2.14, "threshold": 10, "exceeded": false}],
                 "sessions": 2, "professionalSessions": 1, "selfSessions": 1, "sessionMinutes": 65,
                 "meanPainDrop": 2.0, "meanStressDrop": 3.0, "warnings": ["few-episodes"], \(note)}
                """)
        }
    }

    @Test("explicit window across the DST change, from given as a timestamp")
    func timestampWindow() async throws {
        try await AnalyticsHarness.run(now: Self.now) { h in
            let (p, _) = try await Self.diary(h)
            // from = 2026-03-08T03:30:00Z = 03-07 22:30 EST → local date 03-07; to = 03-09.
            // Window [03-07, 03-09): 2 days. Episodes E1, E2; migraine days 03-07, 03-08 → 2,
            // MMD 2 × 28 / 2 = 28.0. Intensity (6 + 4) / 2 = 5.0, median 5.0; duration only E1: 26.0.
            // Overuse: triptan 1 day → 30 / 2 = 15.0 ≥ 10; nsaid 1 day → 15.0 ≥ 15: both exceeded.
            let body = try await h.analytics(
                "/v1/patients/\(p)/analytics/summary?from=2026-03-08T03:30:00Z&to=2026-03-09")
            // Warnings: 2 days, 2 episodes.
            try expectJSON(
                body,
                """
                {"patientId": \(p), "from": "2026-03-07", "to": "2026-03-09", "days": 2, "episodes": 2,
                 "migraineDays": 2, "monthlyMigraineDays": 28.0, "meanIntensity": 5.0, "medianIntensity": 5.0,
                 "meanDurationHours": 26.0, "auraEpisodes": 1,
                 "topTriggers": [{"trigger": "stress", "count": 2, "share": 1.0},
                                 {"trigger": "poor_sleep", "count": 1, "share": 0.5}],
                 "topSymptoms": [{"symptom": "nausea", "count": 2, "share": 1.0},
                                 {"symptom": "photophobia", "count": 1, "share": 0.5}],
                 "medicationDays": 2,
                 "medicationOveruse": [
                    {"class": "nsaid", "days": 1, "daysPer30": 15.0, "threshold": 15, "exceeded": true},
                    {"class": "triptan", "days": 1, "daysPer30": 15.0, "threshold": 10, "exceeded": true}],
                 "sessions": 0, "professionalSessions": 0, "selfSessions": 0, "sessionMinutes": 0,
                 "meanPainDrop": null, "meanStressDrop": null, "warnings": ["window-short", "few-episodes"], \(note)}
                """)
            // A timestamp with an offset (the + written as %2B) means its local date too:
            // 2026-03-09T00:30-04:00 is local 03-09 → the same window.
            let same = try await h.analytics(
                "/v1/patients/\(p)/analytics/summary?from=2026-03-07&to=2026-03-09T00:30:00-04:00")
            #expect(same == body)
        }
    }

    @Test("an episode starting before the window covers its first dates; other classes have no threshold")
    func coveringEpisode() async throws {
        try await AnalyticsHarness.run(now: Self.now) { h in
            let (p, _) = try await Self.diary(h)
            // Window [02-16, 02-21): E3 (starts 02-15) covers 02-16..02-20 = 5 days, starts
            // outside → episodes 0, means null, MMD 5 × 28 / 5 = 28.0, no overuse items
            // (E3's ergot is outside: only in-window episodes count for medication).
            let body = try await h.analytics("/v1/patients/\(p)/analytics/summary?from=2026-02-16&to=2026-02-21")
            // Warnings: 5 days, no episode starting in it.
            try expectJSON(
                body,
                """
                {"patientId": \(p), "from": "2026-02-16", "to": "2026-02-21", "days": 5, "episodes": 0,
                 "migraineDays": 5, "monthlyMigraineDays": 28.0, "meanIntensity": null, "medianIntensity": null,
                 "meanDurationHours": null, "auraEpisodes": 0, "topTriggers": [], "topSymptoms": [],
                 "medicationDays": 0, "medicationOveruse": [],
                 "sessions": 1, "professionalSessions": 0, "selfSessions": 1, "sessionMinutes": 30,
                 "meanPainDrop": 8.0, "meanStressDrop": null, "warnings": ["window-short", "few-episodes"], \(note)}
                """)
            // Window [02-15, 02-16): E3 starts in it: 156 h long (02-15 20:00 → 02-22 08:00 EST),
            // ergot 1 day → 30 / 1 = 30.0 ≥ 10. A gepant (no threshold) is never exceeded.
            try await h.episode(
                p, "2026-02-15T09:00:00-05:00", intensity: 3,
                extra: #", "medications": [{"name": "Rime", "class": "gepant"}]"#)
            let one = try await h.analytics("/v1/patients/\(p)/analytics/summary?from=2026-02-15&to=2026-02-16")
            // Warnings: one day, 2 episodes.
            try expectJSON(
                one,
                """
                {"patientId": \(p), "from": "2026-02-15", "to": "2026-02-16", "days": 1, "episodes": 2,
                 "migraineDays": 1, "monthlyMigraineDays": 28.0, "meanIntensity": 6.5, "medianIntensity": 6.5,
                 "meanDurationHours": 156.0, "auraEpisodes": 0,
                 "topTriggers": [{"trigger": "alcohol", "count": 1, "share": 0.5}], "topSymptoms": [],
                 "medicationDays": 1,
                 "medicationOveruse": [
                    {"class": "ergot", "days": 1, "daysPer30": 30.0, "threshold": 10, "exceeded": true},
                    {"class": "gepant", "days": 1, "daysPer30": 30.0, "threshold": null, "exceeded": false}],
                 "sessions": 0, "professionalSessions": 0, "selfSessions": 0, "sessionMinutes": 0,
                 "meanPainDrop": null, "meanStressDrop": null, "warnings": ["window-short", "few-episodes"], \(note)}
                """)
        }
    }

    @Test("an empty window and a patient without records: zeros and nulls")
    func emptyWindow() async throws {
        try await AnalyticsHarness.run(now: Self.now) { h in
            let p = try await h.patient("Australia/Sydney")
            // Today in Sydney: 2026-03-20 23:00 AEDT → window [02-21, 03-21).
            let body = try await h.analytics("/v1/patients/\(p)/analytics/summary")
            // Warnings: nothing recorded at all.
            try expectJSON(
                body,
                """
                {"patientId": \(p), "from": "2026-02-21", "to": "2026-03-21", "days": 28, "episodes": 0,
                 "migraineDays": 0, "monthlyMigraineDays": 0.0, "meanIntensity": null, "medianIntensity": null,
                 "meanDurationHours": null, "auraEpisodes": 0, "topTriggers": [], "topSymptoms": [],
                 "medicationDays": 0, "medicationOveruse": [],
                 "sessions": 0, "professionalSessions": 0, "selfSessions": 0, "sessionMinutes": 0,
                 "meanPainDrop": null, "meanStressDrop": null, "warnings": ["before-first-entry", "few-episodes"], \(note)}
                """)
        }
    }

    @Test("top lists keep 10 items, by count then name; the median of an even count averages the middle two")
    func topTen() async throws {
        try await AnalyticsHarness.run(now: "2026-05-10T12:00:00Z") { h in
            let p = try await h.patient()
            let triggers = [
                "alcohol", "bright_light", "caffeine", "dehydration", "menstruation", "muscle_tension",
                "poor_sleep", "screen_time", "skipped_meal", "strong_smell", "stress", "weather",
            ]
            // Episode k (k = 0…3) lists every trigger from index k on, so "alcohol" is listed
            // once, "bright_light" twice, "caffeine" 3 times and the other nine 4 times.
            for k in 0..<4 {
                let list = triggers.dropFirst(k).map { "\"\($0)\"" }.joined(separator: ", ")
                try await h.episode(
                    p, "2026-05-0\(k + 1)T10:00:00Z", intensity: [2, 3, 8, 10][k], extra: #", "triggers": [\#(list)]"#)
            }
            let body = try await h.analytics("/v1/patients/\(p)/analytics/summary?from=2026-05-01&to=2026-05-08")
            let top = try #require(body.objectValue?["topTriggers"]?.arrayValue)
            // Nine with 4 (share 1.0) in name order, then caffeine with 3 (0.75); 10 in all.
            #expect(top.count == 10)
            #expect(
                top.compactMap { $0.objectValue?["trigger"]?.stringValue } == [
                    "dehydration", "menstruation", "muscle_tension", "poor_sleep", "screen_time", "skipped_meal",
                    "stress", "strong_smell", "weather", "caffeine",
                ])
            #expect(top.last?.objectValue?["share"] == .number(.double(0.75)))
            // Intensities 2, 3, 8, 10: median (3 + 8) / 2 = 5.5; mean 23 / 4 = 5.75.
            #expect(body.objectValue?["medianIntensity"] == .number(.double(5.5)))
            #expect(body.objectValue?["meanIntensity"] == .number(.double(5.75)))
            // 4 days in 7: MMD 4 × 28 / 7 = 16.0.
            #expect(body.objectValue?["monthlyMigraineDays"] == .number(.double(16.0)))
        }
    }
}
