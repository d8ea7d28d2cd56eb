import Foundation
import JSON

// Reading the attack table that the Migraine Buddy app exports as CSV (the contract's
// "Migraine Buddy"), into episode create bodies that then go through the ordinary import
// (`ImportPlan`), so they are validated exactly like a POST.
//
// The layout, as this reader understands it (docs/migraine-buddy.md has the full table):
// - Anything before the attack table's header (a title, the table of ongoing events) is
//   skipped. The header is the first row naming `#`, `Started`, `Lasted` and `Pain Level`.
// - `Started` is local wall-clock time (`2026-03-14 08:30`, seconds optional, `T` allowed).
//   Newer files carry `Start UTC Offset (min)` (minutes east of UTC, `60` for +01:00); older
//   files do not, and the time is then read in the patient's time zone.
// - `Lasted` is `01h 00m`, `1d 02h 15m`, `45m` or `Ongoing` (no end yet).
// - List cells are comma-separated names; `no medication` means none.
// - Names that match the mapping become known slugs; others become slugs of their own name
//   and are reported as `unmapped`. Columns the reader does not use are ignored.

enum MigraineBuddy {
    /// Every Migraine Buddy name this reader maps, by episode field (lower-cased name → slug).
    static let mapping: [(field: String, column: String, names: KeyValuePairs<String, String>)] = [
        (
            "triggers", "Potential Triggers",
            [
                "stress": "stress", "anxiety": "stress", "muscle tension": "muscle_tension",
                "tense muscles": "muscle_tension", "lack of sleep": "poor_sleep", "poor sleep": "poor_sleep",
                "too little sleep": "poor_sleep", "irregular sleep": "poor_sleep", "skipped meal": "skipped_meal",
                "missed a meal": "skipped_meal", "hunger": "skipped_meal", "dehydration": "dehydration",
                "not enough water": "dehydration", "alcohol": "alcohol", "wine": "alcohol", "red wine": "alcohol",
                "caffeine": "caffeine", "coffee": "caffeine", "too much caffeine": "caffeine", "weather": "weather",
                "weather change": "weather", "change in weather": "weather", "barometric pressure": "weather",
                "menstruation": "menstruation", "period": "menstruation", "menstrual cycle": "menstruation",
                "bright light": "bright_light", "bright lights": "bright_light", "sunlight": "bright_light",
                "glare": "bright_light", "screen time": "screen_time", "computer screen": "screen_time",
                "screens": "screen_time", "strong smell": "strong_smell", "strong smells": "strong_smell",
                "odors": "strong_smell", "perfume": "strong_smell",
            ]
        ),
        (
            "symptoms", "Symptoms",
            [
                "nausea": "nausea", "vomiting": "vomiting", "sensitivity to light": "photophobia",
                "light sensitivity": "photophobia", "sensitivity to sound": "phonophobia",
                "sensitivity to noise": "phonophobia", "noise sensitivity": "phonophobia",
                "sensitivity to smell": "osmophobia", "smell sensitivity": "osmophobia", "dizziness": "dizziness",
                "vertigo": "dizziness", "neck pain": "neck_pain", "stiff neck": "neck_pain", "fatigue": "fatigue",
                "tiredness": "fatigue", "aura": "visual_disturbance", "visual disturbances": "visual_disturbance",
                "blurred vision": "visual_disturbance",
            ]
        ),
        (
            "locations", "Pain Positions",
            [
                "left side": "left", "left side of head": "left", "left": "left", "right side": "right",
                "right side of head": "right", "right": "right", "both sides": "bilateral", "whole head": "bilateral",
                "forehead": "frontal", "front of head": "frontal", "temples": "temporal", "left temple": "temporal",
                "right temple": "temporal", "back of head": "occipital", "behind the eyes": "behind_eye",
                "behind eye": "behind_eye", "around the eyes": "behind_eye", "neck": "neck",
            ]
        ),
        (
            "reliefMeasures", "… Non Drug Relief Methods",
            [
                "massage": "self_massage", "self massage": "self_massage", "self-massage": "self_massage",
                "warm compress": "warm_compress", "heat": "warm_compress", "hot shower": "warm_compress",
                "cold pack": "cold_pack", "ice pack": "cold_pack", "cold compress": "cold_pack",
                "dark room": "dark_room", "rest in a dark room": "dark_room", "darkness": "dark_room",
                "sleep": "sleep", "nap": "sleep", "breathing": "breathing", "breathing exercises": "breathing",
                "relaxation": "breathing",
            ]
        ),
        (
            "medications.class", "… Medication",
            [
                "sumatriptan": "triptan", "rizatriptan": "triptan", "zolmitriptan": "triptan", "eletriptan": "triptan",
                "naratriptan": "triptan", "almotriptan": "triptan", "frovatriptan": "triptan",
                "ibuprofen": "nsaid", "naproxen": "nsaid", "diclofenac": "nsaid", "aspirin": "nsaid",
                "paracetamol": "simple_analgesic", "acetaminophen": "simple_analgesic",
                "excedrin": "combination_analgesic", "ergotamine": "ergot", "dihydroergotamine": "ergot",
                "ubrogepant": "gepant", "rimegepant": "gepant", "metoclopramide": "antiemetic",
                "domperidone": "antiemetic", "codeine": "opioid", "tramadol": "opioid",
            ]
        ),
    ]

