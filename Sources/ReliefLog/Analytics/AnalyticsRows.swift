import JSON

// Plain values the analytics are computed from: just the columns they need, read by
// `AnalyticsRepository`. Nothing here knows about SQL or HTTP.

/// The sentence every analytics response carries (API.md "Analytics").
let analyticsNote = "Observational summary of diary data; not medical advice."

/// An episode as the analytics see it.
struct EpisodeRow: Sendable, Hashable {
    var id: Int64
    var startedAt: Int64
    /// `nil` while ongoing.
    var endedAt: Int64?
    var intensity: Int
    var aura: Bool
    /// Lists at least one medication.
    var hasMedication: Bool
}

/// A slug listed by episodes: how many list a trigger or symptom, or one episode start
/// listing a medication class.
struct EpisodeTag: Sendable, Hashable {
    enum Kind: Sendable { case trigger, symptom, medicationClass }
    var kind: Kind
    var value: String
    /// Episodes listing it (triggers, symptoms).
    var count: Int
    /// The episode's start (medication classes).
    var startedAt: Int64
}

/// A massage session as the analytics see it.
struct SessionRow: Sendable, Hashable {
    var id: Int64
    var startedAt: Int64
    var professional: Bool
    var durationMinutes: Int
    var painBefore: Int?
    var painAfter: Int?
    var stressBefore: Int?
    var stressAfter: Int?
    /// Distinct technique slugs.
    var techniques: [String] = []

    /// `painBefore − painAfter` when both are known.
    var painDrop: Int? {
        guard let painBefore, let painAfter else { return nil }
        return painBefore - painAfter
    }

    var stressDrop: Int? {
        guard let stressBefore, let stressAfter else { return nil }
        return stressBefore - stressAfter
    }
}

/// An episode with its local dates.
struct LocalEpisode {
    var row: EpisodeRow
    var startDay: LocalDay
    /// The last local date it covers: the date of `endedAt`, or `startDay` while ongoing.
    var endDay: LocalDay
}

/// A session with its local date.
struct LocalSession {
    var row: SessionRow
    var day: LocalDay
}

extension DayMapper {
    /// Local dates of episodes (in the order given; ascending start keeps the memo warm).
    mutating func episodes(_ rows: [EpisodeRow]) -> [LocalEpisode] {
        rows.map { row in
            let start = day(row.startedAt)
            return LocalEpisode(row: row, startDay: start, endDay: row.endedAt.map { max(start, day($0)) } ?? start)
        }
    }

    mutating func sessions(_ rows: [SessionRow]) -> [LocalSession] {
        rows.map { LocalSession(row: $0, day: day($0.startedAt)) }
    }
}

// MARK: Numbers

/// 2 decimals, half away from zero (the team's reading of "rounded to 2 decimals").
func round2(_ value: Double) -> Double {
    (value * 100).rounded(.toNearestOrAwayFromZero) / 100
}

/// A rounded number, or `null`.
func rounded(_ value: Double?) -> JSONValue {
    value.map { .number(.double(round2($0))) } ?? .null
}

/// A running mean of integers (exact sum, so no drift).
struct Mean: Sendable, Hashable {
    private(set) var sum: Int64 = 0
    private(set) var count: Int64 = 0

    init() {}

    init(sum: Int64, count: Int64) {
        self.sum = sum
        self.count = count
    }

    mutating func add(_ value: Int?) {
        guard let value else { return }
        sum += Int64(value)
        count += 1
    }

    /// `nil` over nothing.
    var value: Double? { count == 0 ? nil : Double(sum) / Double(count) }
}

/// The least-squares slope of `y` over `x`; `nil` with fewer than 2 points.
func leastSquaresSlope(_ points: [(x: Double, y: Double)]) -> Double? {
    guard points.count >= 2 else { return nil }
    let n = Double(points.count)
    let meanX = points.reduce(0) { $0 + $1.x } / n
    let meanY = points.reduce(0) { $0 + $1.y } / n
    var numerator = 0.0
    var denominator = 0.0
    for point in points {
        numerator += (point.x - meanX) * (point.y - meanY)
        denominator += (point.x - meanX) * (point.x - meanX)
    }
    return denominator == 0 ? nil : numerator / denominator
}

/// A half-open range of local dates `[from, to)`.
struct DayWindow: Sendable, Hashable {
    var from: LocalDay
    var to: LocalDay

    var days: Int64 { max(0, to - from) }

    func contains(_ day: LocalDay) -> Bool { day >= from && day < to }

    /// Monthly migraine days: `migraineDays × 28 / days`; `nil` for an empty window.
    func monthly(_ migraineDays: Int) -> Double? {
        days == 0 ? nil : Double(migraineDays) * 28 / Double(days)
    }

    /// Distinct dates of the window covered by any of the episodes.
    func migraineDays(_ episodes: [LocalEpisode]) -> Int {
        guard days > 0 else { return 0 }
        var covered = [Bool](repeating: false, count: Int(days))
        var count = 0
        for episode in episodes {
            let first = max(episode.startDay, from)
            let last = min(episode.endDay, to - 1)
            guard first <= last else { continue }
            for day in first...last where !covered[Int(day - from)] {
                covered[Int(day - from)] = true
                count += 1
            }
        }
        return count
    }
}
