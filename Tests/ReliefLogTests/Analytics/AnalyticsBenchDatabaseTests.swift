import Foundation
import TestSupport
import Testing

/// The oracle against the benchmark's seeded database (bench/analytics/seed.sql), on demand:
///
///     relieflog migrate --db /tmp/a.sqlite --migrations Migrations && sqlite3 /tmp/a.sqlite < bench/analytics/seed.sql
///     RELIEFLOG_ORACLE_DB=/tmp/a.sqlite swift test --filter BenchDatabase
///
/// The server runs on a copy; every row is read back through the paged lists (about a minute in
/// a debug build) and the 10-year diary, a few clinic patients and the clinic-wide endpoints are
/// compared with the oracle at the real clock.
@Suite("Analytics: the oracle on the benchmark database")
struct AnalyticsBenchDatabaseTests {
    static let path = ProcessInfo.processInfo.environment["RELIEFLOG_ORACLE_DB"]

    @Test("10-year diary, clinic patients and clinic-wide figures", .enabled(if: path != nil))
    func benchDatabase() async throws {
        let directory = TemporaryDirectory()
        let copy = directory.file("bench.sqlite")
        try FileManager.default.copyItem(atPath: Self.path!, toPath: copy)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let app = try TestApp { configuration in
            configuration.databasePath = copy
            configuration.clock = { now }
        }
        do {
            try await check(try AnalyticsAPI(app), now: now)
        } catch {
            await app.stop()
            directory.remove()
            throw error
        }
        await app.stop()
        directory.remove()
    }

    private func check(_ api: AnalyticsAPI, now: Int64) async throws {
        let started = ContinuousClock.now
        let data = try await api.readAll(limit: 500)
        print(
            "[bench db] read \(data.patients.count) patients, \(data.episodes.count) episodes, \(data.sessions.count) sessions in \(ContinuousClock.now - started)"
        )
        var run = OracleRun(api: api, label: "bench db")
        for patientId in [1, 2, 500, 1001] {
            let patient = try #require(data.patients.first { $0.id == patientId })
            let diary = PatientDiary(patient: patient, data: data, now: now)
            let base = "/v1/patients/\(patientId)/analytics"
            let today = diary.today(now)
            try await run.check("\(base)/summary", diary.summary(diary.defaultSummaryWindow(now: now)))
            let whole = (today - 3660)..<(today + 1)
            try await run.check(
                "\(base)/summary?from=\(CivilDay.format(whole.lowerBound))&to=\(CivilDay.format(whole.upperBound))",
                diary.summary(whole))
            for bucket in PatientDiary.Bucket.allCases {
                try await run.check(
                    "\(base)/trends?bucket=\(bucket.rawValue)",
                    diary.trends(bucket, diary.defaultTrendsWindow(bucket, now: now)))
            }
            try await run.check(
                "\(base)/trends?bucket=month&from=\(CivilDay.format(whole.lowerBound))&to=\(CivilDay.format(whole.upperBound))",
                diary.trends(.month, whole))
            try await run.check(
                "\(base)/massage-effect", diary.massageEffect(baselineDays: 28, windowDays: 28, end: today + 1))
            try await run.check(
                "\(base)/massage-effect?baselineDays=365&windowDays=365",
                diary.massageEffect(baselineDays: 365, windowDays: 365, end: today + 1))
        }
        let clinic = ClinicOracle(data: data, now: now)
        let today = ZoneDays.utc.day(now)
        for window in [ClinicOracle.defaultWindow(now: now), (today - 729)..<(today + 1)] {
            let query = "?from=\(CivilDay.format(window.lowerBound))&to=\(CivilDay.format(window.upperBound))"
            try await run.check("/v1/analytics/overview\(query)", clinic.overview(window))
            try await run.check("/v1/analytics/techniques\(query)", clinic.techniques(window))
            try await run.check("/v1/analytics/therapists\(query)", clinic.therapists(window))
        }
        run.numberForm.removeAll()  // reported by the generated-diary tests
        run.report()
    }
}
