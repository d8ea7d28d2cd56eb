import Foundation
import TestSupport
import Testing

/// A dashboard that polls with If-None-Match must never be told "unchanged" (304) or served a
/// cached body when the data behind the answer, or "today", changed. After every kind of write
/// and after the clock moves, each endpoint is polled with its previous ETag: a 304 is checked
/// against the previous body, a 200 against its own body; both must match the oracle.
@Suite("Analytics: no stale answers after writes and when the day changes")
struct AnalyticsFreshnessTests {
    /// 2026-03-28T21:30Z: Saturday evening in Berlin and New York, Sunday 08:30 in Sydney;
    /// Berlin switches to summer time in 3.5 hours.
    static let start: Int64 = 1_774_733_400_000

    struct Poll {
        var etag: String
        var body: Any?
    }

    @Test(
        "every write kind and a moving clock: each default-window endpoint matches the oracle, and 304 only when nothing changed"
    )
    func freshness() async throws {
        let clock = ManualClock(Self.start)
        let app = try TestApp { $0.clock = clock.reader }
        do {
            try await run(try AnalyticsAPI(app), clock)
        } catch {
            await app.stop()
            throw error
        }
        await app.stop()
    }

    private func run(_ api: AnalyticsAPI, _ clock: ManualClock) async throws {
        var generator = DiaryGenerator(seed: 0xF4E5_0001, now: Self.start)
        let day = DiaryGenerator.day
        var therapists: [Int] = []
        for index in 0..<3 {
            therapists.append(try await api.create("therapists", generator.therapist(active: index < 2)))
        }
        var patients: [Int] = []
        var episodes: [Int] = []
        var sessions: [Int] = []
        for zone in ["Europe/Berlin", "Australia/Sydney", "America/New_York"] {
            let patient = try await api.create("patients", generator.patient(zone))
            patients.append(patient)
            for _ in 0..<25 {
                let start = generator.second(Self.start - generator.ms(0...60 * day))
                episodes.append(
                    try await api.create("episodes", generator.episode(patientId: patient, startedAt: start)))
            }
            for _ in 0..<8 {
                let start = generator.second(Self.start - generator.ms(0...40 * day))
                sessions.append(
                    try await api.create(
                        "sessions", generator.session(patientId: patient, therapists: therapists, startedAt: start)))
            }
        }

        var polls: [String: Poll] = [:]
        var run = OracleRun(api: api, label: "freshness")
        var notModified = 0

        /// Polls every endpoint with its previous ETag and compares with the oracle.
        func pollAll(_ step: String) async throws {
            let now = clock.now
            let data = try await api.readAll()
            var expectations: [(String, Expected)] = []
            for patient in data.patients {
                let diary = PatientDiary(patient: patient, data: data, now: now)
                let base = "/v1/patients/\(patient.id)/analytics"
                expectations.append(("\(base)/summary", diary.summary(diary.defaultSummaryWindow(now: now))))
                for bucket in PatientDiary.Bucket.allCases {
                    expectations.append(
                        (
                            "\(base)/trends?bucket=\(bucket.rawValue)",
                            diary.trends(bucket, diary.defaultTrendsWindow(bucket, now: now))
                        ))
                }
                expectations.append(
                    (
                        "\(base)/massage-effect",
                        diary.massageEffect(baselineDays: 28, windowDays: 28, end: diary.today(now) + 1)
                    ))
            }
            let clinic = ClinicOracle(data: data, now: now)
            let window = ClinicOracle.defaultWindow(now: now)
            expectations += [
                ("/v1/analytics/overview", clinic.overview(window)),
                ("/v1/analytics/techniques", clinic.techniques(window)),
                ("/v1/analytics/therapists", clinic.therapists(window)),
            ]
            for (path, expected) in expectations {
                let previous = polls[path]
                let response = try await api.get(path, headers: previous.map { [("If-None-Match", $0.etag)] } ?? [])
                run.queries += 1
                let label = "after \(step): GET \(path)"
                let body: Any?
                switch response.status {
                case 304 where previous != nil:
                    notModified += 1
                    body = previous!.body
                case 200:
                    body = response.json
                    for problem in OracleRun.numberFormProblems(response.text) {
                        run.numberForm.append("\(label): \(problem)")
                    }
                    if let previous, response.header("ETag") == previous.etag {
                        run.comparison.differences.append(
                            "\(label): 200 with the ETag it was asked about (\(previous.etag))")
                    }
                default:
                    run.comparison.differences.append(
                        "\(label): status \(response.status) \(response.text.prefix(200))")
                    continue
                }
                let before = run.comparison.differences.count
                run.comparison.compare(expected, body, "")
                if run.comparison.differences.count > before {
                    let found = run.comparison.differences[before...].map { "    \($0)" }
                    run.comparison.differences.removeSubrange(before...)
                    let how = response.status == 304 ? "304 Not Modified, but the previous body is stale" : "200"
                    run.comparison.differences.append("\(label) (\(how)):\n" + found.joined(separator: "\n"))
                }
                polls[path] = Poll(etag: response.header("ETag") ?? previous?.etag ?? "", body: body)
            }
        }

        func patch(_ path: String, _ body: String) async throws {
            let response = try await api.send(
                "PATCH", path, body: body, headers: [("Content-Type", "application/merge-patch+json")])
            try #require(response.status == 200, "PATCH \(path) \(body): \(response.status) \(response.text)")
        }
        func delete(_ path: String) async throws {
            let response = try await api.send("DELETE", path)
            try #require(
                response.status == 204 || response.status == 200, "DELETE \(path): \(response.status) \(response.text)")
        }
        let stamp = { (ms: Int64) in PropertyTimestamp.format(ms, offsetMinutes: 0, fractionDigits: 0) }

