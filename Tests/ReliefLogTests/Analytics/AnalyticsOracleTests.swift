import Foundation
import TestSupport
import Testing

/// Runs `body` against a fresh application whose clock stands still at `now`.
private func withAnalyticsApp(now: Int64, _ body: (AnalyticsAPI) async throws -> Void) async throws {
    let app = try TestApp { $0.clock = { now } }
    do {
        try await body(try AnalyticsAPI(app))
    } catch {
        await app.stop()
        throw error
    }
    await app.stop()
}

/// Collects the comparisons of many analytics responses and reports every difference at once.
struct OracleRun {
    let api: AnalyticsAPI
    let label: String
    var comparison = OracleComparison()
    var queries = 0
    var coverage: [String: Int] = [:]
    /// Numbers not written as rounded decimals (more than 2 decimals, exponents, negative zero).
    var numberForm: [String] = []

    /// GETs `path`, expects a 200 JSON answer, and compares its body with `expected`.
    mutating func check(_ path: String, _ expected: Expected, context: String = "") async throws {
        queries += 1
        expected.features(into: &coverage)
        let response = try await api.get(path)
        let where_ = "\(label) GET \(path)\(context.isEmpty ? "" : " [\(context)]")"
        guard response.status == 200 else {
            comparison.differences.append("\(where_): status \(response.status) \(response.text.prefix(300))")
            return
        }
        if response.header("Content-Type") != "application/json; charset=utf-8" {
            comparison.differences.append("\(where_): Content-Type \(response.header("Content-Type") ?? "(none)")")
        }
        if response.header("ETag") == nil { comparison.differences.append("\(where_): no ETag") }
        for problem in OracleRun.numberFormProblems(response.text) { numberForm.append("\(where_): \(problem)") }
        let before = comparison.differences.count
        comparison.compare(expected, response.json, "")
        if comparison.differences.count > before {
            let found = comparison.differences[before...].map { "    \($0)" }
            comparison.differences.removeSubrange(before...)
            comparison.differences.append("\(where_):\n" + found.joined(separator: "\n"))
        }
    }

    /// Numbers in the raw body with more than 2 decimals, or a negative zero.
    static func numberFormProblems(_ body: String) -> [String] {
        var problems: [String] = []
        let pattern = /"(\w+)"\s*:\s*(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)(?=\s*[,\]}])/
        for match in body.matches(of: pattern) {
            let value = String(match.output.2)
            let token = "\(match.output.1): \(value)"
            if value.contains(where: { $0 == "e" || $0 == "E" }) {
                problems.append("number \(token) in exponent form")
            } else if let dot = value.firstIndex(of: "."), value[value.index(after: dot)...].count > 2 {
                problems.append("number \(token) has more than 2 decimals")
            } else if value.hasPrefix("-"), Double(value) == 0 {
                problems.append("negative zero \(token)")
            }
        }
        return problems
    }

    func report(sourceLocation: SourceLocation = #_sourceLocation) {
        print(
            "[\(label)] \(queries) analytics responses, \(comparison.compared) fields compared, "
                + "\(comparison.differences.count) responses differ, \(comparison.halfWayAllowances.count) half-way roundings allowed"
        )
        for allowance in comparison.halfWayAllowances { print("[\(label)] allowed: \(allowance)") }
        print(
            "[\(label)] coverage: "
                + coverage.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
        if !numberForm.isEmpty {
            let text = numberForm.prefix(20).joined(separator: "\n")
            print("[\(label)] NUMBER FORM:\n\(text)")
            Issue.record(
                "\(numberForm.count) numbers are not plain 2-decimal numbers (a rounded -0.004 must render as 0, not -0.0):\n\(text)",
                sourceLocation: sourceLocation)
        }
        if !comparison.differences.isEmpty {
            let text = comparison.differences.prefix(40).joined(separator: "\n")
            print("[\(label)] DIFFERENCES (expected = oracle):\n\(text)")
            Issue.record(
                "\(comparison.differences.count) analytics responses differ from the oracle:\n\(text)",
                sourceLocation: sourceLocation)
        }
    }
}

