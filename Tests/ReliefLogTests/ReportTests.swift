import Foundation
import JSON
import TestSupport
import Testing

@testable import ReliefLog

/// `GET /v1/patients/{id}/report`: access, headers, and numbers that are the analytics
/// endpoints' own.
@Suite("Report for the doctor")
struct ReportTests {
    static let now = "2026-11-20T12:00:00Z"

    /// A patient with a few months of diary: episodes with medication, a first session, more sessions.
    static func diary(_ h: AnalyticsHarness) async throws -> Int {
        let p = try await h.patient("Europe/Berlin")
        let triptan = #", "medications": [{"name": "Sumatriptan", "class": "triptan"}], "triggers": ["stress"]"#
        let nsaid = #", "medications": [{"name": "Ibuprofen", "class": "nsaid"}], "symptoms": ["nausea"]"#
        for (day, intensity) in [("2026-06-03", 7), ("2026-06-10", 5), ("2026-07-02", 8), ("2026-08-15", 4)] {
            try await h.episode(p, "\(day)T08:00:00Z", ended: "\(day)T20:00:00Z", intensity: intensity, extra: triptan)
        }
        for day in ["2026-10-25", "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-10", "2026-11-12"] {
            try await h.episode(p, "\(day)T09:00:00Z", intensity: 6, extra: nsaid)
        }
        try await h.episode(p, "2026-10-28T22:00:00Z", ended: "2026-10-30T06:00:00Z", intensity: 9, extra: triptan)
        try await h.session(p, "2026-09-01T10:00:00Z", minutes: 45, techniques: ["scalp"], pain: (6, 3), stress: (7, 4))
        try await h.session(p, "2026-11-05T10:00:00Z", minutes: 30, techniques: ["neck_shoulder"], pain: (5, 3))
        return p
    }

    @Test("the report: HTML, no script, strict policy admitting only its own style, ETag and 304")
    func page() async throws {
        try await AnalyticsHarness.run(now: Self.now) { h in
            let p = try await Self.diary(h)
            let response = try await h.get("/v1/patients/\(p)/report")
            #expect(response.status == 200, "\(response.text)")
            #expect(response.header("Content-Type") == "text/html; charset=utf-8")
            #expect(response.header("Cache-Control") == "no-store")
            #expect(response.header("Content-Security-Policy") == ReportPage.contentSecurityPolicy)
            #expect(ReportPage.contentSecurityPolicy.hasPrefix("default-src 'none'; style-src 'sha256-"))
            #expect(response.header("Referrer-Policy") == "no-referrer")
            #expect(response.header("X-Frame-Options") == "DENY")
            let html = response.text
            #expect(html.hasPrefix("<!doctype html>"))
            #expect(!html.lowercased().contains("<script"))
            #expect(html.range(of: #"\son[a-z]+="#, options: .regularExpression) == nil)
            #expect(!html.contains(" style="), "an inline style attribute would be blocked by the policy")
            #expect(html.components(separatedBy: "<style>").count == 2)
            #expect(html.contains("<style>\(ReportPage.style)</style>"))
            #expect(html.contains("<svg"))
            #expect(html.contains("not medical advice"))
            let etag = try #require(response.header("ETag"))
            let again = try await h.get("/v1/patients/\(p)/report", ifNoneMatch: etag)
            #expect(again.status == 304)
            #expect(again.body.isEmpty)
        }
    }

