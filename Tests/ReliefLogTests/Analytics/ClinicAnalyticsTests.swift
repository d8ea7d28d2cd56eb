import Foundation
import JSON
import TestSupport
import Testing

@testable import ReliefLog

/// `/v1/analytics/overview|techniques|therapists`, worked by hand. Windows are UTC dates;
/// today is 2026-04-15, so the default window is [2026-03-19, 2026-04-16) and the previous
/// one [2026-02-19, 2026-03-19).
@Suite("Analytics: clinic-wide")
struct ClinicAnalyticsTests {
    static let now = "2026-04-15T12:00:00Z"

    static func clinic(_ h: AnalyticsHarness) async throws -> (t1: Int, t2: Int, p1: Int, p2: Int) {
        let p1 = try await h.patient()
        let p2 = try await h.patient("America/New_York")
        _ = try await h.patient()  // no records, still a patient
        let t1 = try await h.therapist("Dana", license: "C-1")
        let t2 = try await h.therapist("Eli", license: "C-2")
        _ = try await h.therapist("Fay", license: "C-3", active: false)
        // Episodes by UTC date (the patient's zone does not matter here).
        try await h.episode(p1, "2026-04-01T10:00:00Z", intensity: 6)
        try await h.episode(p1, "2026-04-15T23:00:00Z", intensity: 8)
        try await h.episode(p2, "2026-03-19T00:30:00Z", intensity: 4)  // 03-18 in New York, 03-19 UTC: in
        try await h.episode(p2, "2026-04-16T02:00:00Z", intensity: 2)  // 04-15 in New York, 04-16 UTC: out
        try await h.episode(p1, "2026-03-18T23:59:00Z", intensity: 3)  // previous window
        try await h.episode(p2, "2026-02-19T00:00:00Z", intensity: 5)  // previous window
        // Sessions.
        try await h.session(
            p1, "2026-04-02T10:00:00Z", therapist: t1, techniques: ["scalp", "swedish"], pain: (7, 3), stress: (6, 2))
        try await h.session(p2, "2026-04-03T10:00:00Z", therapist: t1, techniques: ["scalp"], pain: (5, 4))
        try await h.session(p1, "2026-04-04T10:00:00Z", therapist: t2, techniques: ["trigger_point"], stress: (5, 5))
        try await h.session(p1, "2026-04-05T10:00:00Z", techniques: ["scalp"], pain: (4, 4), stress: (3, 1))  // self
        try await h.session(p2, "2026-03-01T10:00:00Z", therapist: t2, techniques: ["scalp"], pain: (6, 1))  // previous
        try await h.session(p1, "2026-04-16T00:00:00Z", therapist: t1, techniques: ["scalp"], pain: (9, 0))  // after
        return (t1, t2, p1, p2)
    }