    private static let lookup: [String: [String: String]] = Dictionary(
        uniqueKeysWithValues: mapping.map { entry in
            (entry.field, Dictionary(entry.names.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first }))
        })

    /// The mapping as `GET /v1/import/migraine-buddy/mapping` serves it.
    static var mappingJSON: JSONValue {
        var fields = JSONObject()
        for entry in mapping {
            var names = JSONObject()
            for (name, slug) in entry.names { names.append(name, .string(slug)) }
            fields.append(entry.field, ["column": .string(entry.column), "names": .object(names)])
        }
        var columns = JSONObject()
        for (column, meaning) in columnMeanings { columns.append(column, .string(meaning)) }
        return [
            "columns": .object(columns), "fields": .object(fields),
            "externalId": "mb: + the # column + : + the start instant (RFC 3339 UTC)",
            "otherNames":
                "A name not listed becomes a slug of its own (lower case, runs of other characters as _) and is reported in unmapped.",
        ]
    }

    static let columnMeanings: KeyValuePairs<String, String> = [
        "#": "The attack's number; part of externalId.",
        "Started": "Local start time (YYYY-MM-DD HH:mm[:ss]) → startedAt.",
        "Start UTC Offset (min)":
            "Minutes east of UTC of Started (newer files); without it Started is read in the patient's time zone.",
        "Lasted": "01h 00m, 1d 02h 15m, 45m or Ongoing → endedAt (Ongoing: none).",
        "Pain Level": "0–10 → intensity.",
        "Potential Triggers": "Comma-separated → triggers.",
        "Symptoms": "Comma-separated → symptoms (Aura also sets aura).",
        "Pain Positions": "Comma-separated → locations.",
        "… Medication":
            "Every column ending in Medication: comma-separated names, a dose such as (50 mg) read as doseMg; no medication means none; in a column starting with Helpful the medication is effective.",
        "… Non Drug Relief Methods": "Every column ending in Non Drug Relief Methods → reliefMeasures.",
        "Notes": "→ notes.",
    ]

    /// The slug of a name no mapping knows: lower case, other characters as `_`, starting with
    /// a letter, at most 40 characters.
    static func slug(of name: String) -> String {
        var slug = ""
        for scalar in name.lowercased().unicodeScalars {
            if (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9") {
                slug.unicodeScalars.append(scalar)
            } else if !slug.isEmpty, !slug.hasSuffix("_") {
                slug += "_"
            }
        }
        while slug.hasSuffix("_") { slug.removeLast() }
        if slug.isEmpty || !(slug.first!.isLetter) { slug = "x_" + slug }
        return String(slug.prefix(40)).trimmingSuffix("_")
    }

    /// What a read found besides the episodes.
    struct Findings: Sendable {
        /// Per field, the names kept as new slugs, in first-seen order.
        var unmapped: [String: [String]] = [:]

        var json: JSONValue {
            var object = JSONObject()
            for field in ["triggers", "symptoms", "locations", "reliefMeasures"] {
                object.append(field, .array((unmapped[field] ?? []).map(JSONValue.string)))
            }
            return .object(object)
        }
    }

    /// Reads the attack table of `body`, handing each attack to `accept` as an episode create
    /// body of `patientId`, and what cannot be read to `reject`. `zoneOffset` gives the offset
    /// in milliseconds of the patient's time zone at an instant (for files without offsets).
    /// Throws `ImportLimitExceeded` for a file beyond `limits` (rows are the attack table's).
    static func read(
        _ body: [UInt8], patientId: Int64, zoneOffset: (Int64) -> Int64, limits: ImportLimits = ImportLimits(),
        _ accept: (Int, JSONObject) throws -> Void, _ reject: (Int, String, String) -> Void
    ) throws -> Findings {
        var findings = Findings()
        var header: [String]? = nil
        var rows = 0
        do {
            try CSV.read(body, limits: limits) { line, cells in
                let texts = cells.map { $0.text.trimmingCharacters(in: " ") }
                guard let columns = header else {
                    if texts.first == "#", texts.contains("Started"), texts.contains("Lasted"),
                        texts.contains("Pain Level")
                    {
                        header = texts
                    }
                    return
                }
                rows += 1
                if rows > limits.maxRows { throw limits.rowsExceeded(at: line) }
                var row: [String: String] = [:]
                var medicationCells: [(helpful: Bool, text: String)] = []
                var reliefCells: [String] = []
                for (column, text) in zip(columns, texts) {
                    if column.hasSuffix("Medication") {
                        medicationCells.append((column.hasPrefix("Helpful"), text))
                    } else if column.hasSuffix("Non Drug Relief Methods") {
                        if !column.hasPrefix("Helpful") { reliefCells.append(text) }
                    } else {
                        row[column] = text
                    }
                }
                guard texts.count == columns.count else {
                    reject(line, "", "has \(texts.count) cells where the attack table's header has \(columns.count)")
                    return
                }
                if let object = episode(
                    row, medications: medicationCells, relief: reliefCells, line: line, patientId: patientId,
                    zoneOffset: zoneOffset, findings: &findings, reject)
                {
                    try accept(line, object)
                }
            }
        } catch let error as CSV.SyntaxError {
            reject(error.line, "", error.message)
        }
        if header == nil {
            reject(1, "", "no attack table: no row names the columns #, Started, Lasted and Pain Level")
        }
        return findings
    }

    private static func episode(
        _ row: [String: String], medications medicationCells: [(helpful: Bool, text: String)], relief: [String],
        line: Int, patientId: Int64, zoneOffset: (Int64) -> Int64, findings: inout Findings,
        _ reject: (Int, String, String) -> Void
    ) -> JSONObject? {
        let number = row["#"] ?? ""
        guard let local = localTime(row["Started"] ?? "") else {
            reject(line, "/Started", "must be a local time such as 2026-03-14 08:30")
            return nil
        }
        let start: Int64
        if let offsetText = row["Start UTC Offset (min)"], !offsetText.isEmpty {
            guard let minutes = Int64(offsetText), abs(minutes) <= 18 * 60 else {
                reject(line, "/Start UTC Offset (min)", "must be whole minutes east of UTC, such as 60 or -300")
                return nil
            }
            start = local - minutes * 60_000
        } else {
            // Wall time in the patient's zone: correct by the offset at the first guess.
            start = local - zoneOffset(local - zoneOffset(local))
        }
        var object = JSONObject()
        object.append("patientId", .number(.integer(patientId)))
        object.append("startedAt", .string(Timestamp.format(start)))
        switch duration(row["Lasted"] ?? "") {
        case .none:
            reject(line, "/Lasted", "must be a duration such as 01h 00m or 1d 02h 15m, or Ongoing")
            return nil
        case .some(nil):
            break
        case .some(let milliseconds?):
            object.append("endedAt", .string(Timestamp.format(start + milliseconds)))
        }
        let pain = row["Pain Level"] ?? ""
        if let level = Int64(pain) {
            object.append("intensity", .number(.integer(level)))
        } else if !pain.isEmpty {
            object.append("intensity", .string(pain))
        }
        var aura = false
        for (field, column) in [
            ("triggers", "Potential Triggers"), ("symptoms", "Symptoms"), ("locations", "Pain Positions"),
        ] {
            let names = list(row[column] ?? "")
            if field == "symptoms", names.contains(where: { $0.lowercased().contains("aura") }) { aura = true }
            let slugs = map(names, field: field, findings: &findings)
            if !slugs.isEmpty { object.append(field, .array(slugs.map(JSONValue.string))) }
        }
        if aura { object.append("aura", .bool(true)) }
        let reliefSlugs = map(relief.flatMap(list), field: "reliefMeasures", findings: &findings)
        if !reliefSlugs.isEmpty { object.append("reliefMeasures", .array(reliefSlugs.map(JSONValue.string))) }
        let medications = self.medications(medicationCells)
        if !medications.isEmpty { object.append("medications", .array(medications)) }
        if let notes = row["Notes"], !notes.isEmpty { object.append("notes", .string(notes)) }
        object.append("externalId", .string("mb:\(number):\(Timestamp.format(start))"))
        return object
    }

    /// The comma-separated names of a cell, trimmed; `no medication` and blanks are none.
    static func list(_ cell: String) -> [String] {
        cell.split(separator: ",").map { $0.trimmingCharacters(in: " \t") }.filter {
            !$0.isEmpty && $0.lowercased() != "no medication" && $0.lowercased() != "none"
        }
    }

    private static func map(_ names: [String], field: String, findings: inout Findings) -> [String] {
        var slugs: [String] = []
        for name in names {
            let slug: String
            if let known = lookup[field]?[name.lowercased()] {
                slug = known
            } else {
                slug = self.slug(of: name)
                if !(findings.unmapped[field]?.contains(name) ?? false) {
                    findings.unmapped[field, default: []].append(name)
                }
            }
            if !slugs.contains(slug) { slugs.append(slug) }
        }
        return slugs
    }

    /// Medications from every `… Medication` column; a name in a `Helpful …` column marks the
    /// medication effective (and adds it if no other column named it).
    private static func medications(_ cells: [(helpful: Bool, text: String)]) -> [JSONValue] {
        var taken: [(name: String, dose: Double?, effective: Bool)] = []
        for cell in cells.sorted(by: { !$0.helpful && $1.helpful }) {
            for entry in list(cell.text) {
                let (name, dose) = nameAndDose(entry)
                if let index = taken.firstIndex(where: { $0.name.lowercased() == name.lowercased() }) {
                    if cell.helpful { taken[index].effective = true }
                } else {
                    taken.append((name, dose, cell.helpful))
                }
            }
        }
        return taken.map { medication in
            var object = JSONObject()
            object.append("name", .string(medication.name))
            let firstWord = medication.name.lowercased().split(separator: " ").first.map(String.init) ?? ""
            if let medicationClass = lookup["medications.class"]?[firstWord] {
                object.append("class", .string(medicationClass))
            }
            if let dose = medication.dose { object.append("doseMg", Medication.number(dose)) }
            if medication.effective { object.append("effective", .bool(true)) }
            return .object(object)
        }
    }

    /// `Sumatriptan (50 mg)` or `Sumatriptan 50mg` → name and dose in milligrams.
    static func nameAndDose(_ entry: String) -> (String, Double?) {
        var text = entry
        var inner = ""
        if text.hasSuffix(")"), let open = text.lastIndex(of: "(") {
            inner = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
            text = String(text[..<open]).trimmingCharacters(in: " ")
        } else if let space = text.lastIndex(of: " "), text.lowercased().hasSuffix("mg") {
            inner = String(text[text.index(after: space)...])
            text = String(text[..<space]).trimmingCharacters(in: " ")
        }
        let lowered = inner.lowercased().replacingOccurrences(of: " ", with: "")
        // A dose needs a name before it, and a finite amount ("(10 mg)" alone or "infmg" is a name).
        if lowered.hasSuffix("mg"), let dose = Double(lowered.dropLast(2)), dose > 0, dose.isFinite, !text.isEmpty {
            return (text, dose)
        }
        return (entry, nil)
    }

    /// `2026-03-14 08:30[:ss]` (or with `T`) as if it were UTC, in epoch milliseconds.
    static func localTime(_ text: String) -> Int64? {
        var normalized = text.replacingOccurrences(of: "T", with: " ")
        let parts = normalized.split(separator: " ")
        guard parts.count == 2 else { return nil }
        var time = String(parts[1])
        if time.split(separator: ":").count == 2 { time += ":00" }
        normalized = "\(parts[0])T\(time)Z"
        return Timestamp.parse(normalized)
    }

    /// Milliseconds of `01h 00m`, `1d 02h 15m`, `45m`; `.some(nil)` for `Ongoing`; nil when
    /// unreadable.
    static func duration(_ text: String) -> Int64?? {
        let maximumDuration: Int64 = 366 * 86_400_000
        if text.lowercased() == "ongoing" { return .some(nil) }
        let parts = text.split(separator: " ")
        guard !parts.isEmpty else { return nil }
        var total: Int64 = 0
        for part in parts {
            guard let unit = part.last, let value = Int64(part.dropLast()), value >= 0 else { return nil }
            let unitMilliseconds: Int64
            switch unit {
            case "d": unitMilliseconds = 86_400_000
            case "h": unitMilliseconds = 3_600_000
            case "m": unitMilliseconds = 60_000
            case "s": unitMilliseconds = 1000
            default: return nil
            }
            // A file's numbers are untrusted: one that overflows is unreadable, not a crash.
            let (milliseconds, overflow) = value.multipliedReportingOverflow(by: unitMilliseconds)
            guard !overflow else { return nil }
            let (sum, overflowSum) = total.addingReportingOverflow(milliseconds)
            guard !overflowSum else { return nil }
            total = sum
        }
        // Longer than any diary entry could be (episodes last at most 14 days; validation says
        // so): a year or more is a misreading, and the end time computed from it must not overflow.
        guard total <= maximumDuration else { return nil }
        return .some(total)
    }
}

extension String {
    fileprivate func trimmingCharacters(in characters: String) -> String {
        var text = Substring(self)
        while let first = text.first, characters.contains(first) { text.removeFirst() }
        while let last = text.last, characters.contains(last) { text.removeLast() }
        return String(text)
    }

    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        var text = self
        while text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return text
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in characters: String) -> String {
        String(self).trimmingCharacters(in: characters)
    }
}
