/// A `from`/`to` query value: a calendar date, or an instant that stands for the date
/// containing it (in the patient's zone, or UTC for clinic-wide windows).
enum DateParameter: Sendable, Hashable {
    case date(LocalDay)
    case instant(Int64)

    func day(in zone: Zone) -> LocalDay {
        switch self {
        case .date(let day): day
        case .instant(let instant): zone.day(instant)
        }
    }
}

/// The limits on windows (docs/analytics-definitions.md "Errors").
enum AnalyticsLimits {
    static let maximumWindowDays: Int64 = 36_600
    static let maximumBuckets: Int64 = 5_000
    static let comparisonDays: ClosedRange<Int> = 1...3650
}

/// Why an analytics request cannot be answered.
enum AnalyticsError: Error, Sendable, Hashable {
    /// No such patient (or not one the caller may see).
    case noSuchPatient
    /// The window `field` set up is empty or too long.
    case invalidWindow(field: String, message: String)
}

/// Resolves `from`/`to` against defaults and checks the window; a window error names `from`
/// when it was given, `to` otherwise.
func resolveWindow(
    from: DateParameter?, to: DateParameter?, zone: Zone, defaults: DayWindow
) throws(AnalyticsError) -> DayWindow {
    let window = DayWindow(from: from?.day(in: zone) ?? defaults.from, to: to?.day(in: zone) ?? defaults.to)
    let field = from != nil ? "from" : "to"
    guard window.from < window.to else {
        throw .invalidWindow(
            field: field, message: "the window is empty: from must be a date before to (to is exclusive)")
    }
    guard window.days <= AnalyticsLimits.maximumWindowDays else {
        throw .invalidWindow(
            field: field, message: "the window must not be longer than \(AnalyticsLimits.maximumWindowDays) days")
    }
    return window
}

/// A per-patient analytics request as parsed from the query string, before the patient's
/// time zone and "today" give it concrete dates.
enum PatientAnalyticsRequest: Sendable, Hashable {
    case summary(from: DateParameter?, to: DateParameter?)
    case trends(bucket: TrendBucket, from: DateParameter?, to: DateParameter?)
    case massageEffect(baselineDays: Int64, windowDays: Int64, to: DateParameter?)

    /// The same request with concrete local dates.
    enum Resolved: Sendable, Hashable {
        /// `today` is the local date the request was resolved on (for the `future-days` warning).
        case summary(DayWindow, today: LocalDay)
        case trends(TrendBucket, DayWindow, today: LocalDay)
        case massageEffect(end: LocalDay, baselineDays: Int64, windowDays: Int64)

        /// What the result depends on besides the data: part of the ETag and of the
        /// validity check of a cached result. Of "today", an explicit window depends only on
        /// whether it reaches past it (`future-days`), so its cached result outlives the day.
        var canonical: String {
            switch self {
            case .summary(let w, let today): "summary from=\(w.from) to=\(w.to) future=\(w.to > today + 1)"
            case .trends(let b, let w, let today):
                "trends bucket=\(b.rawValue) from=\(w.from) to=\(w.to) future=\(w.to > today + 1)"
            case .massageEffect(let end, let b, let w): "massage-effect end=\(end) baseline=\(b) window=\(w)"
            }
        }
    }

    /// Applies the defaults (which depend on today's local date) and checks the windows.
    func resolve(zone: Zone, now: Int64) throws(AnalyticsError) -> Resolved {
        let today = zone.day(now)
        switch self {
        case .summary(let from, let to):
            return .summary(
                try resolveWindow(from: from, to: to, zone: zone, defaults: DayWindow(from: today - 27, to: today + 1)),
                today: today)
        case .trends(let bucket, let from, let to):
            let window = try resolveWindow(from: from, to: to, zone: zone, defaults: bucket.defaultWindow(today: today))
            guard bucket.count(window) <= AnalyticsLimits.maximumBuckets else {
                throw .invalidWindow(
                    field: from != nil ? "from" : "to",
                    message:
                        "the window must not span more than \(AnalyticsLimits.maximumBuckets) \(bucket.rawValue) buckets"
                )
            }
            return .trends(bucket, window, today: today)
        case .massageEffect(let baselineDays, let windowDays, let to):
            return .massageEffect(
                end: to?.day(in: zone) ?? today + 1, baselineDays: baselineDays, windowDays: windowDays)
        }
    }
}

/// A clinic-wide analytics request: a window of UTC dates.
struct ClinicAnalyticsRequest: Sendable, Hashable {
    var from: DateParameter?
    var to: DateParameter?

    /// Default: the 28 UTC days ending with today (UTC).
    func resolve(now: Int64) throws(AnalyticsError) -> DayWindow {
        let today = Days.utc(now)
        return try resolveWindow(from: from, to: to, zone: .utc, defaults: DayWindow(from: today - 27, to: today + 1))
    }
}