    @Test("overview with the previous window")
    func overview() async throws {
        try await AnalyticsHarness.run(now: Self.now) { h in
            _ = try await Self.clinic(h)
            // Current: episodes 6, 8, 4 → 3, mean 6.0; sessions 4, pain drops 4, 1, 0 → 1.67.
            // Previous: episodes 3, 5 → 2, 4.0; sessions 1, drop 5 → 5.0.
            // Patients 3 (all of them), active therapists 2.
            let body = try await h.analytics("/v1/analytics/overview")
            // Warnings: 3 episodes in the window; the previous one starts with the first record (02-19).
            try expectJSON(
                body,
                """
                {"from": "2026-03-19", "to": "2026-04-16", "days": 28, "patients": 3, "activeTherapists": 2,
                 "episodes": 3, "sessions": 4, "meanIntensity": 6.0, "meanPainDrop": 1.67,
                 "previous": {"from": "2026-02-19", "to": "2026-03-19", "days": 28, "episodes": 2, "sessions": 1,
                              "meanIntensity": 4.0, "meanPainDrop": 5.0},
                 "warnings": ["few-episodes"], \(note)}
                """)
            // A window given by timestamps means their UTC dates: 04-01 23:00 −02:00 is 04-02 01:00Z,
            // 04-04 05:00 +09:00 is 04-03 20:00Z: [04-02, 04-03). S1 (drop 4) is in it; the
            // previous day 04-01 has one episode (6).
            let short = try await h.analytics(
                "/v1/analytics/overview?from=2026-04-01T23:00:00-02:00&to=2026-04-04T05:00:00%2B09:00")
            // Warnings: no episode in the window.
            try expectJSON(
                short,
                """
                {"from": "2026-04-02", "to": "2026-04-03", "days": 1, "patients": 3, "activeTherapists": 2,
                 "episodes": 0, "sessions": 1, "meanIntensity": null, "meanPainDrop": 4.0,
                 "previous": {"from": "2026-04-01", "to": "2026-04-02", "days": 1, "episodes": 1, "sessions": 0,
                              "meanIntensity": 6.0, "meanPainDrop": null},
                 "warnings": ["few-episodes"], \(note)}
                """)
        }
    }

    @Test("sessions per technique and per therapist")
    func groups() async throws {
        try await AnalyticsHarness.run(now: Self.now) { h in
            let (t1, t2, _, _) = try await Self.clinic(h)
            // scalp: S1, S2, S4 = 3 sessions of 2 patients; pain 4, 1, 0 → 1.67; stress 4, 2 → 3.0.
            // swedish: S1: 4.0, 4.0. trigger_point: S3: pain null, stress 0.0. Ties by name.
            let techniques = try await h.analytics("/v1/analytics/techniques")
            // Warnings: the clinic's records start 02-19, the window ends with today.
            try expectJSON(
                techniques,
                """
                {"from": "2026-03-19", "to": "2026-04-16", "days": 28, "items": [
                    {"technique": "scalp", "sessions": 3, "patients": 2, "meanPainDrop": 1.67, "meanStressDrop": 3.0},
                    {"technique": "swedish", "sessions": 1, "patients": 1, "meanPainDrop": 4.0, "meanStressDrop": 4.0},
                    {"technique": "trigger_point", "sessions": 1, "patients": 1, "meanPainDrop": null, "meanStressDrop": 0.0}],
                 "warnings": [], \(note)}
                """)
            // Professional only: Dana S1, S2 (2 patients; pain 4, 1 → 2.5; stress 4.0); Eli S3.
            let therapists = try await h.analytics("/v1/analytics/therapists")
            try expectJSON(
                therapists,
                """
                {"from": "2026-03-19", "to": "2026-04-16", "days": 28, "items": [
                    {"therapistId": \(t1), "name": "Dana", "sessions": 2, "patients": 2, "meanPainDrop": 2.5, "meanStressDrop": 4.0},
                    {"therapistId": \(t2), "name": "Eli", "sessions": 1, "patients": 1, "meanPainDrop": null, "meanStressDrop": 0.0}],
                 "warnings": [], \(note)}
                """)
            // The name is the therapist's current one; equal counts go by id.
            let renamed = try await h.call("PATCH", "/v1/therapists/\(t1)", body: #"{"name": "Dana R."}"#)
            #expect(renamed.status == 200)
            let after = try await h.analytics("/v1/analytics/therapists?from=2026-04-03&to=2026-04-05")
            try expectJSON(
                after,
                """
                {"from": "2026-04-03", "to": "2026-04-05", "days": 2, "items": [
                    {"therapistId": \(t1), "name": "Dana R.", "sessions": 1, "patients": 1, "meanPainDrop": 1.0, "meanStressDrop": null},
                    {"therapistId": \(t2), "name": "Eli", "sessions": 1, "patients": 1, "meanPainDrop": null, "meanStressDrop": 0.0}],
                 "warnings": [], \(note)}
                """)
        }
    }
}
