import Foundation
import JSON
import TestSupport
import Testing

@testable import ReliefLog

/// The `warnings` of the summary, trends and clinic-wide endpoints (docs/analytics-definitions.md
/// "Warnings (summary, trends, clinic-wide)"): each threshold on both sides, computed without HTTP, then through the server,
/// where the warnings must follow the data and the clock exactly as the figures do.
@Suite("Analytics: warnings of the summary, trends and clinic-wide windows")
struct WindowWarningsTests {
    static func day(_ text: String) -> LocalDay { Days.parse(text)! }

    static func instant(_ text: String) -> Int64 { Timestamp.parse(text)! }

    static func episode(_ id: Int64, _ startedAt: String) -> EpisodeRow {
        EpisodeRow(
            id: id, startedAt: instant(startedAt), endedAt: nil, intensity: 5, aura: false, hasMedication: false)
    }

    static func codes(_ value: JSONValue) -> [String] {
        (value.objectValue?["warnings"]?.arrayValue ?? []).compactMap(\.stringValue)
    }

    /// Today 2026-03-20; the diary starts 2026-03-01.
    static let context = WindowWarning.Context(today: day("2026-03-20"), firstEntryDay: day("2026-03-01"))

    static func derive(
        _ candidates: [WindowWarning], from: String, to: String, buckets: Int = 4, episodes: Int = 4,
        context: WindowWarning.Context = context
    ) -> [WindowWarning] {
        WindowWarning.derive(
            candidates, window: DayWindow(from: day(from), to: day(to)), buckets: buckets, episodes: episodes,
            context: context)
    }