    @Test(
        "the default period is the 12 calendar months up to today in the patient's zone; its figures are the summary's")
    func numbersAreTheEndpoints() async throws {
        try await AnalyticsHarness.run(now: Self.now) { h in
            let p = try await Self.diary(h)
            let html = try await h.get("/v1/patients/\(p)/report").text
            #expect(html.contains("Period: <strong>2025-12-01</strong> to <strong>2026-11-20</strong> (355 days)"))
            let summary = try await h.analytics("/v1/patients/\(p)/analytics/summary?from=2025-12-01&to=2026-11-21")
            let s = try #require(summary.objectValue)
            func cell(_ value: JSONValue?) -> String {
                guard let value else { return "missing" }
                if let integer = value.int64Value { return "<td class=\"num\">\(integer)</td>" }
                var text = String(format: "%.2f", value.doubleValue ?? .nan)
                while text.hasSuffix("0") { text.removeLast() }
                if text.hasSuffix(".") { text.removeLast() }
                return "<td class=\"num\">\(text)</td>"
            }
            // 13 migraine days (the 28 Oct episode covers 28–30 Oct in Berlin).
            #expect(s["migraineDays"]?.int64Value == 13)
            #expect(html.contains("<td>Monthly migraine days (MMD)</td>\(cell(s["monthlyMigraineDays"]))"))
            #expect(html.contains("<td>Acute-medication days</td>\(cell(s["medicationDays"]))"))
            #expect(html.contains("<td>Migraine days</td>\(cell(s["migraineDays"]))"))
            // Medication per class, with the thresholds.
            for item in s["medicationOveruse"]?.arrayValue ?? [] {
                let o = try #require(item.objectValue)
                let name = (o["class"]?.stringValue ?? "").replacingOccurrences(of: "_", with: " ")
                #expect(html.contains("<tr><td>\(name)</td>\(cell(o["days"]))\(cell(o["daysPer30"]))"), "\(name)")
            }
            // The calendar's day buckets carry the peak intensity: 29 Oct (local) is covered at 9.
            let days = try await h.analytics(
                "/v1/patients/\(p)/analytics/trends?bucket=day&from=2026-10-28&to=2026-10-31")
            let peaks = days.objectValue?["buckets"]?.arrayValue?.map { $0.objectValue?["peakIntensity"]?.int64Value }
            #expect(peaks == [9, 9, 9])
            // The massage comparison: baseline before 2026-09-01.
            let effect = try await h.analytics("/v1/patients/\(p)/analytics/massage-effect?to=2026-11-21")
            let baseline = try #require(effect.objectValue?["baseline"]?.objectValue)
            #expect(baseline["from"]?.stringValue == "2026-08-04")
            #expect(html.contains("2026-08-04 – 2026-08-31"))
        }
    }

    @Test("a patient token reaches only its own report; other roles as for analytics; no token is 401; audited")
    func access() async throws {
        try await AnalyticsHarness.run(now: Self.now) { h in
            let p = try await Self.diary(h)
            let other = try await h.patient()
            let own = try h.app.client(token: try h.app.token(.patient, patient: p))
            #expect(try await own.request("GET", "/v1/patients/\(p)/report").status == 200)
            let foreign = try await own.request("GET", "/v1/patients/\(other)/report")
            #expect(foreign.status == 404)
            #expect(foreign.header("Content-Type") == "application/problem+json")
            let therapist = try await h.therapist("T", license: "L-1")
            let clinician = try h.app.client(token: try h.app.token(.clinician, therapist: therapist))
            #expect(try await clinician.request("GET", "/v1/patients/\(p)/report").status == 200)
            #expect(try await h.get("/v1/patients/999999/report").status == 404)
            let anonymous = try await h.app.client(token: nil).request("GET", "/v1/patients/\(p)/report")
            #expect(anonymous.status == 401)
            #expect(anonymous.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)

            // Audited as patient data: the reads, and the refused attempt on the other patient.
            func audited(_ patient: Int) async throws -> [[String: Any]] {
                let page = try await h.get("/v1/audit?patientId=\(patient)&limit=500")
                return (page.object["items"] as? [[String: Any]] ?? []).filter {
                    $0["route"] as? String == "/v1/patients/{id}/report"
                }
            }
            let reads = try await audited(p)
            #expect(reads.contains { $0["role"] as? String == "patient" && $0["status"] as? Int == 200 })
            #expect(reads.contains { $0["role"] as? String == "clinician" && $0["status"] as? Int == 200 })
            #expect(
                try await audited(other).contains { $0["role"] as? String == "patient" && $0["status"] as? Int == 404 })
        }
    }

    @Test("bad windows and unknown parameters are 400 problems naming the parameter")
    func badQueries() async throws {
        try await AnalyticsHarness.run(now: Self.now) { h in
            let p = try await h.patient()
            for (query, field) in [
                ("from=2026-11-01&to=2026-10-01", "/from"), ("from=2023-01-01&to=2026-01-01", "/from"),
                ("to=2020-01-01", "/to"), ("from=yesterday", "/from"), ("color=red", "/color"),
            ] {
                let response = try await h.get("/v1/patients/\(p)/report?\(query)")
                #expect(response.status == 400, "\(query)")
                #expect(response.problemFields == [field], "\(query)")
            }
            #expect(try await h.get("/v1/patients/\(p)/report?from=2026-01-01&to=2026-02-01").status == 200)
        }
    }

    @Test("an empty diary still renders, with the figures' absence stated")
    func emptyDiary() async throws {
        try await AnalyticsHarness.run(now: Self.now) { h in
            let p = try await h.patient()
            let response = try await h.get("/v1/patients/\(p)/report")
            #expect(response.status == 200)
            #expect(response.text.contains("No session recorded: no comparison."))
            #expect(response.text.contains("No medication recorded"))
            // The summary's warnings reach the reader: nothing recorded, so nothing to go by.
            #expect(response.text.contains("Data warnings: before-first-entry, few-episodes."))
        }
    }
}
