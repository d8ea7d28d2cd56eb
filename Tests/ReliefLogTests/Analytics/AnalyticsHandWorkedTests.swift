import Foundation
import TestSupport
import Testing

// Small diaries whose every figure is worked out by hand in the comments. Each case is
// asserted twice: the oracle must reproduce the hand figures (so the oracle itself is checked),
// and the service must answer them.

private func withApp(now: Int64, _ body: (AnalyticsAPI) async throws -> Void) async throws {
    let app = try TestApp { $0.clock = { now } }
    do {
        try await body(try AnalyticsAPI(app))
    } catch {
        await app.stop()
        throw error
    }
    await app.stop()
}

/// Compares a response with a hand-written expectation and with the oracle's.
private func expectBoth(
    _ api: AnalyticsAPI, _ path: String, hand: Expected, oracle: Expected,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    // The oracle against the hand figures: both sides rendered as the service would send them.
    var self_ = OracleComparison()
    self_.compare(hand, render(oracle), "")
    #expect(
        self_.differences.isEmpty,
        "oracle disagrees with the hand figures for \(path):\n\(self_.differences.joined(separator: "\n"))",
        sourceLocation: sourceLocation)
    let response = try await api.get(path)
    try #require(
        response.status == 200, "GET \(path): \(response.status) \(response.text)", sourceLocation: sourceLocation)
    var service = OracleComparison()
    service.compare(hand, response.json, "")
    #expect(
        service.differences.isEmpty,
        "GET \(path) differs from the hand figures:\n\(service.differences.joined(separator: "\n"))",
        sourceLocation: sourceLocation)
}

/// An expectation rendered as Foundation would parse the JSON a correct server sends.
private func render(_ expected: Expected) -> Any {
    switch expected {
    case .int(let value): value.map { NSNumber(value: $0) } ?? NSNull()
    case .number(let value): value.map { NSNumber(value: OracleComparison.round2($0)) } ?? NSNull()
    case .string(let value): value ?? NSNull()
    case .bool(let value): value.map { NSNumber(value: $0) } ?? NSNull()
    case .instant(let value):
        value.map { PropertyTimestamp.format($0, offsetMinutes: 0, fractionDigits: 3) } ?? NSNull()
    case .object(let members): Dictionary(members.map { ($0.0, render($0.1)) }, uniquingKeysWith: { a, _ in a })
    case .array(let elements): elements.map(render)
    case .ifPresent(let inner): render(inner)
    }
}

private let expectedNote = Expected.string(Oracle.note)

private func n(_ value: Double?) -> Expected { .number(value) }

