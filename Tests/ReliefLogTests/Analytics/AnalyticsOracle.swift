import Foundation

// An independent model of API.md "Analytics" and docs/analytics-definitions.md, for
// the oracle tests. Nothing here imports or mirrors the service's analytics code: dates are
// integer day numbers (days since 1970-01-01) computed from `TimeZone.secondsFromGMT(for:)`
// (the offset in force at the instant) and proleptic Gregorian arithmetic, never `Calendar`.

/// A day number: days since 1970-01-01 (a Thursday), in some calendar (a patient's or UTC).
typealias DayNumber = Int

enum CivilDay {
    static let millisecondsPerDay: Int64 = 86_400_000

    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

    static func floorModulo(_ a: Int, _ b: Int) -> Int { ((a % b) + b) % b }

    /// Howard Hinnant's days_from_civil.
    static func number(year: Int, month: Int, day: Int) -> DayNumber {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(_ day: DayNumber) -> (year: Int, month: Int, day: Int) {
        let z = day + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d)
    }

    static func format(_ day: DayNumber) -> String {
        let (y, m, d) = civil(day)
        return String(format: "%04d-%02d-%02d", y, m, d)
    }

    /// `YYYY-MM-DD` to a day number; nil for anything else.
    static func parse(_ text: String) -> DayNumber? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.count == 10, parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
        else { return nil }
        return number(year: y, month: m, day: d)
    }

    /// Monday on or before `day` (ISO weeks; day 0 is a Thursday, so Monday is index (day + 3) mod 7 = 0).
    static func monday(_ day: DayNumber) -> DayNumber { day - floorModulo(day + 3, 7) }

    static func firstOfMonth(_ day: DayNumber) -> DayNumber {
        let (y, m, _) = civil(day)
        return number(year: y, month: m, day: 1)
    }

    static func addMonths(_ firstOfMonth: DayNumber, _ months: Int) -> DayNumber {
        let (y, m, _) = civil(firstOfMonth)
        let index = y * 12 + (m - 1) + months
        return number(year: index >= 0 ? index / 12 : (index - 11) / 12, month: floorModulo(index, 12) + 1, day: 1)
    }
}

/// The calendar days of one time zone, from the UTC offset in force at each instant.
struct ZoneDays: Sendable {
    let zone: TimeZone

    init(_ identifier: String) { zone = TimeZone(identifier: identifier)! }

    static let utc = ZoneDays("UTC")

    func offsetSeconds(_ milliseconds: Int64) -> Int {
        zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1000))
    }

    /// The local calendar day containing the instant.
    func day(_ milliseconds: Int64) -> DayNumber {
        Int(CivilDay.floorDivide(milliseconds + Int64(offsetSeconds(milliseconds)) * 1000, CivilDay.millisecondsPerDay))
    }

    /// An instant whose local wall time is `localMilliseconds` (day * 86,400,000 + time of day);
    /// for generating data only (in a gap or an overlap any nearby instant will do).
    func instant(localMilliseconds local: Int64) -> Int64 {
        var guess = local - Int64(offsetSeconds(local)) * 1000
        guess = local - Int64(offsetSeconds(guess)) * 1000
        return guess
    }
}

// MARK: Rows as the API returns them

struct OracleMedication: Sendable { var className: String? }

struct OracleEpisode: Sendable {
    var id: Int
    var patientId: Int
    var startedAt: Int64
    var endedAt: Int64?
    var intensity: Int
    var aura: Bool
    var symptoms: [String]
    var triggers: [String]
    var medications: [OracleMedication]
}

struct OracleSession: Sendable {
    var id: Int
    var patientId: Int
    var therapistId: Int?
    var kind: String
    var startedAt: Int64
    var durationMinutes: Int
    var techniques: [String]
    var painBefore: Int?
    var painAfter: Int?
    var stressBefore: Int?
    var stressAfter: Int?

    var painDrop: Double? { painBefore.flatMap { b in painAfter.map { Double(b - $0) } } }
    var stressDrop: Double? { stressBefore.flatMap { b in stressAfter.map { Double(b - $0) } } }
}

