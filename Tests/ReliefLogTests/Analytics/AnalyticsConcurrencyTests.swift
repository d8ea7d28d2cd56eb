import Foundation
import Synchronization
import TestSupport
import Testing

/// Writes racing reads must not leave the response cache or the ETags behind: while one
/// connection writes, others poll every endpoint; one ETag of one URL must always come with one
/// body (otherwise a client holding it would be told 304 for data it never saw), and once the
/// writes stop, every endpoint must match the oracle.
@Suite("Analytics: concurrent writes and polls")
struct AnalyticsConcurrencyTests {
    static let now: Int64 = 1_775_475_000_000  // 2026-04-06T11:30:00Z

    /// URL + ETag → body, shared by the readers.
    final class Seen: Sendable {
        private let bodies = Mutex<[String: [String: Set<[UInt8]>]]>([:])
        private let count = Mutex(0)

        func record(_ path: String, _ etag: String, _ body: [UInt8]) {
            count.withLock { $0 += 1 }
            bodies.withLock { _ = $0[path, default: [:]][etag, default: []].insert(body) }
        }

        /// URL → ETag → the different bodies seen with it.
        var all: [String: [String: Set<[UInt8]>]] { bodies.withLock { $0 } }
        var conflictList: [String] {
            all.flatMap { path, etags in
                etags.filter { $0.value.count > 1 }.map { etag, bodies in
                    "\(path) \(etag): \(bodies.count) bodies with rows counted "
                        + bodies.map { String(Self.rows($0)) }.sorted().joined(separator: ", ")
                        + ": "
                        + bodies.map { String(decoding: $0, as: UTF8.self).prefix(160) }.joined(separator: " <> ")
                }
            }
        }

        /// The sum of every `episodes` and `sessions` count in a body: with only inserts and a
        /// fixed clock, it never decreases, so it orders the bodies of one URL in time.
        static func rows(_ body: [UInt8]) -> Int {
            func walk(_ value: Any) -> Int {
                switch value {
                case let object as [String: Any]:
                    object.reduce(0) { sum, member in
                        sum
                            + ((member.key == "episodes" || member.key == "sessions") && member.value is Int
                                ? member.value as! Int : walk(member.value))
                    }
                case let array as [Any]: array.reduce(0) { $0 + walk($1) }
                default: 0
                }
            }
            return (try? JSONSerialization.jsonObject(with: Data(body))).map(walk) ?? -1
        }
        var responses: Int { count.withLock { $0 } }

        private let finished = Mutex(false)
        var done: Bool {
            get { finished.withLock { $0 } }
        }
        func finish() { finished.withLock { $0 = true } }

    }

    @Test("polls racing writes: one body per URL and ETag, and the oracle's figures once the writes stop")
    func racingWrites() async throws {
        let app = try TestApp { $0.clock = { Self.now } }
        do {
            try await run(app)
        } catch {
            await app.stop()
            throw error
        }
        await app.stop()
    }