@Suite("Analytics: generated diaries against an independent oracle")
struct AnalyticsOracleTests {
    /// (seed, clock). The clocks sit next to DST changes: 2026-04-06T11:30Z is the day after
    /// Sydney and Chatham left DST (and already 7 April in Chatham); 2025-11-02T05:30Z is half an
    /// hour before New York leaves DST, a week after Berlin did.
    /// 2024-03-01T03:30Z is still 29 February (a leap day) in New York, 1 March elsewhere.
    static let scenarios: [(seed: UInt64, now: Int64)] = [
        (0xA1A1_7C5E_0001, 1_775_475_000_000),
        (0xA1A1_7C5E_0002, 1_762_061_400_000),
        (0xA1A1_7C5E_0003, 1_709_263_800_000),
        (0xA1A1_7C5E_0004, 1_792_886_400_000),  // exactly 2026-10-25T00:00Z, an hour before Berlin leaves summer time
    ]

    @Test("every analytics field of generated diaries matches the oracle", arguments: 0..<4)
    func generatedDiaries(scenario: Int) async throws {
        let (seed, now) = Self.scenarios[scenario]
        try await withAnalyticsApp(now: now) { api in
            try await run(api: api, seed: seed, now: now)
        }
    }

    /// More seeds on demand, each with its own clock (2000–2035, half of them within a day of a
    /// DST change somewhere): `RELIEFLOG_ORACLE_SEEDS=50 swift test --filter Oracle`.
    @Test(
        "more generated diaries, on demand",
        .enabled(if: ProcessInfo.processInfo.environment["RELIEFLOG_ORACLE_SEEDS"] != nil))
    func moreSeeds() async throws {
        let count = Int(ProcessInfo.processInfo.environment["RELIEFLOG_ORACLE_SEEDS"] ?? "") ?? 10
        let first = UInt64(ProcessInfo.processInfo.environment["RELIEFLOG_ORACLE_FIRST_SEED"] ?? "") ?? 0x5EED_0000
        for seed in first..<first + UInt64(count) {
            var random = SplitMix64(seed: seed ^ 0x00C1_0C4E)
            var now = Int64.random(in: 946_684_800_000...2_051_222_400_000, using: &random)
            if random.chance() {
                let zone = ZoneDays(random.pick(DiaryGenerator.zones + ["America/Santiago"]))
                if let change = zone.zone.nextDaylightSavingTimeTransition(
                    after: Date(timeIntervalSince1970: TimeInterval(now) / 1000))
                {
                    now =
                        Int64(change.timeIntervalSince1970 * 1000)
                        + Int64.random(in: -86_400_000...86_400_000, using: &random)
                }
            }
            print(
                "[more seeds] seed \(String(seed, radix: 16)) now \(PropertyTimestamp.format(now, offsetMinutes: 0, fractionDigits: 0))"
            )
            try await withAnalyticsApp(now: now) { api in
                try await run(api: api, seed: seed, now: now)
            }
        }
    }