@Suite("Analytics: hand-worked cases")
struct AnalyticsHandWorkedTests {
    @Test("the oracle's calendar: offsets and local dates across DST changes")
    func calendar() {
        // Berlin leaves winter time at 2026-03-29T01:00Z: 00:59:59Z is 01:59:59+01:00, 01:00Z is 03:00+02:00.
        let berlin = ZoneDays("Europe/Berlin")
        #expect(berlin.offsetSeconds(PropertyTimestamp.parse("2026-03-29T00:59:59Z")!) == 3600)
        #expect(berlin.offsetSeconds(PropertyTimestamp.parse("2026-03-29T01:00:00Z")!) == 7200)
        // 2026-03-29T22:30Z is 00:30 on 30 March in summer time (23:30 on the 29th in winter time).
        #expect(CivilDay.format(berlin.day(PropertyTimestamp.parse("2026-03-29T22:30:00Z")!)) == "2026-03-30")
        // Chatham leaves DST at 2026-04-04T14:00Z (03:45+13:45 becomes 02:45+12:45).
        let chatham = ZoneDays("Pacific/Chatham")
        #expect(chatham.offsetSeconds(PropertyTimestamp.parse("2026-04-04T13:59:59Z")!) == 49_500)
        #expect(chatham.offsetSeconds(PropertyTimestamp.parse("2026-04-04T14:00:00Z")!) == 45_900)
        #expect(CivilDay.format(chatham.day(PropertyTimestamp.parse("2026-04-05T11:00:00Z")!)) == "2026-04-05")
        #expect(CivilDay.format(chatham.day(PropertyTimestamp.parse("2026-04-05T11:30:00Z")!)) == "2026-04-06")
        // New York: 2025-11-02T05:30Z is 01:30-04:00, 06:30Z is 01:30-05:00: the same wall time, one day.
        let newYork = ZoneDays("America/New_York")
        #expect(
            newYork.day(PropertyTimestamp.parse("2025-11-02T05:30:00Z")!)
                == newYork.day(PropertyTimestamp.parse("2025-11-02T06:30:00Z")!))
        #expect(CivilDay.format(newYork.day(PropertyTimestamp.parse("2025-11-02T04:30:00Z")!)) == "2025-11-02")
        #expect(CivilDay.format(newYork.day(PropertyTimestamp.parse("2025-11-02T03:59:59Z")!)) == "2025-11-01")
        // Day arithmetic: 1970-01-01 is day 0, a Thursday; 2026-03-29 is a Sunday; ISO week starts Monday 23 March.
        #expect(CivilDay.parse("1970-01-01") == 0)
        #expect(CivilDay.format(CivilDay.monday(CivilDay.parse("2026-03-29")!)) == "2026-03-23")
        #expect(CivilDay.format(CivilDay.monday(CivilDay.parse("2026-03-30")!)) == "2026-03-30")
        #expect(CivilDay.format(CivilDay.addMonths(CivilDay.parse("2026-01-01")!, -11)) == "2025-02-01")
        #expect(CivilDay.format(CivilDay.addMonths(CivilDay.parse("2024-12-01")!, 3)) == "2025-03-01")
        #expect(
            PatientDiary.buckets(.month, CivilDay.parse("2024-01-31")!..<CivilDay.parse("2024-03-02")!).map {
                CivilDay.format($0.lowerBound) + "/" + CivilDay.format($0.upperBound)
            }
                == ["2024-01-31/2024-02-01", "2024-02-01/2024-03-01", "2024-03-01/2024-03-02"])
    }

    // A Berlin diary around the switch to summer time (Sunday 2026-03-29, 01:00Z), read on
    // Tuesday 2026-03-31 at 10:00Z (12:00 CEST): today = 03-31, default window [03-04, 04-01), 28 days.
    //
    //   A  2026-03-28T23:30+01:00 .. 2026-03-29T01:30Z (03:30 CEST)   3 h, covers 03-28, 03-29; intensity 6, aura,
    //      triggers stress, poor_sleep; symptoms nausea
    //   B  2026-03-29T22:30Z = 03-30 00:30 CEST, ongoing                  covers 03-30 only; intensity 4;
    //      triggers stress; symptoms nausea, photophobia        (a fixed +01:00 would put it on 03-29)
    //   C  2026-03-20T10:00Z .. 03-22T10:00Z                              48 h, covers 03-20..22; intensity 8,
    //      medications triptan + nsaid; triggers weather
    //   D  2026-02-25T12:00Z .. 03-05T12:00Z                              starts before the window, covers
    //      02-25..03-05 (03-04, 03-05 inside); intensity 9; nsaid
    //   E  2026-03-31T22:30Z = 04-01 00:30 CEST                          after the window locally (UTC: 03-31); intensity 10
    //   S1 self, 2026-03-29T09:00Z, 30 min, scalp + neck_shoulder, pain 6→2, stress 5→4
    //   S2 professional (therapist T), 2026-03-30T15:00Z, 60 min, scalp, pain 7→4, no stress
    static let berlinNow: Int64 = 1_774_951_200_000  // 2026-03-31T10:00:00Z

    private func seedBerlin(_ api: AnalyticsAPI) async throws -> (patient: Int, therapist: Int) {
        let therapist = try await api.create(
            "therapists", ["name": "Jürgen", "licenseNumber": "B-1", "techniques": ["scalp"]])
        _ = try await api.create("therapists", ["name": "Off", "licenseNumber": "B-2", "active": false])
        let patient = try await api.create("patients", ["displayName": "Hand", "timezone": "Europe/Berlin"])
        let episodes: [[String: Any]] = [
            [
                "startedAt": "2026-03-28T23:30:00+01:00", "endedAt": "2026-03-29T01:30:00Z", "intensity": 6,
                "aura": true,
                "triggers": ["stress", "poor_sleep"], "symptoms": ["nausea"],
            ],
            [
                "startedAt": "2026-03-29T22:30:00Z", "intensity": 4, "triggers": ["stress"],
                "symptoms": ["nausea", "photophobia"],
            ],
            [
                "startedAt": "2026-03-20T10:00:00Z", "endedAt": "2026-03-22T10:00:00Z", "intensity": 8,
                "triggers": ["weather"],
                "medications": [
                    ["name": "Sumatriptan", "class": "triptan"],
                    ["name": "Ibuprofen", "class": "nsaid", "doseMg": 400],
                ],
            ],
            [
                "startedAt": "2026-02-25T12:00:00Z", "endedAt": "2026-03-05T12:00:00Z", "intensity": 9,
                "medications": [["name": "Ibuprofen", "class": "nsaid"]],
            ],
            ["startedAt": "2026-03-31T22:30:00Z", "intensity": 10],
        ]
        for var episode in episodes {
            episode["patientId"] = patient
            _ = try await api.create("episodes", episode)
        }
        _ = try await api.create(
            "sessions",
            [
                "patientId": patient, "kind": "self", "startedAt": "2026-03-29T09:00:00Z", "durationMinutes": 30,
                "techniques": ["scalp", "neck_shoulder"], "painBefore": 6, "painAfter": 2, "stressBefore": 5,
                "stressAfter": 4,
            ])
        _ = try await api.create(
            "sessions",
            [
                "patientId": patient, "kind": "professional", "therapistId": therapist,
                "startedAt": "2026-03-30T15:00:00Z",
                "durationMinutes": 60, "techniques": ["scalp"], "painBefore": 7, "painAfter": 4,
            ])
        return (patient, therapist)
    }

    @Test("Berlin across the switch to summer time: summary, trends, massage-effect, clinic")
    func berlin() async throws {
        try await withApp(now: Self.berlinNow) { api in
            let (patient, therapist) = try await seedBerlin(api)
            let data = try await api.readAll()
            let diary = PatientDiary(patient: data.patients[0], data: data, now: Self.berlinNow)
            let clinic = ClinicOracle(data: data, now: Self.berlinNow)
            let base = "/v1/patients/\(patient)/analytics"
            let window = diary.defaultSummaryWindow(now: Self.berlinNow)

            // Summary over [03-04, 04-01): episodes A, B, C (D started before, E after) = 3.
            // Migraine days: D 03-04, 03-05; C 03-20..22; A 03-28, 03-29; B 03-30 = 8; MMD 8 × 28 / 28 = 8.
            // Intensity 6, 4, 8: mean 6, median 6. Durations: A 3 h, C 48 h (B ongoing) → 25.5.
            // Triggers: stress 2 (2/3 = 0.67), then poor_sleep and weather 1 (0.33) by name.
            // Medication days: C's start date only = 1. Overuse by class name: nsaid and triptan,
            // 1 day each, 1 × 30 / 28 = 1.0714 → 1.07, thresholds 15 and 10, not exceeded.
            // Sessions S1 + S2: 2 (1 professional, 1 self), 90 minutes, pain drops 4 and 3 → 3.5,
            // stress drop 1 (S1 only) → 1.
            let summary: Expected = .object([
                ("patientId", .int(patient)), ("from", .string("2026-03-04")), ("to", .string("2026-04-01")),
                ("days", .int(28)),
                ("episodes", .int(3)), ("migraineDays", .int(8)), ("monthlyMigraineDays", n(8)),
                ("meanIntensity", n(6)), ("medianIntensity", n(6)), ("meanDurationHours", n(25.5)),
                ("auraEpisodes", .int(1)),
                (
                    "topTriggers",
                    .array([
                        .object([("trigger", .string("stress")), ("count", .int(2)), ("share", n(0.67))]),
                        .object([("trigger", .string("poor_sleep")), ("count", .int(1)), ("share", n(0.33))]),
                        .object([("trigger", .string("weather")), ("count", .int(1)), ("share", n(0.33))]),
                    ])
                ),
                (
                    "topSymptoms",
                    .array([
                        .object([("symptom", .string("nausea")), ("count", .int(2)), ("share", n(0.67))]),
                        .object([("symptom", .string("photophobia")), ("count", .int(1)), ("share", n(0.33))]),
                    ])
                ),
                ("medicationDays", .int(1)),
                (
                    "medicationOveruse",
                    .array([
                        .object([
                            ("class", .string("nsaid")), ("days", .int(1)), ("daysPer30", n(1.07)),
                            ("threshold", .int(15)), ("exceeded", .bool(false)),
                        ]),
                        .object([
                            ("class", .string("triptan")), ("days", .int(1)), ("daysPer30", n(1.07)),
                            ("threshold", .int(10)), ("exceeded", .bool(false)),
                        ]),
                    ])
                ),
                ("sessions", .int(2)), ("professionalSessions", .int(1)), ("selfSessions", .int(1)),
                ("sessionMinutes", .int(90)),
                ("meanPainDrop", n(3.5)), ("meanStressDrop", n(1)), ("note", expectedNote),
            ])
            try await expectBoth(api, "\(base)/summary", hand: summary, oracle: diary.summary(window))
            try await expectBoth(
                api, "\(base)/summary?from=2026-03-04&to=2026-04-01", hand: summary, oracle: diary.summary(window))

            // Trends by day over [03-28, 04-01):
            //   03-28: A starts (1, intensity 6); covered by A        → migraine 1
            //   03-29: A still covers it; S1 (30 min, drop 4)         → migraine 1, intensity null
            //   03-30: B starts (intensity 4) and covers it; S2 (60 min, drop 3)
            //   03-31: nothing (B is ongoing: only its start date)    → migraine 0
            // migraineDays 1,1,1,0 over x 0..3: x̄ 1.5, ȳ 0.75, Σ(x−x̄)(y−ȳ) = −1.5, Σ(x−x̄)² = 5 → −0.3.
            // Intensity points (0, 6), (2, 4) → slope −1.
            func bucket(
                _ start: String, _ end: String, _ episodes: Int, _ migraine: Int, _ intensity: Double?,
                _ sessions: Int, _ minutes: Int, _ pain: Double?, peak: Int?
            ) -> Expected {
                .object([
                    ("start", .string(start)), ("end", .string(end)), ("episodes", .int(episodes)),
                    ("migraineDays", .int(migraine)),
                    ("meanIntensity", n(intensity)), ("sessions", .int(sessions)), ("sessionMinutes", .int(minutes)),
                    ("meanPainDrop", n(pain)), ("peakIntensity", .int(peak)),
                ])
            }
            let daily: Expected = .object([
                ("patientId", .int(patient)), ("bucket", .string("day")), ("from", .string("2026-03-28")),
                ("to", .string("2026-04-01")),
                (
                    "buckets",
                    .array([
                        bucket("2026-03-28", "2026-03-29", 1, 1, 6, 0, 0, nil, peak: 6),
                        bucket("2026-03-29", "2026-03-30", 0, 1, nil, 1, 30, 4, peak: 6),
                        bucket("2026-03-30", "2026-03-31", 1, 1, 4, 1, 60, 3, peak: 4),
                        bucket("2026-03-31", "2026-04-01", 0, 0, nil, 0, 0, nil, peak: nil),
                    ])
                ),
                ("trend", .object([("migraineDaysSlope", n(-0.3)), ("meanIntensitySlope", n(-1))])),
                ("note", expectedNote),
            ])
            let dailyWindow = CivilDay.parse("2026-03-28")!..<CivilDay.parse("2026-04-01")!
            try await expectBoth(
                api, "\(base)/trends?bucket=day&from=2026-03-28&to=2026-04-01", hand: daily,
                oracle: diary.trends(.day, dailyWindow))

            // Trends by week from Wednesday 03-25 to 04-01: the week of Monday 03-23 clipped to
            // [03-25, 03-30) — A (6), migraine 03-28 and 03-29, S1 — and [03-30, 04-01) — B (4), 03-30, S2.
            // Slopes: (0, 2), (1, 1) → −1; (0, 6), (1, 4) → −2.
            let weekly: Expected = .object([
                ("patientId", .int(patient)), ("bucket", .string("week")), ("from", .string("2026-03-25")),
                ("to", .string("2026-04-01")),
                (
                    "buckets",
                    .array([
                        bucket("2026-03-25", "2026-03-30", 1, 2, 6, 1, 30, 4, peak: 6),
                        bucket("2026-03-30", "2026-04-01", 1, 1, 4, 1, 60, 3, peak: 4),
                    ])
                ),
                ("trend", .object([("migraineDaysSlope", n(-1)), ("meanIntensitySlope", n(-2))])),
                ("note", expectedNote),
            ])
            let weeklyWindow = CivilDay.parse("2026-03-25")!..<CivilDay.parse("2026-04-01")!
            try await expectBoth(
                api, "\(base)/trends?bucket=week&from=2026-03-25&to=2026-04-01", hand: weekly,
                oracle: diary.trends(.week, weeklyWindow))

            // Massage effect, defaults. First session S1 at 2026-03-29T09:00Z: F = 03-29.
            // Baseline [03-01, 03-29), 28 days: episodes C, A (2, intensity (8 + 6) / 2 = 7);
            //   migraine days D 03-01..05 (5), C (3), A 03-28 (1) = 9 → MMD 9.
            // Follow-up: end 04-01, start max(04-01 − 28, 03-29) = 03-29, 3 days: B (1, intensity 4);
            //   migraine days 03-29 (A), 03-30 (B) = 2 → MMD 2 × 28 / 3 = 18.667 → 18.67.
            // Change 18.667 − 9 = 9.667 → 9.67; percent 9.667 / 9 × 100 = 107.41; not a responder.
            // Sessions since F: S1, S2 → pain 3.5, stress 1.
            // 72 h after S1 (to 04-01T09:00Z): B and E → 2; after S2 (to 04-02T15:00Z): E → 1; mean 1.5.
            // Baseline episodes per 72 h: 2 × 3 / 28 = 0.214 → 0.21.
            // By technique: scalp (S1, S2: pain 3.5, stress 1), neck_shoulder (S1: pain 4, stress 1).
            let effect: Expected = .object([
                ("firstSessionAt", .instant(PropertyTimestamp.parse("2026-03-29T09:00:00Z")!)),
                (
                    "baseline",
                    .object([
                        ("from", .string("2026-03-01")), ("to", .string("2026-03-29")), ("days", .int(28)),
                        ("migraineDays", .int(9)),
                        ("monthlyMigraineDays", n(9)), ("episodes", .int(2)), ("meanIntensity", n(7)),
                    ])
                ),
                (
                    "followUp",
                    .object([
                        ("from", .string("2026-03-29")), ("to", .string("2026-04-01")), ("days", .int(3)),
                        ("migraineDays", .int(2)),
                        ("monthlyMigraineDays", n(18.67)), ("episodes", .int(1)), ("meanIntensity", n(4)),
                    ])
                ),
                ("mmdChange", n(9.67)), ("mmdPercentChange", n(107.41)), ("responder50", .bool(false)),
                ("sessions", .int(2)), ("meanPainDrop", n(3.5)), ("meanStressDrop", n(1)),
                ("episodesWithin72hPerSession", n(1.5)), ("baselineEpisodesPer72h", n(0.21)),
                (
                    "byTechnique",
                    .array([
                        .object([
                            ("technique", .string("scalp")), ("sessions", .int(2)), ("meanPainDrop", n(3.5)),
                            ("meanStressDrop", n(1)),
                        ]),
                        .object([
                            ("technique", .string("neck_shoulder")), ("sessions", .int(1)), ("meanPainDrop", n(4)),
                            ("meanStressDrop", n(1)),
                        ]),
                    ])
                ),
                ("note", expectedNote),
            ])
            try await expectBoth(
                api, "\(base)/massage-effect", hand: effect,
                oracle: diary.massageEffect(baselineDays: 28, windowDays: 28, end: window.upperBound))

            // Clinic, UTC days [03-04, 04-01): episodes A (03-28Z), B (03-29Z), C, E (03-31Z) = 4,
            // intensity (6 + 4 + 8 + 10) / 4 = 7; sessions 2, pain 3.5. Previous [02-04, 03-04): D only
            // (intensity 9), no sessions. One patient; one active therapist of two.
            let overview: Expected = .object([
                ("from", .string("2026-03-04")), ("to", .string("2026-04-01")), ("days", .int(28)),
                ("patients", .int(1)), ("activeTherapists", .int(1)),
                ("episodes", .int(4)), ("sessions", .int(2)), ("meanIntensity", n(7)), ("meanPainDrop", n(3.5)),
                (
                    "previous",
                    .object([
                        ("episodes", .int(1)), ("sessions", .int(0)), ("meanIntensity", n(9)), ("meanPainDrop", n(nil)),
                    ])
                ),
                ("note", expectedNote),
            ])
            let utcWindow = ClinicOracle.defaultWindow(now: Self.berlinNow)
            try await expectBoth(api, "/v1/analytics/overview", hand: overview, oracle: clinic.overview(utcWindow))
            let techniques: Expected = .object([
                (
                    "items",
                    .array([
                        .object([
                            ("technique", .string("scalp")), ("sessions", .int(2)), ("patients", .int(1)),
                            ("meanPainDrop", n(3.5)), ("meanStressDrop", n(1)),
                        ]),
                        .object([
                            ("technique", .string("neck_shoulder")), ("sessions", .int(1)), ("patients", .int(1)),
                            ("meanPainDrop", n(4)), ("meanStressDrop", n(1)),
                        ]),
                    ])
                ), ("note", expectedNote),
            ])
            try await expectBoth(
                api, "/v1/analytics/techniques", hand: techniques, oracle: clinic.techniques(utcWindow))
            // Only S2 is professional: therapist T, 1 session, pain 3, no stress figures.
            let therapists: Expected = .object([
                (
                    "items",
                    .array([
                        .object([
                            ("therapistId", .int(therapist)), ("name", .string("Jürgen")), ("sessions", .int(1)),
                            ("patients", .int(1)),
                            ("meanPainDrop", n(3)), ("meanStressDrop", n(nil)),
                        ])
                    ])
                ), ("note", expectedNote),
            ])
            try await expectBoth(
                api, "/v1/analytics/therapists", hand: therapists, oracle: clinic.therapists(utcWindow))
        }
    }

    // Chatham (+13:45 in DST, +12:45 after 2026-04-04T14:00Z), read at 2026-04-05T12:00Z =
    // 2026-04-06 00:45 local: today = 04-06, default window [03-10, 04-07).
    //   X 2026-04-04T10:30Z = 04-05 00:15+13:45, ongoing, intensity 3
    //   Y 2026-04-05T11:00Z = 04-05 23:45+12:45, ongoing, intensity 7   (with +13:45 it would be 04-06)
    //   Z 2026-04-05T11:30Z = 04-06 00:15+12:45 .. 11:45Z (15 min), intensity 5
    static let chathamNow: Int64 = 1_775_390_400_000  // 2026-04-05T12:00:00Z

    @Test("Chatham after leaving DST: local dates of a 45-minute-offset zone, timestamp windows")
    func chatham() async throws {
        try await withApp(now: Self.chathamNow) { api in
            let patient = try await api.create("patients", ["displayName": "Mere", "timezone": "Pacific/Chatham"])
            for episode: [String: Any] in [
                ["startedAt": "2026-04-04T10:30:00Z", "intensity": 3],
                ["startedAt": "2026-04-05T23:45:00+12:45", "intensity": 7],
                ["startedAt": "2026-04-05T11:30:00Z", "endedAt": "2026-04-05T11:45:00Z", "intensity": 5],
            ] {
                var body = episode
                body["patientId"] = patient
                _ = try await api.create("episodes", body)
            }
            let data = try await api.readAll()
            let diary = PatientDiary(patient: data.patients[0], data: data, now: Self.chathamNow)
            let base = "/v1/patients/\(patient)/analytics/summary"
            func summary(
                _ from: String, _ to: String, days: Int, episodes: Int, migraine: Int, mmd: Double,
                mean: Double?, median: Double?, hours: Double?
            ) -> Expected {
                .object([
                    ("patientId", .int(patient)), ("from", .string(from)), ("to", .string(to)), ("days", .int(days)),
                    ("episodes", .int(episodes)), ("migraineDays", .int(migraine)), ("monthlyMigraineDays", n(mmd)),
                    ("meanIntensity", n(mean)), ("medianIntensity", n(median)), ("meanDurationHours", n(hours)),
                    ("auraEpisodes", .int(0)), ("topTriggers", .array([])), ("topSymptoms", .array([])),
                    ("medicationDays", .int(0)), ("medicationOveruse", .array([])),
                    ("sessions", .int(0)), ("professionalSessions", .int(0)), ("selfSessions", .int(0)),
                    ("sessionMinutes", .int(0)),
                    ("meanPainDrop", n(nil)), ("meanStressDrop", n(nil)), ("note", expectedNote),
                ])
            }
            // [04-05, 04-06): X and Y (1 day) → MMD 28; intensities 3, 7 → mean 5, median 5; both ongoing.
            try await expectBoth(
                api, "\(base)?from=2026-04-05&to=2026-04-06",
                hand: summary(
                    "2026-04-05", "2026-04-06", days: 1, episodes: 2, migraine: 1, mmd: 28, mean: 5, median: 5,
                    hours: nil),
                oracle: diary.summary(CivilDay.parse("2026-04-05")!..<CivilDay.parse("2026-04-06")!))
            // Default [03-10, 04-07), 28 days: X, Y, Z; migraine days 04-05, 04-06 → MMD 2; mean 5,
            // median 5; only Z ended: 0.25 h.
            try await expectBoth(
                api, base,
                hand: summary(
                    "2026-03-10", "2026-04-07", days: 28, episodes: 3, migraine: 2, mmd: 2, mean: 5, median: 5,
                    hours: 0.25),
                oracle: diary.summary(diary.defaultSummaryWindow(now: Self.chathamNow)))
            // Timestamps stand for their local dates: 2026-04-04T10:00Z is 04-04 23:45 local,
            // 2026-04-06T00:15+12:45 is 04-06 → [04-04, 04-06): X, Y; 1 migraine day of 2 → MMD 14.
            let from = "2026-04-04T10:00:00Z", to = "2026-04-06T00:15:00+12:45"
            try await expectBoth(
                api, "\(base)?from=\(AnalyticsAPI.encode(from))&to=\(AnalyticsAPI.encode(to))",
                hand: summary(
                    "2026-04-04", "2026-04-06", days: 2, episodes: 2, migraine: 1, mmd: 14, mean: 5, median: 5,
                    hours: nil),
                oracle: diary.summary(diary.queryDay(from)..<diary.queryDay(to)))
            // No sessions: massage-effect answers 200 with sessions 0 and null comparisons.
            let empty: Expected = .object([
                ("firstSessionAt", .instant(nil)), ("sessions", .int(0)), ("baseline", .int(nil)),
                ("followUp", .int(nil)),
                ("mmdChange", n(nil)), ("mmdPercentChange", n(nil)), ("responder50", .bool(nil)),
                ("meanPainDrop", n(nil)),
                ("meanStressDrop", n(nil)), ("episodesWithin72hPerSession", n(nil)), ("baselineEpisodesPer72h", n(nil)),
                ("byTechnique", .array([])), ("note", expectedNote),
            ])
            try await expectBoth(
                api, "/v1/patients/\(patient)/analytics/massage-effect", hand: empty,
                oracle: diary.massageEffect(baselineDays: 28, windowDays: 28, end: diary.today(Self.chathamNow) + 1))
        }
    }

    // Boundaries, UTC patients, read at 2026-06-30T12:00Z.
    //
    // Overuse over [06-01, 06-22), 21 days. A triptan on 7 distinct start dates (06-01 twice,
    // 04, 07, 10, 13, 16, 19): 7 × 30 / 21 = 10 exactly = the threshold → exceeded. NSAID on 06-04
    // and 06-07: 2 × 30 / 21 = 2.857 → 2.86 of 15. "other" on 06-10: no threshold. A medication
    // without a class on 06-13 only adds to medicationDays (7 dates, all listing something).
    //
    // Responder: first session 05-01T10:00Z, F = 05-01. Baseline [04-03, 05-01): one-day episodes on
    // 04-05, 04-10, 04-15, 04-20 → 4 days, MMD 4. Follow-up to 06-01, 28 days: [05-04, 06-01):
    // episodes 05-10, 05-20 → MMD 2. Change −2, percent −2 / 4 × 100 = −50 exactly → responder.
    // The 05-02 episode is in neither window but within 72 h of the session (→ 1 per session).
    // The 06-10 session is after `to`: sessions since F = 1 (swedish, pain 5 → 3, no stress).
    // Baseline episodes per 72 h: 4 × 3 / 28 = 0.4286 → 0.43.
    static let boundaryNow: Int64 = 1_782_820_800_000  // 2026-06-30T12:00:00Z

    @Test("boundaries: overuse at exactly its threshold, a responder at exactly -50 %")
    func boundaries() async throws {
        try await withApp(now: Self.boundaryNow) { api in
            let overusePatient = try await api.create("patients", ["displayName": "Overuse"])
            func episode(
                _ patient: Int, _ day: String, hour: String = "08", _ medications: [[String: Any]] = []
            ) async throws {
                _ = try await api.create(
                    "episodes",
                    [
                        "patientId": patient, "startedAt": "2026-\(day)T\(hour):00:00Z",
                        "endedAt": "2026-\(day)T\(hour):30:00Z", "intensity": 5, "medications": medications,
                    ])
            }
            let triptan: [String: Any] = ["name": "Sumatriptan", "class": "triptan"]
            let nsaid: [String: Any] = ["name": "Ibuprofen", "class": "nsaid"]
            try await episode(overusePatient, "06-01", [triptan])
            try await episode(overusePatient, "06-01", hour: "20", [triptan])
            try await episode(overusePatient, "06-04", [triptan, nsaid])
            try await episode(overusePatient, "06-07", [nsaid, triptan])
            try await episode(overusePatient, "06-10", [triptan, ["name": "Feverfew", "class": "other"]])
            try await episode(overusePatient, "06-13", [triptan, ["name": "Tea"]])
            try await episode(overusePatient, "06-16", [triptan])
            try await episode(overusePatient, "06-19", [triptan])
            try await episode(overusePatient, "06-22", [triptan])  // the window's end: excluded

            let responder = try await api.create("patients", ["displayName": "Responder", "timezone": "UTC"])
            for day in ["04-05", "04-10", "04-15", "04-20", "05-02", "05-10", "05-20"] {
                try await episode(responder, day)
            }
            _ = try await api.create(
                "sessions",
                [
                    "patientId": responder, "kind": "self", "startedAt": "2026-05-01T10:00:00Z",
                    "durationMinutes": 15, "techniques": ["swedish"], "painBefore": 5, "painAfter": 3,
                ])
            _ = try await api.create(
                "sessions",
                [
                    "patientId": responder, "kind": "self", "startedAt": "2026-06-10T10:00:00Z",
                    "durationMinutes": 15, "techniques": ["scalp"], "painBefore": 9, "painAfter": 0,
                ])

            let data = try await api.readAll()
            let overuse = PatientDiary(patient: data.patients[0], data: data, now: Self.boundaryNow)
            let window = CivilDay.parse("2026-06-01")!..<CivilDay.parse("2026-06-22")!
            let oracle = overuse.summary(window)
            var handRun = OracleComparison()
            // Only the medication members are hand-worked here; the rest of the summary is the oracle's.
            let hand: Expected = .object([
                ("days", .int(21)), ("episodes", .int(8)), ("medicationDays", .int(7)),
                (
                    "medicationOveruse",
                    .array([
                        .object([
                            ("class", .string("nsaid")), ("days", .int(2)), ("daysPer30", n(2.86)),
                            ("threshold", .int(15)), ("exceeded", .bool(false)),
                        ]),
                        .object([
                            ("class", .string("other")), ("days", .int(1)), ("daysPer30", n(1.43)),
                            ("threshold", .int(nil)), ("exceeded", .bool(false)),
                        ]),
                        .object([
                            ("class", .string("triptan")), ("days", .int(7)), ("daysPer30", n(10)),
                            ("threshold", .int(10)), ("exceeded", .bool(true)),
                        ]),
                    ])
                ),
            ])
            handRun.compare(hand, render(oracle), "")
            #expect(handRun.differences.isEmpty, "oracle: \(handRun.differences)")
            let path = "/v1/patients/\(overusePatient)/analytics/summary?from=2026-06-01&to=2026-06-22"
            try await expectBoth(api, path, hand: hand, oracle: oracle)
            try await expectBoth(api, path, hand: oracle, oracle: oracle)

            let diary = PatientDiary(patient: data.patients[1], data: data, now: Self.boundaryNow)
            let effect: Expected = .object([
                ("firstSessionAt", .instant(PropertyTimestamp.parse("2026-05-01T10:00:00Z")!)),
                (
                    "baseline",
                    .object([
                        ("from", .string("2026-04-03")), ("to", .string("2026-05-01")), ("days", .int(28)),
                        ("migraineDays", .int(4)),
                        ("monthlyMigraineDays", n(4)), ("episodes", .int(4)), ("meanIntensity", n(5)),
                    ])
                ),
                (
                    "followUp",
                    .object([
                        ("from", .string("2026-05-04")), ("to", .string("2026-06-01")), ("days", .int(28)),
                        ("migraineDays", .int(2)),
                        ("monthlyMigraineDays", n(2)), ("episodes", .int(2)), ("meanIntensity", n(5)),
                    ])
                ),
                ("mmdChange", n(-2)), ("mmdPercentChange", n(-50)), ("responder50", .bool(true)),
                ("sessions", .int(1)), ("meanPainDrop", n(2)), ("meanStressDrop", n(nil)),
                ("episodesWithin72hPerSession", n(1)), ("baselineEpisodesPer72h", n(0.43)),
                (
                    "byTechnique",
                    .array([
                        .object([
                            ("technique", .string("swedish")), ("sessions", .int(1)), ("meanPainDrop", n(2)),
                            ("meanStressDrop", n(nil)),
                        ])
                    ])
                ),
                ("note", expectedNote),
            ])
            try await expectBoth(
                api, "/v1/patients/\(responder)/analytics/massage-effect?to=2026-06-01", hand: effect,
                oracle: diary.massageEffect(baselineDays: 28, windowDays: 28, end: CivilDay.parse("2026-06-01")!))
        }
    }

    // A slope that rounds to zero from below. Daily buckets over [06-01, 06-29), 28 days, with one
    // migraine day, 06-06 (index 5): x̄ = 13.5, Σ(x − x̄)² = 28 × (28² − 1) / 12 = 1827,
    // Σ(x − x̄)(y − ȳ) = 5 − 13.5 = −8.5 (a single 1 among zeros), slope −8.5 / 1827 = −0.00465,
    // which rounds to 0 and must be written 0 (or 0.0), not -0.0. One intensity point: null.
    @Test("a slope rounding to zero from below is written as 0, not -0.0")
    func negativeZero() async throws {
        try await withApp(now: Self.boundaryNow) { api in
            let patient = try await api.create("patients", ["displayName": "Flat"])
            _ = try await api.create(
                "episodes",
                [
                    "patientId": patient, "startedAt": "2026-06-06T08:00:00Z", "endedAt": "2026-06-06T09:00:00Z",
                    "intensity": 4,
                ])
            let path = "/v1/patients/\(patient)/analytics/trends?bucket=day&from=2026-06-01&to=2026-06-29"
            let data = try await api.readAll()
            let expected = PatientDiary(patient: data.patients[0], data: data, now: Self.boundaryNow).trends(
                .day, CivilDay.parse("2026-06-01")!..<CivilDay.parse("2026-06-29")!)
            try await expectBoth(
                api, path,
                hand: .object([("trend", .object([("migraineDaysSlope", n(0)), ("meanIntensitySlope", n(nil))]))]),
                oracle: expected)
            let response = try await api.get(path)
            #expect(
                OracleRun.numberFormProblems(response.text).isEmpty, "\(OracleRun.numberFormProblems(response.text))")
        }
    }

    // Santiago changes its clocks at midnight, so some local days do not start at 00:00:
    //   2025-09-07: 24:00 (−04) becomes 01:00 (−03) at 04:00Z: 7 September starts at 01:00 local.
    //   2026-04-05: 24:00 (−03) becomes 23:00 (−04) at 03:00Z: 4 April has 25 hours.
    //   E1 2025-09-07T03:30Z = 09-06 23:30−04 (09-06), trigger alcohol
    //   E2 2025-09-07T04:30Z = 09-07 01:30−03 (09-07), trigger stress
    //   E3 2026-04-05T02:30Z = 04-04 23:30−03 (04-04), trigger weather
    //   E4 2026-04-05T03:30Z = 04-04 23:30−04 (04-04 again), triggers weather, stress
    //   E5 2026-04-05T04:30Z = 04-05 00:30−04 (04-05), trigger caffeine
    // Day [09-07, 09-08): E2 only → stress 1. Day [04-04, 04-05): E3, E4 → weather 2 (share 1),
    // stress 1 (0.5). Daily trends [09-05, 09-09): episodes 0, 1, 1, 0; [04-03, 04-07): 0, 2, 1, 0.
    static let santiagoNow: Int64 = 1_776_000_000_000  // 2026-04-12T13:20:00Z

    @Test("Santiago, where DST changes at midnight: days that start at 01:00 or last 25 hours")
    func santiago() async throws {
        try await withApp(now: Self.santiagoNow) { api in
            let patient = try await api.create("patients", ["displayName": "Santiago", "timezone": "America/Santiago"])
            for (startedAt, triggers) in [
                ("2025-09-07T03:30:00Z", ["alcohol"]), ("2025-09-07T04:30:00Z", ["stress"]),
                ("2026-04-05T02:30:00Z", ["weather"]), ("2026-04-05T03:30:00Z", ["weather", "stress"]),
                ("2026-04-05T04:30:00Z", ["caffeine"]),
            ] {
                _ = try await api.create(
                    "episodes", ["patientId": patient, "startedAt": startedAt, "intensity": 6, "triggers": triggers])
            }
            let data = try await api.readAll()
            let diary = PatientDiary(patient: data.patients[0], data: data, now: Self.santiagoNow)
            let base = "/v1/patients/\(patient)/analytics"
            func window(_ from: String, _ to: String) -> Range<DayNumber> {
                CivilDay.parse(from)!..<CivilDay.parse(to)!
            }
            func trigger(_ name: String, _ count: Int, _ share: Double) -> Expected {
                .object([("trigger", .string(name)), ("count", .int(count)), ("share", n(share))])
            }
            try await expectBoth(
                api, "\(base)/summary?from=2025-09-07&to=2025-09-08",
                hand: .object([
                    ("episodes", .int(1)), ("migraineDays", .int(1)),
                    ("topTriggers", .array([trigger("stress", 1, 1)])),
                ]),
                oracle: diary.summary(window("2025-09-07", "2025-09-08")))
            try await expectBoth(
                api, "\(base)/summary?from=2026-04-04&to=2026-04-05",
                hand: .object([
                    ("episodes", .int(2)), ("migraineDays", .int(1)),
                    ("topTriggers", .array([trigger("weather", 2, 1), trigger("stress", 1, 0.5)])),
                ]),
                oracle: diary.summary(window("2026-04-04", "2026-04-05")))
            for (from, to, counts) in [
                ("2025-09-05", "2025-09-09", [0, 1, 1, 0]), ("2026-04-03", "2026-04-07", [0, 2, 1, 0]),
            ] {
                let hand: Expected = .object([
                    (
                        "buckets",
                        .array(counts.map { .object([("episodes", .int($0)), ("migraineDays", .int(min($0, 1)))]) })
                    )
                ])
                try await expectBoth(
                    api, "\(base)/trends?bucket=day&from=\(from)&to=\(to)", hand: hand,
                    oracle: diary.trends(.day, window(from, to)))
            }
            // And every member, by the oracle, for the weeks around both changes.
            var run = OracleRun(api: api, label: "santiago")
            try await run.check(
                "\(base)/trends?bucket=week&from=2025-08-25&to=2025-09-22",
                diary.trends(.week, window("2025-08-25", "2025-09-22")))
            try await run.check(
                "\(base)/summary?from=2026-03-30&to=2026-04-13", diary.summary(window("2026-03-30", "2026-04-13")))
            run.report()
        }
    }

    @Test("caching and errors: ETag, 304, a changed ETag after a write, 400 and 404 problems")
    func cachingAndErrors() async throws {
        try await withApp(now: Self.berlinNow) { api in
            let (patient, _) = try await seedBerlin(api)
            for path in [
                "/v1/patients/\(patient)/analytics/summary", "/v1/patients/\(patient)/analytics/trends",
                "/v1/patients/\(patient)/analytics/massage-effect", "/v1/analytics/overview",
                "/v1/analytics/techniques", "/v1/analytics/therapists",
            ] {
                let first = try await api.get(path)
                try #require(first.status == 200, "\(path): \(first.status) \(first.text)")
                #expect(first.header("Content-Type") == "application/json; charset=utf-8", "\(path)")
                if path.hasPrefix("/v1/patients") { #expect(first.header("Cache-Control") == "no-store", "\(path)") }
                let etag = try #require(first.header("ETag"), "\(path) has no ETag")
                let again = try await api.get(path, headers: [("If-None-Match", etag)])
                #expect(again.status == 304, "\(path) with If-None-Match of its ETag")
                #expect(again.body.isEmpty)
                #expect(again.header("ETag") == etag, "a 304 carries the ETag")
                // RFC 9110: a list, the weak form (If-None-Match compares weakly) and * also match.
                for condition in [#""0000", \#(etag)"#, "W/\(etag)", "*"] {
                    let conditional = try await api.get(path, headers: [("If-None-Match", condition)])
                    #expect(conditional.status == 304, "\(path) with If-None-Match: \(condition)")
                }
                let other = try await api.get(path, headers: [("If-None-Match", #""0000000000000000""#)])
                #expect(other.status == 200, "\(path) with another ETag")
            }
            // A new episode changes what the summary says, so its ETag changes.
            let path = "/v1/patients/\(patient)/analytics/summary"
            let etag = try #require(try await api.get(path).header("ETag"))
            _ = try await api.create(
                "episodes", ["patientId": patient, "startedAt": "2026-03-30T08:00:00Z", "intensity": 2])
            let changed = try await api.get(path, headers: [("If-None-Match", etag)])
            #expect(changed.status == 200, "the ETag must change when the data behind it changed")
            #expect(changed.object["episodes"] as? Int == 4)

            for (query, field) in [
                ("bucket=year", "/bucket"), ("from=2026-13-01", "/from"), ("from=2026-03-10&to=2026-03-10", "/from"),
                ("frm=2026-03-01", "/frm"),
            ] {
                let response = try await api.get("/v1/patients/\(patient)/analytics/trends?\(query)")
                #expect(response.status == 400, "trends?\(query): \(response.status)")
                #expect(response.header("Content-Type") == "application/problem+json")
                #expect(response.errorFields.contains(field), "trends?\(query) names \(field): \(response.text)")
            }
            // Limits: a window of at most 36,600 days, at most 5,000 buckets.
            // 2000-01-01 + 5,000 days = 2013-09-09; 1900-01-01 to 2000-12-31 is 36,889 days (1,212 months).
            for query in ["bucket=day&from=2000-01-01&to=2013-09-10", "bucket=month&from=1900-01-01&to=2000-12-31"] {
                let response = try await api.get("/v1/patients/\(patient)/analytics/trends?\(query)")
                #expect(response.status == 400, "trends?\(query): \(response.status) \(response.text.prefix(200))")
                #expect(response.header("Content-Type") == "application/problem+json")
            }
            let longest = try await api.get(
                "/v1/patients/\(patient)/analytics/trends?bucket=day&from=2000-01-01&to=2013-09-09")
            #expect(
                longest.status == 200, "5,000 daily buckets are allowed: \(longest.status) \(longest.text.prefix(200))")
            #expect((longest.object["buckets"] as? [Any])?.count == 5000)
            for query in ["baselineDays=0", "windowDays=3651"] {
                let response = try await api.get("/v1/patients/\(patient)/analytics/massage-effect?\(query)")
                #expect(response.status == 400, "massage-effect?\(query): \(response.status)")
            }
            let post = try await api.send("POST", "/v1/analytics/overview", body: "{}")
            #expect(post.status == 405, "POST on an analytics path: \(post.status)")
            #expect(post.header("Allow")?.contains("GET") == true)
            let missing = try await api.get("/v1/patients/\(patient + 1000)/analytics/summary")
            #expect(missing.status == 404)
            #expect(missing.header("Content-Type") == "application/problem+json")
        }
    }
}
