import Crypto
import Foundation
import JSON

/// The printable report for the doctor (`GET /v1/patients/{id}/report`): one HTML page with
/// inline SVG and no script, rendered from the analytics endpoints' own JSON bodies, so every
/// number on paper is the number the API answers for the same window.
///
/// Sized for A4 and US Letter: a year of data fits on two pages.
struct ReportPage {
    /// The analytics results the page shows, each the exact body its endpoint would send.
    struct Figures {
        var summary: JSONValue
        /// Month buckets over the report's window (migraine days per month).
        var months: JSONValue
        /// Day buckets over the report's window (the calendar, by each day's peak intensity).
        var days: JSONValue
        var massageEffect: JSONValue
    }

    var patientId: Int64
    var displayName: String
    var timezone: String
    var figures: Figures

    /// The page's one style sheet; its hash is the only style the report's (and the
    /// dashboard's) Content-Security-Policy admits inline.
    static let style = """
        @page { size: auto; margin: 10mm 11mm 12mm; }
        * { box-sizing: border-box; }
        body { font: 8.5pt/1.3 system-ui, "DejaVu Sans", Arial, sans-serif; color: #1a1a1a; margin: 0 auto; max-width: 190mm; padding: 2mm; }
        h1 { font-size: 14pt; margin: 0 0 1mm; }
        h2 { font-size: 10pt; margin: 3mm 0 1mm; border-bottom: 1px solid #767676; padding-bottom: 0.4mm; }
        p { margin: 0.8mm 0; }
        .meta, .n, .legend { color: #4a4a4a; }
        .note { border: 1px solid #767676; padding: 1mm 2mm; margin: 1.5mm 0; font-weight: 600; }
        .grid { display: flex; flex-wrap: wrap; gap: 0 5mm; align-items: flex-start; }
        .grid > * { flex: 1 1 55mm; min-width: 0; }
        table { border-collapse: collapse; width: 100%; margin: 0.5mm 0; }
        th, td { text-align: left; padding: 0.3mm 1.2mm; border-bottom: 1px solid #d0d0d0; vertical-align: top; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        .flag { font-weight: 700; color: #a3242b; }
        svg { display: block; width: 100%; height: auto; }
        svg text { font: 7px system-ui, "DejaVu Sans", Arial, sans-serif; fill: #1a1a1a; }
        figure, tr { break-inside: avoid; }
        h2 { break-after: avoid; }
        figure { margin: 0.5mm 0; }
        figcaption, .n, .warnings { color: #4a4a4a; font-size: 7.5pt; }
        """

    /// `'sha256-…'` of `style`, as a Content-Security-Policy source.
    static let styleHash: String = "sha256-" + Data(SHA256.hash(data: Array(style.utf8))).base64EncodedString()

    /// The report's own policy: no script at all, no other origin, only its own style sheet.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src '\(styleHash)'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// Shades of the calendar and the legend: no migraine, then peak intensity 0–3, 4–6, 7–10.
    /// Each shade has at least 3:1 contrast with its neighbour's border and the page.
    static let shades = ["#eceff3", "#f2b950", "#d9692a", "#9e1f2a"]

    static func shade(peak: Int64?) -> String {
        guard let peak else { return shades[0] }
        return peak <= 3 ? shades[1] : peak <= 6 ? shades[2] : shades[3]
    }