    @Test("each threshold, on both sides of it")
    func thresholds() {
        // 28 days are a month; 27 are short. From the first entry on is recorded; a day before is not.
        #expect(Self.derive(WindowWarning.summary, from: "2026-03-01", to: "2026-03-29").contains(.futureDays))
        #expect(Self.derive(WindowWarning.summary, from: "2026-02-21", to: "2026-03-21") == [.beforeFirstEntry])
        #expect(Self.derive(WindowWarning.summary, from: "2026-03-01", to: "2026-03-21") == [.windowShort])
        #expect(Self.derive(WindowWarning.summary, from: "2026-03-01", to: "2026-03-20") == [.windowShort])
        // to = today + 1 is the end of today, not the future; today + 2 holds tomorrow.
        #expect(Self.derive(WindowWarning.trends, from: "2026-03-01", to: "2026-03-21").isEmpty)
        #expect(Self.derive(WindowWarning.trends, from: "2026-03-01", to: "2026-03-22") == [.futureDays])
        #expect(Self.derive(WindowWarning.trends, from: "2026-02-28", to: "2026-03-21") == [.beforeFirstEntry])
        // 4 buckets and 4 episodes are enough; 3 are few.
        #expect(Self.derive(WindowWarning.trends, from: "2026-03-01", to: "2026-03-21", buckets: 3) == [.fewBuckets])
        #expect(
            Self.derive(WindowWarning.trends, from: "2026-03-01", to: "2026-03-21", episodes: 3) == [.fewEpisodes])
        // No entry at all: every window starts before the first.
        let empty = WindowWarning.Context(today: Self.day("2026-03-20"), firstEntryDay: nil)
        #expect(
            Self.derive(WindowWarning.trends, from: "2026-03-01", to: "2026-03-21", context: empty)
                == [.beforeFirstEntry])
    }

    @Test("all at once, in the documented order; a summary never says few-buckets, trends never window-short")
    func order() {
        let all = Self.derive(
            WindowWarning.summary, from: "2026-02-27", to: "2026-03-23", buckets: 1, episodes: 0)
        #expect(all == [.windowShort, .beforeFirstEntry, .futureDays, .fewEpisodes])
        let trends = Self.derive(
            WindowWarning.trends, from: "2026-02-27", to: "2026-03-23", buckets: 1, episodes: 0)
        #expect(trends == [.fewBuckets, .beforeFirstEntry, .futureDays, .fewEpisodes])
        let listed = [WindowWarning.summary, WindowWarning.trends, WindowWarning.overview, WindowWarning.groups]
        #expect(Set(listed.joined()) == Set(WindowWarning.allCases))
        let clinic = Self.derive(
            WindowWarning.overview, from: "2026-03-02", to: "2026-03-23", buckets: 1, episodes: 0)
        #expect(clinic == [.previousBeforeFirstEntry, .futureDays, .fewEpisodes])
        #expect(WindowWarning.fewEpisodes.rawValue == MassageEffectAnalysis.Warning.fewEpisodes.rawValue)
    }

    @Test("the computations count the episodes and buckets the warnings speak of")
    func computations() {
        let zone = Zone.named("UTC")
        // An episode covering the window's first date but starting before it is no episode *in* it.
        let rows = [
            Self.episode(1, "2026-02-26T10:00:00Z"), Self.episode(2, "2026-03-02T10:00:00Z"),
            Self.episode(3, "2026-03-03T10:00:00Z"), Self.episode(4, "2026-03-04T10:00:00Z"),
        ]
        let context = WindowWarning.Context(today: Self.day("2026-03-20"), firstEntryDay: Self.day("2026-02-26"))
        let window = DayWindow(from: Self.day("2026-03-01"), to: Self.day("2026-03-29"))
        let summary = SummaryAnalysis.compute(
            patientId: 1, window: window, zone: zone, episodes: rows, tags: [], sessions: [], context: context)
        #expect(Self.codes(summary) == ["future-days", "few-episodes"])
        let more = rows + [Self.episode(5, "2026-03-05T10:00:00Z")]
        let enough = SummaryAnalysis.compute(
            patientId: 1, window: window, zone: zone, episodes: more, tags: [], sessions: [], context: context)
        #expect(Self.codes(enough) == ["future-days"])

        // Weeks: 2026-03-02 is a Monday. [03-02, 03-23) is 3 whole weeks; a day earlier adds a fourth bucket.
        let three = TrendsAnalysis.compute(
            patientId: 1, bucket: .week, window: DayWindow(from: Self.day("2026-03-02"), to: Self.day("2026-03-21")),
            zone: zone, episodes: more, sessions: [], context: context)
        #expect(Self.codes(three) == ["few-buckets"])
        let four = TrendsAnalysis.compute(
            patientId: 1, bucket: .week, window: DayWindow(from: Self.day("2026-03-01"), to: Self.day("2026-03-21")),
            zone: zone, episodes: more, sessions: [], context: context)
        #expect(four.objectValue?["buckets"]?.arrayValue?.count == 4)
        #expect(Self.codes(four).isEmpty)
    }

    @Test("through the server: a write that changes a warning changes the body and its ETag")
    func followTheData() async throws {
        try await AnalyticsHarness.run(now: "2026-03-20T12:00:00Z") { h in
            let p = try await h.patient("Europe/Berlin")
            let path = "/v1/patients/\(p)/analytics/summary?from=2026-02-01&to=2026-03-01"
            for day in ["2026-02-10", "2026-02-12", "2026-02-14"] {
                try await h.episode(p, "\(day)T08:00:00+01:00", intensity: 5)
            }
            let first = try await h.get(path)
            #expect(first.status == 200)
            #expect(Self.codes(try JSON.parse(first.body)) == ["before-first-entry", "few-episodes"])
            let tag = try #require(first.header("ETag"))
            #expect(try await h.get(path, ifNoneMatch: tag).status == 304)

            // An episode in January: the diary now starts before the window; three episodes are still few.
            try await h.episode(p, "2026-01-20T08:00:00+01:00", intensity: 5)
            let earlier = try await h.get(path, ifNoneMatch: tag)
            #expect(earlier.status == 200)
            #expect(earlier.header("ETag") != tag)
            #expect(Self.codes(try JSON.parse(earlier.body)) == ["few-episodes"])

            // A session counts as an entry too: a patient whose diary is one session starts there.
            let q = try await h.patient("Europe/Berlin")
            try await h.session(q, "2026-02-01T10:00:00+01:00", minutes: 30)
            let sessionOnly = try await h.analytics("/v1/patients/\(q)/analytics/summary?from=2026-02-01&to=2026-03-01")
            #expect(Self.codes(sessionOnly) == ["few-episodes"])

            // A fourth episode in the window: nothing to warn about.
            try await h.episode(p, "2026-02-20T23:30:00+01:00", intensity: 5)
            let complete = try await h.analytics(path)
            #expect(Self.codes(complete).isEmpty)
            // Trends over the same 4 weeks of February (2026-02-02 is a Monday: buckets from 02-01,
            // a one-day first one, then four weeks): none either.
            let trends = try await h.analytics(
                "/v1/patients/\(p)/analytics/trends?bucket=week&from=2026-02-01&to=2026-03-01")
            #expect(trends.objectValue?["buckets"]?.arrayValue?.count == 5)
            #expect(Self.codes(trends).isEmpty)
        }
    }

    @Test("through the server: the clinic-wide endpoints judge the first record of any patient, in UTC dates")
    func clinic() async throws {
        try await AnalyticsHarness.run(now: "2026-03-20T12:00:00Z") { h in
            let overview = "/v1/analytics/overview?from=2026-03-01&to=2026-03-22"
            let techniques = "/v1/analytics/techniques?from=2026-03-01&to=2026-03-22"
            // Nothing recorded yet: every window starts before the first record.
            #expect(
                Self.codes(try await h.analytics(overview))
                    == ["before-first-entry", "previous-before-first-entry", "future-days", "few-episodes"])
            #expect(Self.codes(try await h.analytics(techniques)) == ["before-first-entry", "future-days"])

            // Records from 02-25 (UTC; 02-24 19:00 in New York, which does not matter here): the window
            // [03-01, 03-22) starts after it, its previous one [02-08, 03-01) before it.
            let p = try await h.patient("America/New_York")
            try await h.session(p, "2026-02-25T00:00:00Z", minutes: 30, techniques: ["scalp"])
            for day in ["2026-03-02", "2026-03-05", "2026-03-10", "2026-03-12", "2026-03-14", "2026-03-16"] {
                try await h.episode(p, "\(day)T08:00:00Z", intensity: 5)
            }
            #expect(
                Self.codes(try await h.analytics(overview)) == ["previous-before-first-entry", "future-days"])
            #expect(Self.codes(try await h.analytics(techniques)) == ["future-days"])
            // [03-09, 03-21) ends with today and holds 4 episodes; its previous window starts on the
            // first record's date: nothing to say.
            #expect(Self.codes(try await h.analytics("/v1/analytics/overview?from=2026-03-09&to=2026-03-21")).isEmpty)
            #expect(Self.codes(try await h.analytics("/v1/analytics/therapists?from=2026-03-09&to=2026-03-21")).isEmpty)
        }
    }

    @Test("through the server: future-days comes and goes with the clock, also for a cached window")
    func followTheClock() async throws {
        try await AnalyticsHarness.run(now: "2026-03-20T12:00:00Z") { h in  // a Friday
            let p = try await h.patient()
            for day in ["2026-02-24", "2026-02-27", "2026-03-02", "2026-03-09", "2026-03-16"] {
                try await h.episode(p, "\(day)T08:00:00Z", intensity: 5)
            }
            let path = "/v1/patients/\(p)/analytics/summary?from=2026-02-25&to=2026-03-25"
            let first = try await h.get(path)
            #expect(Self.codes(try JSON.parse(first.body)) == ["future-days"])
            let tag = try #require(first.header("ETag"))
            // The default week range ends next Monday: its current week is still under way.
            let weeks = "/v1/patients/\(p)/analytics/trends"
            #expect(Self.codes(try await h.analytics(weeks)).contains("future-days"))

            // Tuesday 03-24: [02-25, 03-25) ends with today. The cached result must not be served.
            try h.clock.set("2026-03-24T12:00:00Z")
            let computed = h.computations
            let later = try await h.get(path, ifNoneMatch: tag)
            #expect(later.status == 200)
            #expect(later.header("ETag") != tag)
            #expect(Self.codes(try JSON.parse(later.body)).isEmpty)
            #expect(h.computations == computed + 1)
            // A day later nothing the result depends on has changed: 304, nothing computed.
            try h.clock.set("2026-03-25T12:00:00Z")
            let laterTag = try #require(later.header("ETag"))
            #expect(try await h.get(path, ifNoneMatch: laterTag).status == 304)
            #expect(h.computations == computed + 1)

            // Sunday 03-29: the current week ends with today; the default range holds no future day.
            try h.clock.set("2026-03-29T12:00:00Z")
            #expect(!Self.codes(try await h.analytics(weeks)).contains("future-days"))
        }
    }
}