struct OraclePatient: Sendable {
    var id: Int
    var timezone: String
}

struct OracleTherapist: Sendable {
    var id: Int
    var name: String
    var active: Bool
}

/// Everything the service stores that analytics read.
struct OracleData: Sendable {
    var patients: [OraclePatient] = []
    var therapists: [OracleTherapist] = []
    var episodes: [OracleEpisode] = []
    var sessions: [OracleSession] = []
}

// MARK: Expected values

/// An expected JSON value. Numbers keep their unrounded value so the comparison can tell a
/// half-way case (where a different summation order may round the other way) from a real error.
indirect enum Expected: Sendable {
    case int(Int?)
    case number(Double?)
    case string(String?)
    case bool(Bool?)
    /// An RFC 3339 timestamp that must be rendered in UTC (`Z`) and denote this instant.
    case instant(Int64?)
    case object([(String, Expected)])
    case array([Expected])
    /// Compared only when the response has the member (fields the contract leaves optional).
    case ifPresent(Expected)

    static func mean(_ values: [Double]) -> Expected { .number(Oracle.mean(values)) }
    static func date(_ day: DayNumber) -> Expected { .string(CivilDay.format(day)) }
}

enum Oracle {
    static let note = "Observational summary of diary data; not medical advice."

    static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    static func median(_ values: [Int]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? Double(sorted[middle]) : Double(sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Least-squares slope of y over x; nil with fewer than 2 points.
    static func slope(_ points: [(x: Double, y: Double)]) -> Double? {
        guard points.count >= 2 else { return nil }
        let mx = points.map(\.x).reduce(0, +) / Double(points.count)
        let my = points.map(\.y).reduce(0, +) / Double(points.count)
        var sxx = 0.0
        var sxy = 0.0
        for p in points {
            sxx += (p.x - mx) * (p.x - mx)
            sxy += (p.x - mx) * (p.y - my)
        }
        return sxx == 0 ? nil : sxy / sxx
    }

    static func threshold(_ medicationClass: String) -> Int? {
        switch medicationClass {
        case "triptan", "ergot", "opioid", "combination_analgesic": 10
        case "simple_analgesic", "nsaid": 15
        default: nil
        }
    }
}

/// One patient's diary in their own calendar, with each row's local days computed once.
struct PatientDiary {
    struct Episode {
        var row: OracleEpisode
        var startDay: DayNumber
        /// The last covered local day (the start day when ongoing).
        var lastDay: DayNumber
    }

    struct Session {
        var row: OracleSession
        var day: DayNumber
    }

    let patient: OraclePatient
    let days: ZoneDays
    let episodes: [Episode]
    let sessions: [Session]
    /// The server clock the responses are computed at (the warnings depend on "today").
    let now: Int64

    init(patient: OraclePatient, data: OracleData, now: Int64) {
        self.patient = patient
        self.now = now
        let days = ZoneDays(patient.timezone)
        self.days = days
        episodes = data.episodes.filter { $0.patientId == patient.id }.map {
            Episode(row: $0, startDay: days.day($0.startedAt), lastDay: days.day($0.endedAt ?? $0.startedAt))
        }
        sessions = data.sessions.filter { $0.patientId == patient.id }.map {
            Session(row: $0, day: days.day($0.startedAt))
        }
    }

    func today(_ now: Int64) -> DayNumber { days.day(now) }

    /// A `from`/`to` query value as a local day: a date, or a timestamp's local date.
    func queryDay(_ text: String) -> DayNumber {
        CivilDay.parse(text) ?? days.day(PropertyTimestamp.parse(text)!)
    }

    func episodes(startingIn range: Range<DayNumber>) -> [Episode] { episodes.filter { range.contains($0.startDay) } }

    func sessions(in range: Range<DayNumber>) -> [Session] { sessions.filter { range.contains($0.day) } }

    /// Distinct local days in `range` covered by any episode (also episodes starting before it).
    func migraineDays(_ range: Range<DayNumber>) -> Int {
        guard !range.isEmpty else { return 0 }
        var covered = Set<DayNumber>()
        for episode in episodes where episode.startDay < range.upperBound && episode.lastDay >= range.lowerBound {
            for day in max(episode.startDay, range.lowerBound)...min(episode.lastDay, range.upperBound - 1) {
                covered.insert(day)
            }
        }
        return covered.count
    }

    /// The window warnings as docs/analytics-definitions.md words them ("Warnings (summary,
    /// trends)"): `short` is the first code's own test (a short window, or few buckets).
    func warnings(_ window: Range<DayNumber>, short: (String, Bool), episodes count: Int) -> Expected {
        // The first entry: the earliest local date on which an episode or a session starts.
        let first = (episodes.map(\.startDay) + sessions.map(\.day)).min()
        var codes: [String] = []
        if short.1 { codes.append(short.0) }
        if first == nil || window.lowerBound < first! { codes.append("before-first-entry") }
        // A window [from, to) holds a date after today when its last date, to - 1, is after today.
        if window.upperBound - 1 > today(now) { codes.append("future-days") }
        if count < 4 { codes.append("few-episodes") }
        return .array(codes.map { .string($0) })
    }

    /// The highest intensity of the episodes covering any local day in `range`.
    func peakIntensity(_ range: Range<DayNumber>) -> Int? {
        episodes.filter { $0.startDay < range.upperBound && $0.lastDay >= range.lowerBound }.map(\.row.intensity).max()
    }

    // MARK: summary

    func summary(_ window: Range<DayNumber>) -> Expected {
        let inWindow = episodes(startingIn: window)
        let dayCount = window.count
        let migraine = migraineDays(window)
        let count = inWindow.count

        func top(_ key: String, _ lists: [[String]]) -> Expected {
            var counts: [String: Int] = [:]
            for list in lists { for slug in Set(list) { counts[slug, default: 0] += 1 } }
            let sorted = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(10)
            return .array(
                sorted.map {
                    .object([
                        (key, .string($0.key)), ("count", .int($0.value)),
                        ("share", .number(Double($0.value) / Double(count))),
                    ])
                })
        }

        var classDays: [String: Set<DayNumber>] = [:]
        var medicationDays = Set<DayNumber>()
        for episode in inWindow {
            if !episode.row.medications.isEmpty { medicationDays.insert(episode.startDay) }
            for medication in episode.row.medications {
                if let name = medication.className { classDays[name, default: []].insert(episode.startDay) }
            }
        }
        let overuse: [Expected] = classDays.keys.sorted().map { name in
            let days = classDays[name]!.count
            let per30 = Double(days) * 30 / Double(dayCount)
            let threshold = Oracle.threshold(name)
            return .object([
                ("class", .string(name)), ("days", .int(days)), ("daysPer30", .number(per30)),
                ("threshold", .int(threshold)), ("exceeded", .bool(threshold.map { per30 >= Double($0) } ?? false)),
            ])
        }
        let windowSessions = sessions(in: window).map(\.row)
        let intensities = inWindow.map { Double($0.row.intensity) }
        let durations: [Double] = inWindow.compactMap { e in
            e.row.endedAt.map { Double($0 - e.row.startedAt) / 3_600_000 }
        }
        let professional = windowSessions.filter { $0.kind == "professional" }.count
        let minutes = windowSessions.map(\.durationMinutes).reduce(0, +)
        var members: [(String, Expected)] = [("patientId", .int(patient.id))]
        members.append(("from", .date(window.lowerBound)))
        members.append(("to", .date(window.upperBound)))
        members.append(("days", .int(dayCount)))
        members.append(("episodes", .int(count)))
        members.append(("migraineDays", .int(migraine)))
        members.append(("monthlyMigraineDays", .number(Double(migraine) * 28 / Double(dayCount))))
        members.append(("meanIntensity", .mean(intensities)))
        members.append(("medianIntensity", .number(Oracle.median(inWindow.map(\.row.intensity)))))
        members.append(("meanDurationHours", .mean(durations)))
        members.append(("auraEpisodes", .int(inWindow.filter(\.row.aura).count)))
        members.append(("topTriggers", top("trigger", inWindow.map(\.row.triggers))))
        members.append(("topSymptoms", top("symptom", inWindow.map(\.row.symptoms))))
        members.append(("medicationDays", .int(medicationDays.count)))
        members.append(("medicationOveruse", .array(overuse)))
        members.append(("sessions", .int(windowSessions.count)))
        members.append(("professionalSessions", .int(professional)))
        members.append(("selfSessions", .int(windowSessions.count - professional)))
        members.append(("sessionMinutes", .int(minutes)))
        members.append(("meanPainDrop", .mean(windowSessions.compactMap(\.painDrop))))
        members.append(("meanStressDrop", .mean(windowSessions.compactMap(\.stressDrop))))
        members.append(("warnings", warnings(window, short: ("window-short", dayCount < 28), episodes: count)))
        members.append(("note", .string(Oracle.note)))
        return .object(members)
    }

    /// The summary's default window: the 28 local days ending with today.
    func defaultSummaryWindow(now: Int64) -> Range<DayNumber> { (today(now) - 27)..<(today(now) + 1) }

    // MARK: trends

    enum Bucket: String, CaseIterable { case day, week, month }

    func defaultTrendsWindow(_ bucket: Bucket, now: Int64) -> Range<DayNumber> {
        let today = today(now)
        switch bucket {
        case .day: return (today - 27)..<(today + 1)
        case .week: return (CivilDay.monday(today) - 25 * 7)..<(CivilDay.monday(today) + 7)
        case .month:
            let first = CivilDay.firstOfMonth(today)
            return CivilDay.addMonths(first, -11)..<CivilDay.addMonths(first, 1)
        }
    }

    /// The calendar buckets intersecting the window, each clipped to it.
    static func buckets(_ bucket: Bucket, _ window: Range<DayNumber>) -> [Range<DayNumber>] {
        var result: [Range<DayNumber>] = []
        var start: DayNumber
        switch bucket {
        case .day: start = window.lowerBound
        case .week: start = CivilDay.monday(window.lowerBound)
        case .month: start = CivilDay.firstOfMonth(window.lowerBound)
        }
        while start < window.upperBound {
            let next: DayNumber
            switch bucket {
            case .day: next = start + 1
            case .week: next = start + 7
            case .month: next = CivilDay.addMonths(start, 1)
            }
            result.append(max(start, window.lowerBound)..<min(next, window.upperBound))
            start = next
        }
        return result
    }

    func trends(_ bucket: Bucket, _ window: Range<DayNumber>) -> Expected {
        let ranges = Self.buckets(bucket, window)
        var items: [Expected] = []
        var migrainePoints: [(x: Double, y: Double)] = []
        var intensityPoints: [(x: Double, y: Double)] = []
        for (index, range) in ranges.enumerated() {
            let started = episodes(startingIn: range)
            let inBucket = sessions(in: range).map(\.row)
            let migraine = migraineDays(range)
            let intensity = Oracle.mean(started.map { Double($0.row.intensity) })
            migrainePoints.append((Double(index), Double(migraine)))
            if let intensity { intensityPoints.append((Double(index), intensity)) }
            items.append(
                .object([
                    ("start", .date(range.lowerBound)), ("end", .date(range.upperBound)),
                    ("episodes", .int(started.count)), ("migraineDays", .int(migraine)),
                    ("meanIntensity", .number(intensity)),
                    ("sessions", .int(inBucket.count)),
                    ("sessionMinutes", .int(inBucket.map(\.durationMinutes).reduce(0, +))),
                    ("meanPainDrop", .mean(inBucket.compactMap(\.painDrop))),
                    ("peakIntensity", .int(peakIntensity(range))),
                ]))
        }
        return .object([
            ("patientId", .int(patient.id)), ("bucket", .string(bucket.rawValue)),
            ("from", .date(window.lowerBound)), ("to", .date(window.upperBound)),
            ("buckets", .array(items)),
            (
                "trend",
                .object([
                    ("migraineDaysSlope", .number(Oracle.slope(migrainePoints))),
                    ("meanIntensitySlope", .number(Oracle.slope(intensityPoints))),
                ])
            ),
            (
                "warnings",
                warnings(
                    window, short: ("few-buckets", ranges.count < 4), episodes: episodes(startingIn: window).count)
            ),
            ("note", .string(Oracle.note)),
        ])
    }

    // MARK: massage-effect

    /// `end` is the follow-up's exclusive end day (`to`, default today + 1).
    func massageEffect(baselineDays: Int, windowDays: Int, end: DayNumber) -> Expected {
        guard let first = sessions.min(by: { $0.row.startedAt < $1.row.startedAt }) else {
            return .object([
                ("patientId", .ifPresent(.int(patient.id))),
                ("firstSessionAt", .instant(nil)), ("sessions", .int(0)),
                ("baseline", .int(nil)), ("followUp", .int(nil)),
                ("mmdChange", .number(nil)), ("mmdPercentChange", .number(nil)), ("responder50", .bool(nil)),
                ("meanPainDrop", .number(nil)), ("meanStressDrop", .number(nil)),
                ("episodesWithin72hPerSession", .number(nil)), ("baselineEpisodesPer72h", .number(nil)),
                ("byTechnique", .array([])), ("warnings", .array([])), ("note", .string(Oracle.note)),
            ])
        }
        let firstDay = first.day
        let baseline = (firstDay - baselineDays)..<firstDay
        let start = max(end - windowDays, firstDay)

        func period(_ from: DayNumber, _ to: DayNumber) -> (Expected, mmd: Double?) {
            let days = max(to - from, 0)
            let range = days > 0 ? from..<to : from..<from
            let started = episodes(startingIn: range)
            let migraine = migraineDays(range)
            let mmd = days > 0 ? Double(migraine) * 28 / Double(days) : nil
            return (
                .object([
                    ("from", .date(from)), ("to", .date(to)), ("days", .int(days)),
                    ("migraineDays", .int(migraine)), ("monthlyMigraineDays", .number(mmd)),
                    ("episodes", .int(started.count)),
                    ("meanIntensity", .mean(started.map { Double($0.row.intensity) })),
                ]), mmd
            )
        }
        let (baselineObject, baselineMMD) = period(baseline.lowerBound, baseline.upperBound)
        let (followUpObject, followUpMMD) = period(start, end)
        // The warnings as docs/analytics-definitions.md words them.
        let baselineEpisodes = episodes(startingIn: baseline).count
        let followUpEpisodes = end > start ? episodes(startingIn: start..<end).count : 0
        var warnings: [String] = []
        if baselineEpisodes == 0 && migraineDays(baseline) == 0 { warnings.append("baseline-empty") }
        if baselineDays < 28 { warnings.append("baseline-short") }
        if max(end - start, 0) < 28 { warnings.append("follow-up-short") }
        if baselineEpisodes + followUpEpisodes < 4 { warnings.append("few-episodes") }
        let baselineUsable = !warnings.contains("baseline-empty") && !warnings.contains("baseline-short")
        let change = baselineMMD.flatMap { b in followUpMMD.map { $0 - b } }
        let percent = change.flatMap { c in baselineMMD.flatMap { $0 == 0 ? nil : c / $0 * 100 } }
        let since = end > firstDay ? sessions(in: firstDay..<end).map(\.row) : []
        let within72h = since.map { session in
            Double(
                episodes.filter {
                    $0.row.startedAt >= session.startedAt && $0.row.startedAt < session.startedAt + 72 * 3_600_000
                }.count)
        }
        var byTechnique: [String: [OracleSession]] = [:]
        for session in since {
            for technique in Set(session.techniques) { byTechnique[technique, default: []].append(session) }
        }
        let techniqueItems: [Expected] = byTechnique.sorted {
            $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key
        }
        .map {
            .object([
                ("technique", .string($0.key)), ("sessions", .int($0.value.count)),
                ("meanPainDrop", .mean($0.value.compactMap(\.painDrop))),
                ("meanStressDrop", .mean($0.value.compactMap(\.stressDrop))),
            ])
        }
        return .object([
            ("patientId", .ifPresent(.int(patient.id))),
            ("firstSessionAt", .instant(first.row.startedAt)),
            ("baseline", baselineObject), ("followUp", followUpObject),
            ("mmdChange", .number(change)), ("mmdPercentChange", .number(percent)),
            ("responder50", .bool(baselineUsable ? percent.map { $0 <= -50 } : nil)),
            ("sessions", .int(since.count)),
            ("meanPainDrop", .mean(since.compactMap(\.painDrop))),
            ("meanStressDrop", .mean(since.compactMap(\.stressDrop))),
            ("episodesWithin72hPerSession", .mean(within72h)),
            (
                "baselineEpisodesPer72h",
                .number(Double(episodes(startingIn: baseline).count) * 3 / Double(baselineDays))
            ),
            ("byTechnique", .array(techniqueItems)),
            ("warnings", .array(warnings.map { .string($0) })),
            ("note", .string(Oracle.note)),
        ])
    }
}

/// The clinic-wide endpoints, over UTC days.
struct ClinicOracle {
    let data: OracleData
    /// The server clock (the warnings depend on "today").
    let now: Int64

    /// The warnings as docs/analytics-definitions.md words them for the clinic-wide endpoints:
    /// the first entry is the earliest UTC date any episode or session starts on.
    func warnings(_ window: Range<DayNumber>, overview: Bool) -> Expected {
        let first = (data.episodes.map(\.startedAt) + data.sessions.map(\.startedAt)).map(ZoneDays.utc.day).min()
        var codes: [String] = []
        if first.map({ window.lowerBound < $0 }) ?? true { codes.append("before-first-entry") }
        if overview, first.map({ window.lowerBound - window.count < $0 }) ?? true {
            codes.append("previous-before-first-entry")
        }
        if window.upperBound - 1 > ZoneDays.utc.day(now) { codes.append("future-days") }
        if overview, data.episodes.filter({ window.contains(ZoneDays.utc.day($0.startedAt)) }).count < 4 {
            codes.append("few-episodes")
        }
        return .array(codes.map { .string($0) })
    }

    static func queryDay(_ text: String) -> DayNumber {
        CivilDay.parse(text) ?? ZoneDays.utc.day(PropertyTimestamp.parse(text)!)
    }

    static func defaultWindow(now: Int64) -> Range<DayNumber> {
        let today = ZoneDays.utc.day(now)
        return (today - 27)..<(today + 1)
    }

    private func sessions(_ window: Range<DayNumber>) -> [OracleSession] {
        data.sessions.filter { window.contains(ZoneDays.utc.day($0.startedAt)) }
    }

    func overview(_ window: Range<DayNumber>) -> Expected {
        func figures(_ window: Range<DayNumber>) -> [(String, Expected)] {
            let episodes = data.episodes.filter { window.contains(ZoneDays.utc.day($0.startedAt)) }
            let sessions = sessions(window)
            return [
                ("episodes", .int(episodes.count)), ("sessions", .int(sessions.count)),
                ("meanIntensity", .mean(episodes.map { Double($0.intensity) })),
                ("meanPainDrop", .mean(sessions.compactMap(\.painDrop))),
            ]
        }
        let days = window.count
        return .object(
            [
                ("from", .date(window.lowerBound)), ("to", .date(window.upperBound)), ("days", .int(days)),
                ("patients", .int(data.patients.count)),
                ("activeTherapists", .int(data.therapists.filter(\.active).count)),
            ] + figures(window) + [
                ("previous", .object(figures((window.lowerBound - days)..<window.lowerBound))),
                ("warnings", warnings(window, overview: true)),
                ("note", .string(Oracle.note)),
            ])
    }

    private static func item(_ sessions: [OracleSession]) -> [(String, Expected)] {
        [
            ("sessions", .int(sessions.count)), ("patients", .int(Set(sessions.map(\.patientId)).count)),
            ("meanPainDrop", .mean(sessions.compactMap(\.painDrop))),
            ("meanStressDrop", .mean(sessions.compactMap(\.stressDrop))),
        ]
    }

    private func header(_ window: Range<DayNumber>) -> [(String, Expected)] {
        [
            ("from", .ifPresent(.date(window.lowerBound))), ("to", .ifPresent(.date(window.upperBound))),
            ("days", .ifPresent(.int(window.count))), ("warnings", warnings(window, overview: false)),
            ("note", .string(Oracle.note)),
        ]
    }

    func techniques(_ window: Range<DayNumber>) -> Expected {
        var groups: [String: [OracleSession]] = [:]
        for session in sessions(window) {
            for technique in Set(session.techniques) { groups[technique, default: []].append(session) }
        }
        let items = groups.sorted {
            $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key
        }
        .map { Expected.object([("technique", .string($0.key))] + Self.item($0.value)) }
        return .object(header(window) + [("items", .array(items))])
    }

    func therapists(_ window: Range<DayNumber>) -> Expected {
        var groups: [Int: [OracleSession]] = [:]
        for session in sessions(window) where session.kind == "professional" {
            groups[session.therapistId!, default: []].append(session)
        }
        let names = Dictionary(uniqueKeysWithValues: data.therapists.map { ($0.id, $0.name) })
        let items = groups.sorted {
            $0.value.count != $1.value.count ? $0.value.count > $1.value.count : $0.key < $1.key
        }
        .map {
            Expected.object([("therapistId", .int($0.key)), ("name", .string(names[$0.key]))] + Self.item($0.value))
        }
        return .object(header(window) + [("items", .array(items))])
    }
}

// MARK: Comparison

/// Compares a response body (parsed by Foundation) with the expected value, field by field.
struct OracleComparison {
    /// Leaf values compared.
    var compared = 0
    /// Numbers accepted only with the half-way allowance (|Δ| ≤ 0.01).
    var halfWayAllowances: [String] = []
    var differences: [String] = []

    static func round2(_ x: Double) -> Double { (x * 100).rounded(.toNearestOrAwayFromZero) / 100 }

    /// True when `x` is (within floating error) exactly half-way between two 2-decimal values.
    static func isHalfWay(_ x: Double) -> Bool {
        let scaled = abs(x * 100)
        return abs(scaled - scaled.rounded(.down) - 0.5) < 1e-6
    }

    private static func describe(_ value: Any?) -> String {
        switch value {
        case nil: "(missing)"
        case is NSNull: "null"
        case let text as String: text.debugDescription
        case let number as NSNumber where isBoolean(number): number.boolValue ? "true" : "false"
        case let value?: "\(value)"
        }
    }

    private static func isBoolean(_ number: NSNumber) -> Bool {
        String(describing: type(of: number)).contains("Boolean") || String(cString: number.objCType) == "c"
    }

    private static func isInteger(_ number: NSNumber) -> Bool {
        ["i", "q", "l", "s"].contains(String(cString: number.objCType))
    }

    mutating func compare(_ expected: Expected, _ actual: Any?, _ path: String) {
        func mismatch(_ wanted: String) -> String { "\(path): expected \(wanted), got \(Self.describe(actual))" }
        switch expected {
        case .ifPresent(let inner):
            if actual != nil { compare(inner, actual, path) }
        case .object(let members):
            guard let object = actual as? [String: Any] else { return differences.append(mismatch("an object")) }
            for (key, value) in members { compare(value, object[key], "\(path)/\(key)") }
        case .array(let elements):
            guard let array = actual as? [Any] else {
                return differences.append(mismatch("an array of \(elements.count)"))
            }
            compared += 1
            if array.count != elements.count {
                differences.append("\(path): expected \(elements.count) elements, got \(array.count): \(array)")
            }
            for (index, pair) in zip(elements, array).enumerated() { compare(pair.0, pair.1, "\(path)/\(index)") }
        default:
            compared += 1
            if let wanted = leafMismatch(expected, actual, path) { differences.append(mismatch(wanted)) }
        }
    }

    /// What was wanted, when `actual` is not it.
    private mutating func leafMismatch(_ expected: Expected, _ actual: Any?, _ path: String) -> String? {
        switch expected {
        case .int(nil), .number(nil), .string(nil), .bool(nil), .instant(nil):
            return actual is NSNull ? nil : "null"
        case .int(let value?):
            guard let number = actual as? NSNumber, !Self.isBoolean(number), Self.isInteger(number),
                number.intValue == value
            else {
                return "integer \(value)"
            }
            return nil
        case .number(let value?):
            let wanted = Self.round2(value)
            guard let number = actual as? NSNumber, !Self.isBoolean(number) else {
                return "\(wanted) (unrounded \(value))"
            }
            let delta = abs(number.doubleValue - wanted)
            if delta == 0 { return nil }
            // A half-way value may round either way only when floating error could have moved it:
            // not when it is exactly half-way in binary (integer sums divided once), unless it is
            // a slope (sums of inexact bucket means, whose order the contract does not fix).
            let scaled = abs(value * 100)
            let exactHalf = scaled - scaled.rounded(.down) == 0.5
            if Self.isHalfWay(value), !exactHalf || path.hasSuffix("Slope"), delta <= 0.01 + 1e-9 {
                halfWayAllowances.append("\(path): \(number.doubleValue) for half-way \(value)")
                return nil
            }
            return "\(wanted) (unrounded \(value))"
        case .string(let value?):
            return actual as? String == value ? nil : value.debugDescription
        case .bool(let value?):
            guard let number = actual as? NSNumber, Self.isBoolean(number), number.boolValue == value else {
                return "\(value)"
            }
            return nil
        case .instant(let value?):
            guard let text = actual as? String, text.hasSuffix("Z"), PropertyTimestamp.parse(text) == value else {
                return "the instant \(PropertyTimestamp.format(value, offsetMinutes: 0, fractionDigits: 3))"
            }
            return nil
        default:
            return "(unsupported expectation)"
        }
    }
}

extension Expected {
    /// Situations worth seeing covered (a coverage report for the generated cases).
    func features(_ path: String = "", into counts: inout [String: Int]) {
        switch self {
        case .object(let members):
            for (key, value) in members { value.features("\(path)/\(key)", into: &counts) }
            let isWindow = members.contains { $0.0 == "medicationOveruse" || $0.0 == "buckets" }
            if isWindow, case .array(let codes)? = members.first(where: { $0.0 == "warnings" })?.1, codes.isEmpty {
                counts["summary or trends without warning", default: 0] += 1
            }
            if path.hasSuffix("followUp"), case .int(0)? = members.first(where: { $0.0 == "days" })?.1 {
                counts["followUp of 0 days", default: 0] += 1
            }
        case .array(let elements):
            if path.hasSuffix("topTriggers"), elements.count == 10 { counts["topTriggers cut at 10", default: 0] += 1 }
            if path.hasSuffix("warnings") {
                for case .string(let code?) in elements { counts["warning \(code)", default: 0] += 1 }
            }
            for (index, element) in elements.enumerated() { element.features("\(path)/\(index)", into: &counts) }
        case .ifPresent(let inner): inner.features(path, into: &counts)
        case .bool(let value):
            let key = path.split(separator: "/").filter { Int($0) == nil }.last.map(String.init) ?? path
            counts["\(key) \(value.map(String.init(describing:)) ?? "null")", default: 0] += 1
        case .number(let value?):
            if OracleComparison.isHalfWay(value) { counts["half-way number", default: 0] += 1 }
            if path.hasSuffix("baseline/monthlyMigraineDays"), value == 0 { counts["baseline MMD 0", default: 0] += 1 }
            if path.hasSuffix("Slope") { counts["slope", default: 0] += 1 }
        case .number(nil): counts["null number", default: 0] += 1
        case .int(nil) where path.hasSuffix("threshold"): counts["threshold null", default: 0] += 1
        default: break
        }
    }
}