        try await pollAll("seeding")
        try await pollAll("nothing")  // every answer should now be a 304
        #expect(
            notModified == polls.count, "an unchanged poll answers 304 everywhere (\(notModified) of \(polls.count))")

        _ = try await api.create(
            "episodes",
            [
                "patientId": patients[0], "startedAt": stamp(clock.now - 3_600_000), "intensity": 9,
                "triggers": ["alcohol"], "medications": [["name": "Sumatriptan", "class": "triptan"]],
            ])
        try await pollAll("POST episode")
        try await patch("/v1/episodes/\(episodes[0])", #"{"intensity": 0, "triggers": ["weather"]}"#)
        try await pollAll("PATCH episode intensity")
        try await patch("/v1/episodes/\(episodes[1])", #"{"endedAt": null}"#)
        try await pollAll("PATCH episode endedAt null")
        try await patch(
            "/v1/episodes/\(episodes[2])",
            #"{"startedAt": "\#(stamp(clock.now - 2 * day))", "endedAt": "\#(stamp(clock.now - day))"}"#)
        try await pollAll("PATCH episode times")
        try await delete("/v1/episodes/\(episodes[3])")
        try await pollAll("DELETE episode")
        _ = try await api.create(
            "sessions",
            [
                "patientId": patients[1], "kind": "self", "startedAt": stamp(clock.now - 7_200_000),
                "durationMinutes": 20, "techniques": ["scalp"], "painBefore": 8, "painAfter": 1,
            ])
        try await pollAll("POST session")
        try await patch(
            "/v1/sessions/\(sessions[0])",
            #"{"painBefore": 10, "painAfter": 0, "stressBefore": 9, "stressAfter": 1, "techniques": ["craniosacral"]}"#)
        try await pollAll("PATCH session")
        try await delete("/v1/sessions/\(sessions[9])")
        try await pollAll("DELETE session")
        try await patch("/v1/episodes/\(episodes[4])", #"{"patientId": \#(patients[1])}"#)
        try await pollAll("PATCH episode to another patient")
        try await patch("/v1/sessions/\(sessions[1])", #"{"patientId": \#(patients[2])}"#)
        try await pollAll("PATCH session to another patient")
        try await patch("/v1/sessions/\(sessions[2])", #"{"kind": "self", "therapistId": null}"#)
        try await pollAll("PATCH session to self-massage")
        try await patch("/v1/sessions/\(sessions[3])", #"{"kind": "professional", "therapistId": \#(therapists[2])}"#)
        try await pollAll("PATCH session to another therapist")
        let spare = try await api.create("therapists", ["name": "Spare", "licenseNumber": "SPARE-1"])
        try await pollAll("POST therapist")
        try await delete("/v1/therapists/\(spare)")
        try await pollAll("DELETE therapist")
        try await patch("/v1/patients/\(patients[0])", #"{"timezone": "Pacific/Chatham"}"#)
        try await pollAll("PATCH patient timezone")
        try await patch("/v1/therapists/\(therapists[0])", #"{"name": "Renamed Ħ"}"#)
        try await pollAll("PATCH therapist name")
        try await patch("/v1/therapists/\(therapists[1])", #"{"active": false}"#)
        try await pollAll("PATCH therapist inactive")
        _ = try await api.create("patients", ["displayName": "New", "timezone": "Asia/Kolkata"])
        try await pollAll("POST patient")
        try await delete("/v1/patients/\(patients[2])")
        try await pollAll("DELETE patient")
        // 22:30Z: 23:30 in Berlin, 09:30 on Sunday in Sydney: no local date changes.
        clock.advance(by: 3_600_000)
        try await pollAll("1 hour, no local date changed")
        // 00:30Z on Sunday: a new day in UTC and in Berlin (01:30, half an hour before its DST change).
        clock.advance(by: 2 * 3_600_000)
        try await pollAll("past midnight in UTC and Berlin")
        clock.advance(by: 8 * day)
        try await pollAll("8 days on")
        run.report()
        print("[freshness] \(notModified) polls answered 304")
    }
}