    func render() -> String {
        let s = figures.summary
        let from = s["from"].stringValue ?? ""
        let to = s["to"].stringValue ?? ""
        let days = s["days"].int64Value ?? 0
        let lastDay = Days.parse(to).map { Days.format($0 - 1) } ?? to
        var html = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="referrer" content="no-referrer">
            <title>Migraine diary report: \(escape(displayName)), \(from) to \(lastDay)</title>
            <style>\(Self.style)</style>
            </head>
            <body>
            <header>
            <h1>Migraine diary report</h1>
            <p><strong>\(escape(displayName))</strong> (patient \(patientId), calendar days in \(escape(timezone)))</p>
            <p>Period: <strong>\(from)</strong> to <strong>\(lastDay)</strong> (\(days) days).</p>
            <p class="note">\(escape(s["note"].stringValue ?? analyticsNote)) Figures come from the patient's own diary entries; n is what each figure is computed from.</p>
            </header>

            """
        html += keyFigures()
        html += calendar()
        html += monthlyChart()
        html += "<div class=\"grid\">\n" + medication() + tags() + "</div>\n"
        html += massage()
        html += warnings()
        html += "</body>\n</html>\n"
        return html
    }

    // MARK: Sections

    private func keyFigures() -> String {
        let s = figures.summary
        let episodes = s["episodes"].int64Value ?? 0
        let rows: [(String, String, String)] = [
            ("Migraine days", number(s["migraineDays"]), "of \(number(s["days"])) days"),
            (
                "Monthly migraine days (MMD)", number(s["monthlyMigraineDays"]),
                "migraine days × 28 / \(number(s["days"]))"
            ),
            ("Episodes", number(s["episodes"]), "\(number(s["auraEpisodes"])) with aura"),
            (
                "Peak intensity (0–10), mean / median",
                number(s["meanIntensity"]) + " / " + number(s["medianIntensity"]),
                "n = \(episodes) episodes"
            ),
            ("Mean duration (hours)", number(s["meanDurationHours"]), "episodes with an end"),
            ("Acute-medication days", number(s["medicationDays"]), "days an episode started with any medication"),
            (
                "Massage sessions", number(s["sessions"]),
                "\(number(s["professionalSessions"])) professional, \(number(s["selfSessions"])) self; \(number(s["sessionMinutes"])) min"
            ),
        ]
        var html = "<section><h2>Key figures</h2>\n<div class=\"grid\">\n"
        for half in [rows.prefix(4), rows.dropFirst(4)] {
            html +=
                "<table>\n<thead><tr><th>Figure</th><th class=\"num\">Value</th><th>n / basis</th></tr></thead>\n<tbody>\n"
            for (label, value, basis) in half {
                html += "<tr><td>\(label)</td><td class=\"num\">\(value)</td><td class=\"n\">\(basis)</td></tr>\n"
            }
            html += "</tbody></table>\n"
        }
        return html + "</div></section>\n"
    }

    private func calendar() -> String {
        let buckets = figures.days["buckets"].arrayValue ?? []
        guard let first = buckets.first.flatMap({ Days.parse($0["start"].stringValue ?? "") }) else { return "" }
        var peaks: [LocalDay: Int64?] = [:]
        var migraine = Set<LocalDay>()
        for bucket in buckets {
            guard let day = Days.parse(bucket["start"].stringValue ?? "") else { continue }
            peaks[day] = bucket["peakIntensity"].int64Value
            if (bucket["migraineDays"].int64Value ?? 0) > 0 { migraine.insert(day) }
        }
        let last = first + Int64(buckets.count) - 1
        // Months side by side, six to a row: 7 columns of 9-unit cells each.
        var months: [LocalDay] = []
        var month = Days.monthStart(first)
        while month <= last {
            months.append(month)
            month = Days.addMonths(month, 1)
        }
        let cell = 9.0
        let blockWidth = 7 * (cell + 1) + 10
        let blockHeight = 12 + 6 * (cell + 1) + 6
        let columns = 6
        let rows = (months.count + columns - 1) / columns
        let width = Double(columns) * blockWidth
        let height = Double(rows) * blockHeight + 14
        let names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        var svg = """
            <svg viewBox="0 0 \(format(width)) \(format(height))" role="img" aria-label="Calendar of \(migraine.count) migraine days among \(buckets.count) days, shaded by the day's peak intensity">

            """
        for (index, start) in months.enumerated() {
            let x0 = Double(index % columns) * blockWidth
            let y0 = Double(index / columns) * blockHeight
            let (year, monthNumber, _) = Timestamp.civilFromDays(start)
            svg += "<text x=\"\(format(x0))\" y=\"\(format(y0 + 8))\">\(names[Int(monthNumber) - 1]) \(year)</text>\n"
            let end = Days.addMonths(start, 1)
            let leading = Days.floorModulo(start - Days.weekStart(start), 7)
            for day in start..<end {
                let offset = leading + (day - start)
                let x = x0 + Double(offset % 7) * (cell + 1)
                let y = y0 + 12 + Double(offset / 7) * (cell + 1)
                let inside = day >= first && day <= last
                let fill =
                    inside ? Self.shade(peak: migraine.contains(day) ? (peaks[day] ?? nil) ?? 0 : nil) : "#ffffff"
                let stroke = inside ? "#8a8a8a" : "#d0d0d0"
                svg +=
                    "<rect x=\"\(format(x))\" y=\"\(format(y))\" width=\"\(format(cell))\" height=\"\(format(cell))\" fill=\"\(fill)\" stroke=\"\(stroke)\" stroke-width=\"0.4\"/>\n"
            }
        }
        // Legend.
        let legendY = Double(rows) * blockHeight + 2
        let labels = ["no migraine", "peak 0–3", "peak 4–6", "peak 7–10"]
        for (i, label) in labels.enumerated() {
            let x = Double(i) * 75
            svg +=
                "<rect x=\"\(format(x))\" y=\"\(format(legendY))\" width=\"9\" height=\"9\" fill=\"\(Self.shades[i])\" stroke=\"#8a8a8a\" stroke-width=\"0.4\"/>"
            svg += "<text x=\"\(format(x + 12))\" y=\"\(format(legendY + 7.5))\">\(label)</text>\n"
        }
        svg += "</svg>\n"
        return """
            <section><h2>Calendar of migraine days</h2>
            <figure>\(svg)<figcaption>Each square is a day (weeks start on Monday); a migraine day is any day an episode covers, shaded by the highest intensity that day. n = \(migraine.count) migraine days of \(buckets.count).</figcaption></figure>
            </section>

            """
    }

    private func monthlyChart() -> String {
        let buckets = figures.months["buckets"].arrayValue ?? []
        guard !buckets.isEmpty else { return "" }
        let effect = figures.massageEffect
        let baseline = effect["baseline"]["monthlyMigraineDays"].doubleValue
        let values: [(label: String, mmd: Double?, migraineDays: Int64, days: Int64)] = buckets.map { bucket in
            let start = Days.parse(bucket["start"].stringValue ?? "") ?? 0
            let end = Days.parse(bucket["end"].stringValue ?? "") ?? start
            let window = DayWindow(from: start, to: end)
            let migraineDays = bucket["migraineDays"].int64Value ?? 0
            let (year, month, _) = Timestamp.civilFromDays(start)
            return (
                String(format: "%04lld-%02lld", year, month), rounded(window.monthly(Int(migraineDays))).doubleValue,
                migraineDays,
                window.days
            )
        }
        let top = max(4, (([baseline ?? 0] + values.compactMap(\.mmd)).max() ?? 0).rounded(.up))
        let width = 480.0
        let height = 118.0
        let left = 22.0
        let bottom = 20.0
        let plotHeight = height - bottom - 14
        let slot = (width - left) / Double(values.count)
        func y(_ value: Double) -> Double { height - bottom - value / top * plotHeight }
        var svg = """
            <svg viewBox="0 0 \(format(width)) \(format(height))" role="img" aria-label="Monthly migraine days per calendar month\(baseline.map { ", baseline \(format($0))" } ?? "")">

            """
        for tick in stride(from: 0.0, through: top, by: max(1, (top / 4).rounded(.up))) {
            svg +=
                "<line x1=\"\(format(left))\" x2=\"\(format(width))\" y1=\"\(format(y(tick)))\" y2=\"\(format(y(tick)))\" stroke=\"#d0d0d0\" stroke-width=\"0.5\"/>"
            svg +=
                "<text x=\"\(format(left - 3))\" y=\"\(format(y(tick) + 2.5))\" text-anchor=\"end\">\(format(tick))</text>\n"
        }
        for (i, value) in values.enumerated() {
            let x = left + Double(i) * slot + slot * 0.15
            let mmd = value.mmd ?? 0
            svg +=
                "<rect x=\"\(format(x))\" y=\"\(format(y(mmd)))\" width=\"\(format(slot * 0.7))\" height=\"\(format(max(0, y(0) - y(mmd))))\" fill=\"#2f5d8a\"/>"
            svg +=
                "<text x=\"\(format(x + slot * 0.35))\" y=\"\(format(y(mmd) - 2))\" text-anchor=\"middle\">\(format(mmd))</text>"
            svg +=
                "<text x=\"\(format(x + slot * 0.35))\" y=\"\(format(height - bottom + 9))\" text-anchor=\"middle\">\(value.label.suffix(5))</text>\n"
        }
        if let baseline {
            svg +=
                "<line x1=\"\(format(left))\" x2=\"\(format(width))\" y1=\"\(format(y(baseline)))\" y2=\"\(format(y(baseline)))\" stroke=\"#9e1f2a\" stroke-width=\"1\" stroke-dasharray=\"4 3\"/>"
            svg +=
                "<text x=\"\(format(width - 2))\" y=\"\(format(y(baseline) - 2))\" text-anchor=\"end\">baseline \(format(baseline))</text>\n"
        }
        svg += "</svg>\n"
        var table = "<table><thead><tr><th>Month</th>"
        for value in values { table += "<th class=\"num\">\(value.label.suffix(5))</th>" }
        table += "</tr></thead><tbody><tr><td>Migraine days</td>"
        for value in values { table += "<td class=\"num\">\(value.migraineDays)</td>" }
        table += "</tr><tr><td>Days (n)</td>"
        for value in values { table += "<td class=\"num\">\(value.days)</td>" }
        table += "</tr></tbody></table>\n"
        let baselineText =
            baseline.map { value in
                let period = effect["baseline"]
                return
                    "The dashed line is the baseline MMD, \(format(value)), over the \(number(period["days"])) days before the first massage session (\(period["from"].stringValue ?? "") to \(period["to"].stringValue ?? ""), n = \(number(period["migraineDays"])) migraine days)."
            } ?? "No baseline: there is no massage session, or no diary entry before the first one."
        return """
            <section><h2>Monthly migraine days against the baseline</h2>
            <figure>\(svg)<figcaption>MMD per calendar month (migraine days × 28 / days of the month in the period). \(baselineText)</figcaption></figure>
            \(table)</section>

            """
    }

    private func medication() -> String {
        let s = figures.summary
        let items = s["medicationOveruse"].arrayValue ?? []
        var html = "<section><h2>Acute-medication days per class</h2>\n"
        guard !items.isEmpty else {
            return html
                + "<p>No medication recorded in the period (n = \(number(s["episodes"])) episodes).</p></section>\n"
        }
        html += "<table><thead><tr><th>Class</th><th class=\"num\">Days</th><th class=\"num\">Per 30 d</th>"
        html += "<th class=\"num\">Limit</th><th>Overuse</th></tr></thead><tbody>\n"
        for item in items {
            let exceeded = item["exceeded"].boolValue ?? false
            let threshold = item["threshold"].isNull ? "none" : number(item["threshold"])
            html +=
                "<tr><td>\(escape(label(item["class"].stringValue ?? "")))</td><td class=\"num\">\(number(item["days"]))</td>"
            html += "<td class=\"num\">\(number(item["daysPer30"]))</td><td class=\"num\">\(threshold)</td>"
            html += exceeded ? "<td class=\"flag\">at or over</td></tr>\n" : "<td>below</td></tr>\n"
        }
        html += "</tbody></table>\n"
        html +=
            "<p class=\"n\">Days: distinct days an episode started with a medication of the class; \(number(s["medicationDays"])) medication days in all, n = \(number(s["days"])) days. Limit: the ICHD-3 8.2 threshold (medication-overuse headache) in days per 30.</p>"
        return html + "</section>\n"
    }

    private func tags() -> String {
        let s = figures.summary
        var html = ""
        for (key, field, title) in [("topTriggers", "trigger", "Trigger"), ("topSymptoms", "symptom", "Symptom")] {
            html += "<section><h2>Top \(title.lowercased())s</h2>\n"
            let items = s[key].arrayValue ?? []
            if items.isEmpty {
                html += "<p>No \(title.lowercased())s recorded.</p></section>\n"
                continue
            }
            html +=
                "<table><thead><tr><th>\(title)</th><th class=\"num\">Episodes</th><th class=\"num\">Share</th></tr></thead><tbody>\n"
            for item in items.prefix(5) {
                html +=
                    "<tr><td>\(escape(label(item[field].stringValue ?? "")))</td><td class=\"num\">\(number(item["count"]))</td>"
                html += "<td class=\"num\">\(percent(item["share"]))</td></tr>\n"
            }
            html += "</tbody></table>\n"
            html +=
                "<p class=\"n\">Share of the n = \(number(s["episodes"])) episodes that started in the period.</p></section>\n"
        }
        return html
    }

    private func massage() -> String {
        let s = figures.summary
        let e = figures.massageEffect
        var html = "<section><h2>Massage sessions and the before/after comparison</h2>\n"
        html +=
            "<p>\(number(s["sessions"])) sessions in the period (\(number(s["professionalSessions"])) professional, \(number(s["selfSessions"])) self-massage; \(number(s["sessionMinutes"])) minutes). Mean pain drop during a session: \(number(s["meanPainDrop"])); mean stress drop: \(number(s["meanStressDrop"])) (sessions with both ratings).</p>\n"
        guard !e["firstSessionAt"].isNull else {
            return html + "<p>No session recorded: no comparison.</p></section>\n"
        }
        let baseline = e["baseline"]
        let followUp = e["followUp"]
        html += "<div class=\"grid\">\n"
        html +=
            "<table><thead><tr><th></th><th class=\"num\">Baseline</th><th class=\"num\">Follow-up</th></tr></thead><tbody>\n"
        let rows: [(String, String)] = [
            ("Window", "from"), ("Days (n)", "days"), ("Migraine days", "migraineDays"),
            ("Monthly migraine days", "monthlyMigraineDays"), ("Episodes", "episodes"),
            ("Mean peak intensity", "meanIntensity"),
        ]
        for (title, key) in rows {
            let a = key == "from" ? period(baseline) : number(baseline[key])
            let b = key == "from" ? period(followUp) : number(followUp[key])
            html += "<tr><td>\(title)</td><td class=\"num\">\(a)</td><td class=\"num\">\(b)</td></tr>\n"
        }
        html += "</tbody></table>\n"
        html += techniqueTable(e) + "</div>\n"
        let percentChange = e["mmdPercentChange"].isNull ? "not computable" : number(e["mmdPercentChange"]) + " %"
        let responder = e["responder50"].isNull ? "not computable" : (e["responder50"].boolValue == true ? "yes" : "no")
        html +=
            "<p>MMD change (follow-up − baseline): <strong>\(number(e["mmdChange"]))</strong>; percent change: \(percentChange); 50 % responder: \(responder). Episodes within 72 h after a session: \(number(e["episodesWithin72hPerSession"])) per session, against \(number(e["baselineEpisodesPer72h"])) per 72 h in the baseline (n = \(number(e["sessions"])) sessions since the first, \(Self.date(e["firstSessionAt"].stringValue))).</p>\n"
        return html + "</section>\n"
    }

    private func techniqueTable(_ e: JSONValue) -> String {
        let techniques = e["byTechnique"].arrayValue ?? []
        guard !techniques.isEmpty else { return "" }
        var html =
            "<table><thead><tr><th>Technique</th><th class=\"num\">Sessions (n)</th><th class=\"num\">Pain drop</th>"
        html += "<th class=\"num\">Stress drop</th></tr></thead><tbody>\n"
        for item in techniques {
            html +=
                "<tr><td>\(escape(label(item["technique"].stringValue ?? "")))</td><td class=\"num\">\(number(item["sessions"]))</td>"
            html +=
                "<td class=\"num\">\(number(item["meanPainDrop"]))</td><td class=\"num\">\(number(item["meanStressDrop"]))</td></tr>\n"
        }
        return html + "</tbody></table>\n"
    }

    private func warnings() -> String {
        var all: [String] = []
        for value in [figures.summary, figures.massageEffect] {
            for warning in value["warnings"].arrayValue ?? [] {
                if let text = warning.stringValue, !all.contains(text) { all.append(text) }
            }
        }
        guard !all.isEmpty else { return "" }
        return "<p class=\"warnings\">Data warnings: \(all.map(escape).joined(separator: ", ")).</p>\n"
    }

    // MARK: Formatting

    private func period(_ window: JSONValue) -> String {
        let from = window["from"].stringValue ?? ""
        let to = window["to"].stringValue.flatMap(Days.parse).map { Days.format($0 - 1) } ?? ""
        return "\(from) – \(to)"
    }

    private static func date(_ timestamp: String?) -> String {
        guard let timestamp else { return "" }
        return String(timestamp.prefix(10))
    }

    /// A slug as words: "combination_analgesic" → "combination analgesic".
    private func label(_ slug: String) -> String { slug.replacingOccurrences(of: "_", with: " ") }

    private func percent(_ value: JSONValue) -> String {
        guard let share = value.doubleValue else { return "–" }
        return format((share * 10_000).rounded() / 100) + " %"
    }
}

/// A JSON number as the report prints it: integers without a fraction, others with at most
/// two decimals, trailing zeros dropped (`4`, `4.5`, `4.31`); null as an en dash.
private func number(_ value: JSONValue) -> String {
    if let integer = value.int64Value { return String(integer) }
    if let double = value.doubleValue { return format(double) }
    return "–"
}

/// `value` with at most two decimals, trailing zeros dropped.
private func format(_ value: Double) -> String {
    var text = String(format: "%.2f", value)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text == "-0" ? "0" : text
}

/// Text for HTML element content and attribute values.
private func escape(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    for character in text {
        switch character {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&#39;"
        default: result.append(character)
        }
    }
    return result
}

extension JSONValue {
    /// The member `key` of an object, or null.
    fileprivate subscript(_ key: String) -> JSONValue { objectValue?[key] ?? .null }
}