    private func run(_ app: TestApp) async throws {
        let writer = try AnalyticsAPI(app)
        var generator = DiaryGenerator(seed: 0xC0C0_0001, now: Self.now)
        let therapist = try await writer.create("therapists", generator.therapist(active: true))
        var patients: [Int] = []
        for zone in ["Europe/Berlin", "Pacific/Chatham"] {
            patients.append(try await writer.create("patients", generator.patient(zone)))
        }
        var paths = ["/v1/analytics/overview", "/v1/analytics/techniques", "/v1/analytics/therapists"]
        for patient in patients {
            let base = "/v1/patients/\(patient)/analytics"
            paths += [
                "\(base)/summary", "\(base)/trends?bucket=day", "\(base)/trends?bucket=week", "\(base)/massage-effect",
            ]
        }
        var bodies: [[String: Any]] = []
        for index in 0..<120 {
            let patient = patients[index % 2]
            let start = generator.second(Self.now - generator.ms(0...40 * DiaryGenerator.day))
            bodies.append(
                index % 3 == 2
                    ? generator.session(patientId: patient, therapists: [therapist], startedAt: start)
                    : generator.episode(patientId: patient, startedAt: start))
        }

        let seen = Seen()
        let requests = paths
        let writes = bodies.map { body in
            (
                body["durationMinutes"] == nil ? "episodes" : "sessions",
                String(decoding: try! JSONSerialization.data(withJSONObject: body), as: UTF8.self)
            )
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for (collection, text) in writes {
                    let response = try await writer.send("POST", "/v1/\(collection)", body: text)
                    try #require(response.status == 201, "\(response.text)")
                }
                seen.finish()
            }
            for reader in 0..<3 {
                let api = try AnalyticsAPI(app)
                group.addTask {
                    var index = reader
                    while !seen.done {
                        let path = requests[index % requests.count]
                        index += 1
                        let response = try await api.get(path)
                        try #require(response.status == 200, "\(path): \(response.status) \(response.text)")
                        seen.record(path, response.header("ETag") ?? "", response.body)
                    }
                }
            }
            try await group.waitForAll()
        }
        let conflicts = seen.conflictList
        // Diagnosis: per URL with a conflict, every ETag with the row counts seen with it, in order.
        for (path, etags) in seen.all where etags.values.contains(where: { $0.count > 1 }) {
            let timeline = etags.map { etag, bodies in (etag, bodies.map(Seen.rows).sorted()) }.sorted {
                ($0.1.first ?? 0) < ($1.1.first ?? 0)
            }
            print("[racing writes] \(path): " + timeline.map { "\($0.0.prefix(7))…=\($0.1)" }.joined(separator: " "))
        }
        #expect(
            conflicts.isEmpty,
            "\(conflicts.count) URL+ETag pairs came with different bodies:\n\(conflicts.prefix(5).joined(separator: "\n"))"
        )

        // The harm: a poller holding an ETag the server still answers 304 to, with a body that is
        // not the current one, keeps showing stale figures until the next write.
        var stuck: [String] = []
        for (path, etags) in seen.all {
            let current = try await writer.get(path)
            for (etag, bodies) in etags {
                let conditional = try await writer.get(path, headers: [("If-None-Match", etag)])
                if conditional.status == 304, bodies.contains(where: { $0 != current.body }) {
                    stuck.append(
                        "\(path) \(etag) answers 304, but a poller holding it may show: "
                            + String(decoding: bodies.first { $0 != current.body }!, as: UTF8.self).prefix(200)
                            + "\n    current: " + current.text.prefix(200))
                }
            }
        }
        #expect(
            stuck.isEmpty,
            "\(stuck.count) stale bodies are confirmed by 304 after the writes stopped:\n\(stuck.prefix(5).joined(separator: "\n"))"
        )

        // Quiet now: every endpoint must show the final data (no stale cache entry survived).
        let data = try await writer.readAll()
        #expect(data.episodes.count + data.sessions.count == writes.count)
        var run = OracleRun(api: writer, label: "after racing writes")
        let clinic = ClinicOracle(data: data, now: Self.now)
        let window = ClinicOracle.defaultWindow(now: Self.now)
        try await run.check("/v1/analytics/overview", clinic.overview(window))
        try await run.check("/v1/analytics/techniques", clinic.techniques(window))
        try await run.check("/v1/analytics/therapists", clinic.therapists(window))
        for patient in data.patients {
            let diary = PatientDiary(patient: patient, data: data, now: Self.now)
            let base = "/v1/patients/\(patient.id)/analytics"
            try await run.check("\(base)/summary", diary.summary(diary.defaultSummaryWindow(now: Self.now)))
            try await run.check(
                "\(base)/trends?bucket=day", diary.trends(.day, diary.defaultTrendsWindow(.day, now: Self.now)))
            try await run.check(
                "\(base)/trends?bucket=week", diary.trends(.week, diary.defaultTrendsWindow(.week, now: Self.now)))
            try await run.check(
                "\(base)/massage-effect",
                diary.massageEffect(baselineDays: 28, windowDays: 28, end: diary.today(Self.now) + 1))
        }
        run.numberForm.removeAll()  // reported by the oracle tests; this test is about staleness
        run.report()
        print("[racing writes] \(seen.responses) polls during \(writes.count) writes")
    }
}
