/// Why the figures of a summary, trends or a clinic-wide window may say little
/// (docs/analytics-definitions.md "Warnings (summary, trends, clinic-wide)"). The figures are
/// still reported; a warning tells a reader how far to trust them.
/// Codes meaning the same as a massage-effect warning share its name (`few-episodes`).
enum WindowWarning: String, CaseIterable, Sendable {
    /// A summary window of fewer than `minimumDays` days: MMD and days per 30 extrapolate it to a month.
    case windowShort = "window-short"
    /// Trends over fewer than `minimumBuckets` buckets: a slope through so few points is no trend.
    case fewBuckets = "few-buckets"
    /// The window starts before the local date of the patient's first episode or session (or the
    /// patient has none): those days count as free of migraine, though nothing may have been recorded.
    case beforeFirstEntry = "before-first-entry"
    /// The clinic overview's `previous` window starts before the first episode or session of any
    /// patient: its counts are low for want of records, which makes the window look like growth.
    case previousBeforeFirstEntry = "previous-before-first-entry"
    /// The window holds dates after today: they count as free of migraine, because they have not happened.
    case futureDays = "future-days"
    /// Fewer than `minimumEpisodes` episodes start in the window: means, shares and intensity slopes
    /// rest on a handful.
    case fewEpisodes = "few-episodes"

    /// A month, as for massage-effect's baseline and follow-up.
    static let minimumDays = MassageEffectAnalysis.Warning.minimumDays
    static let minimumBuckets = 4
    static let minimumEpisodes = MassageEffectAnalysis.Warning.minimumEpisodes

    /// The codes a summary can carry, in the order they are listed.
    static let summary: [WindowWarning] = [.windowShort, .beforeFirstEntry, .futureDays, .fewEpisodes]
    /// The codes trends can carry, in the order they are listed.
    static let trends: [WindowWarning] = [.fewBuckets, .beforeFirstEntry, .futureDays, .fewEpisodes]
    /// The codes of the clinic overview (UTC dates; the first entry of any patient).
    static let overview: [WindowWarning] = [.beforeFirstEntry, .previousBeforeFirstEntry, .futureDays, .fewEpisodes]
    /// The codes of the clinic's techniques and therapists: counts, each item with its own n.
    static let groups: [WindowWarning] = [.beforeFirstEntry, .futureDays]

    /// What the warnings are derived from, besides the window's own figures.
    struct Context: Sendable, Hashable {
        /// The patient-local date of "today".
        var today: LocalDay
        /// The local date of the patient's earliest episode or session start (clinic-wide: the
        /// UTC date of any patient's); `nil` without any.
        var firstEntryDay: LocalDay?
    }

    /// The warnings `candidates` lists that hold, in that order.
    static func derive(
        _ candidates: [WindowWarning], window: DayWindow, buckets: Int, episodes: Int, context: Context
    ) -> [WindowWarning] {
        candidates.filter { warning in
            switch warning {
            case .windowShort: window.days < minimumDays
            case .fewBuckets: buckets < minimumBuckets
            case .beforeFirstEntry: context.firstEntryDay.map { window.from < $0 } ?? true
            case .previousBeforeFirstEntry: context.firstEntryDay.map { window.from - window.days < $0 } ?? true
            case .futureDays: window.to > context.today + 1
            case .fewEpisodes: episodes < minimumEpisodes
            }
        }
    }
}