    private func run(api: AnalyticsAPI, seed: UInt64, now: Int64) async throws {
        var generator = DiaryGenerator(seed: seed, now: now)
        let span = 420 * DiaryGenerator.day
        let day = DiaryGenerator.day

        var therapistIds: [Int] = []
        for index in 0..<5 {
            therapistIds.append(try await api.create("therapists", generator.therapist(active: index != 4)))
        }
        _ = try await api.create("therapists", generator.therapist(active: false))  // without sessions

        // One patient per zone; Santiago, whose DST changes happen at midnight (a local day that
        // starts at 01:00 and one with two midnights); one without sessions; one with an empty diary.
        let zones =
            DiaryGenerator.zones + ["America/Santiago", generator.random.pick(DiaryGenerator.zones), "Europe/Berlin"]
        var created = (episodes: 0, sessions: 0)
        for (index, zone) in zones.enumerated() {
            let patientId = try await api.create("patients", generator.patient(zone))
            if index == zones.count - 1 { continue }  // the empty diary
            let days = ZoneDays(zone)
            let transitions = generator.transitions(days, span: span)
            for _ in 0..<50 {
                let start = generator.start(days, transitions: transitions, span: span)
                _ = try await api.create("episodes", generator.episode(patientId: patientId, startedAt: start))
                created.episodes += 1
            }
            if index == zones.count - 2 { continue }  // no sessions
            let first = generator.second(now - generator.ms(15 * day...200 * day))
            var sessionStarts = [first]
            for _ in 0..<20 {
                if generator.random.chance(0.25) {  // around a local midnight
                    let localDay =
                        Int64(days.day(first)) + generator.ms(1...max(1, Int64(days.day(now) - days.day(first))))
                    sessionStarts.append(
                        generator.second(
                            days.instant(localMilliseconds: localDay * day + generator.ms(-30 * 60_000...30 * 60_000))))
                } else {
                    sessionStarts.append(generator.second(first + generator.ms(0...(now + 2 * day - first))))
                }
            }
            for start in sessionStarts {
                _ = try await api.create(
                    "sessions", generator.session(patientId: patientId, therapists: therapistIds, startedAt: start))
                created.sessions += 1
            }
            // Episodes ending exactly at a local midnight (which covers the new day) and just before it.
            for _ in 0..<2 {
                let localDay = Int64(days.day(now)) - generator.ms(1...60)
                let midnight = days.instant(localMilliseconds: (localDay + 1) * day)
                for end in [midnight, midnight - 1] {
                    var body = generator.episode(patientId: patientId, startedAt: midnight - 2 * 3_600_000)
                    body["endedAt"] = PropertyTimestamp.format(
                        end, offsetMinutes: generator.random.pick(DiaryGenerator.offsets), fractionDigits: 3)
                    _ = try await api.create("episodes", body)
                    created.episodes += 1
                }
            }
            // Episodes exactly on the edges of a session's 72 hours.
            for _ in 0..<3 {
                let session = generator.random.pick(sessionStarts)
                for edge in [session, session + 72 * 3_600_000 - 1000, session + 72 * 3_600_000]
                where edge <= now + day / 2 {
                    _ = try await api.create("episodes", generator.episode(patientId: patientId, startedAt: edge))
                    created.episodes += 1
                }
            }
        }

        let data = try await api.readAll()
        #expect(data.patients.count == zones.count)
        #expect(data.episodes.count == created.episodes, "every created episode is listed once")
        #expect(Set(data.episodes.map(\.id)).count == data.episodes.count)
        #expect(data.sessions.count == created.sessions, "every created session is listed once")

        // The oracle's day numbers agree with Foundation's Calendar for every generated instant
        // (a second method, so a slip in the offset arithmetic cannot hide behind both sides).
        for patient in data.patients {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: patient.timezone)!
            let days = ZoneDays(patient.timezone)
            let instants =
                data.episodes.filter { $0.patientId == patient.id }.flatMap {
                    [$0.startedAt] + ($0.endedAt.map { [$0] } ?? [])
                }
                + data.sessions.filter { $0.patientId == patient.id }.map(\.startedAt)
            for instant in instants {
                let parts = calendar.dateComponents(
                    [.year, .month, .day], from: Date(timeIntervalSince1970: TimeInterval(instant) / 1000))
                #expect(
                    CivilDay.number(year: parts.year!, month: parts.month!, day: parts.day!) == days.day(instant),
                    "\(patient.timezone) \(instant): Calendar and the oracle disagree on the local date")
            }
        }

        var run = OracleRun(api: api, label: "seed \(String(seed, radix: 16))")
        for patient in data.patients {
            let diary = PatientDiary(patient: patient, data: data, now: now)
            try await checkPatient(&run, diary, &generator, now: now)
        }
        try await checkClinic(&run, ClinicOracle(data: data, now: now), &generator, now: now)
        print(
            "[\(run.label)] \(data.patients.count) diaries, \(data.episodes.count) episodes, \(data.sessions.count) sessions, \(data.therapists.count) therapists"
        )
        run.report()
        #expect(run.comparison.compared > 5_000, "the oracle compared too little: \(run.comparison.compared)")
        // Every warning was predicted somewhere, and so was a response without one: the
        // comparison of the warnings is not a comparison of empty lists.
        let codes = [
            "window-short", "few-buckets", "before-first-entry", "previous-before-first-entry", "future-days",
            "few-episodes",
        ]
        for key in codes.map({ "warning \($0)" }) + ["summary or trends without warning"] {
            #expect(run.coverage[key, default: 0] > 0, "no generated case predicts \(key)")
        }
    }

    private func checkPatient(
        _ run: inout OracleRun, _ diary: PatientDiary, _ generator: inout DiaryGenerator, now: Int64
    ) async throws {
        let base = "/v1/patients/\(diary.patient.id)/analytics"
        let context = "patient \(diary.patient.id) \(diary.patient.timezone)"
        let today = diary.today(now)
        func date(_ day: DayNumber) -> String { CivilDay.format(day) }
        func query(_ parameters: [(String, String)]) -> String {
            parameters.isEmpty
                ? "" : "?" + parameters.map { "\($0.0)=\(AnalyticsAPI.encode($0.1))" }.joined(separator: "&")
        }

        // Windows: random ones, ones cut at DST changes, and timestamps instead of dates.
        var windows: [(from: String, to: String)] = []
        for _ in 0..<3 {
            let from = today - generator.int(0...400)
            windows.append((date(from), date(from + generator.int(1...120))))
        }
        for transition in generator.transitions(diary.days, span: 420 * DiaryGenerator.day).suffix(2) {
            let local = diary.days.day(transition)
            windows.append((date(local - generator.int(0...2)), date(local + generator.int(1...3))))
        }
        let mixedFrom = today - generator.int(10...300)
        windows.append(
            (
                date(mixedFrom),
                generator.timestamp(
                    diary.days.instant(
                        localMilliseconds: Int64(mixedFrom + generator.int(1...60)) * DiaryGenerator.day
                            + generator.ms(0...DiaryGenerator.day - 1)))
            ))
        let fromInstant = now - generator.ms(0...200 * DiaryGenerator.day)
        windows.append(
            (
                generator.timestamp(fromInstant),
                generator.timestamp(fromInstant + generator.ms(2 * DiaryGenerator.day...90 * DiaryGenerator.day))
            ))

        // summary
        try await run.check("\(base)/summary", diary.summary(diary.defaultSummaryWindow(now: now)), context: context)
        for (from, to) in windows {
            try await run.check(
                "\(base)/summary" + query([("from", from), ("to", to)]),
                diary.summary(diary.queryDay(from)..<diary.queryDay(to)), context: context)
        }

        // trends
        for bucket in PatientDiary.Bucket.allCases {
            try await run.check(
                "\(base)/trends?bucket=\(bucket.rawValue)",
                diary.trends(bucket, diary.defaultTrendsWindow(bucket, now: now)), context: context)
            let length = [PatientDiary.Bucket.day: 45, .week: 200, .month: 500][bucket]!
            let from = today - generator.int(0...400)
            let to = from + generator.int(1...length)
            try await run.check(
                "\(base)/trends" + query([("bucket", bucket.rawValue), ("from", date(from)), ("to", date(to))]),
                diary.trends(bucket, from..<to), context: context)
        }
        try await run.check(
            "\(base)/trends", diary.trends(.week, diary.defaultTrendsWindow(.week, now: now)),
            context: context + ", default bucket")
        let (from, to) = windows[windows.count - 2]
        try await run.check(
            "\(base)/trends" + query([("from", from), ("to", to)]),
            diary.trends(.week, diary.queryDay(from)..<diary.queryDay(to)), context: context + ", default bucket")

        // massage-effect
        try await run.check(
            "\(base)/massage-effect", diary.massageEffect(baselineDays: 28, windowDays: 28, end: today + 1),
            context: context)
        let firstDay = diary.sessions.map(\.day).min() ?? today
        for attempt in 0..<3 {
            let baselineDays = attempt == 2 ? 3650 : generator.int(1...90)
            let windowDays = attempt == 2 ? 3650 : generator.int(1...120)
            let end = firstDay + generator.int(-3...(today + 5 - firstDay))
            try await run.check(
                "\(base)/massage-effect"
                    + query([("baselineDays", "\(baselineDays)"), ("windowDays", "\(windowDays)"), ("to", date(end))]),
                diary.massageEffect(baselineDays: baselineDays, windowDays: windowDays, end: end), context: context)
        }
        // One window, every variant: answers that differ only in a parameter must not share a cache entry.
        let (sameFrom, sameTo) = windows[0]
        let same = diary.queryDay(sameFrom)..<diary.queryDay(sameTo)
        for bucket in PatientDiary.Bucket.allCases {
            try await run.check(
                "\(base)/trends" + query([("bucket", bucket.rawValue), ("from", sameFrom), ("to", sameTo)]),
                diary.trends(bucket, same),
                context: context + ", same window")
        }
        for (baselineDays, windowDays) in [(28, 28), (7, 28), (28, 7)] {
            try await run.check(
                "\(base)/massage-effect"
                    + query([("baselineDays", "\(baselineDays)"), ("windowDays", "\(windowDays)"), ("to", sameTo)]),
                diary.massageEffect(baselineDays: baselineDays, windowDays: windowDays, end: same.upperBound),
                context: context + ", same to")
        }
        let toInstant = now - generator.ms(0...30 * DiaryGenerator.day)
        let toText = generator.timestamp(toInstant)
        try await run.check(
            "\(base)/massage-effect" + query([("to", toText)]),
            diary.massageEffect(baselineDays: 28, windowDays: 28, end: diary.queryDay(toText)), context: context)
    }

    private func checkClinic(
        _ run: inout OracleRun, _ clinic: ClinicOracle, _ generator: inout DiaryGenerator, now: Int64
    ) async throws {
        let today = ZoneDays.utc.day(now)
        var windows: [(path: String, window: Range<DayNumber>)] = [("", ClinicOracle.defaultWindow(now: now))]
        for _ in 0..<2 {
            let from = today - generator.int(0...400)
            let to = from + generator.int(1...200)
            windows.append(("?from=\(CivilDay.format(from))&to=\(CivilDay.format(to))", from..<to))
        }
        // A window just after the clinic's first record, whose previous window reaches before it.
        let first = (clinic.data.episodes.map(\.startedAt) + clinic.data.sessions.map(\.startedAt)).min()!
        let early = ZoneDays.utc.day(first) + generator.int(1...10)
        windows.append(("?from=\(CivilDay.format(early))&to=\(CivilDay.format(early + 20))", early..<(early + 20)))
        let fromText = generator.timestamp(now - generator.ms(30 * DiaryGenerator.day...300 * DiaryGenerator.day))
        let toText = generator.timestamp(now)
        windows.append(
            (
                "?from=\(AnalyticsAPI.encode(fromText))&to=\(AnalyticsAPI.encode(toText))",
                ClinicOracle.queryDay(fromText)..<ClinicOracle.queryDay(toText)
            ))
        for (query, window) in windows {
            try await run.check("/v1/analytics/overview\(query)", clinic.overview(window))
            try await run.check("/v1/analytics/techniques\(query)", clinic.techniques(window))
            try await run.check("/v1/analytics/therapists\(query)", clinic.therapists(window))
        }
    }
}
