import JSON

/// `GET /v1/patients/{id}/analytics/massage-effect`: a before/after comparison in the manner
/// of preventive-treatment trials (docs/analytics-definitions.md "Massage-effect").
enum MassageEffectAnalysis {
    static let hours72: Int64 = 72 * 3_600_000

    /// The baseline and follow-up windows for a first session on local date `first`.
    static func windows(
        first: LocalDay, end: LocalDay, baselineDays: Int64, windowDays: Int64
    )
        -> (baseline: DayWindow, followUp: DayWindow)
    {
        (DayWindow(from: first - baselineDays, to: first), DayWindow(from: max(end - windowDays, first), to: end))
    }

    /// - Parameters:
    ///   - firstSessionAt: the patient's earliest session, or `nil` when they have none.
    ///   - end: the exclusive end of the follow-up (`to`).
    ///   - episodes: the patient's episodes from 14 days before the baseline to 72 h after
    ///     the last session considered (others are ignored).
    ///   - sessions: the patient's sessions around `[first, end)`.
    static func compute(
        patientId: Int64, zone: Zone, firstSessionAt: Int64?, end: LocalDay, baselineDays: Int64, windowDays: Int64,
        episodes rows: [EpisodeRow], sessions sessionRows: [SessionRow]
    ) -> JSONValue {
        var object = JSONObject()
        object.append("patientId", JSONValue(patientId))
        guard let firstSessionAt else {
            object.append("firstSessionAt", .null)
            object.append("baseline", .null)
            object.append("followUp", .null)
            object.append("mmdChange", .null)
            object.append("mmdPercentChange", .null)
            object.append("responder50", .null)
            object.append("sessions", 0)
            object.append("meanPainDrop", .null)
            object.append("meanStressDrop", .null)
            object.append("episodesWithin72hPerSession", .null)
            object.append("baselineEpisodesPer72h", .null)
            object.append("byTechnique", [])
            object.append("warnings", [])
            object.append("note", .string(analyticsNote))
            return .object(object)
        }
        var mapper = zone.mapper()
        let first = mapper.day(firstSessionAt)
        let episodes = mapper.episodes(rows)
        let (baseline, followUp) = windows(first: first, end: end, baselineDays: baselineDays, windowDays: windowDays)
        let before = period(baseline, episodes)
        let after = period(followUp, episodes)

        let mmdChange: Double? = after.mmd.flatMap { a in before.mmd.map { a - $0 } }
        let percent: Double? = mmdChange.flatMap { change in
            before.mmd.flatMap { $0 == 0 ? nil : change / $0 * 100 }
        }

        // Sessions on a local date in [first, end).
        var sessionMapper = zone.mapper()
        let sessions = sessionMapper.sessions(sessionRows).filter { $0.day >= first && $0.day < end }
        var pain = Mean()
        var stress = Mean()
        var within72h = Mean()
        struct TechniqueTotals {
            var sessions = 0
            var pain = Mean()
            var stress = Mean()
        }
        var techniques: [String: TechniqueTotals] = [:]
        let starts = rows.map(\.startedAt).sorted()
        for session in sessions {
            pain.add(session.row.painDrop)
            stress.add(session.row.stressDrop)
            let begin = session.row.startedAt
            within72h.add(count(starts, from: begin, to: begin + hours72))
            for technique in Set(session.row.techniques) {
                techniques[technique, default: TechniqueTotals()].sessions += 1
                techniques[technique, default: TechniqueTotals()].pain.add(session.row.painDrop)
                techniques[technique, default: TechniqueTotals()].stress.add(session.row.stressDrop)
            }
        }
        let byTechnique = techniques.sorted {
            $0.value.sessions != $1.value.sessions ? $0.value.sessions > $1.value.sessions : $0.key < $1.key
        }

        object.append("firstSessionAt", .string(Timestamp.format(firstSessionAt)))
        object.append("baseline", before.json)
        object.append("followUp", after.json)
        object.append("mmdChange", rounded(mmdChange))
        object.append("mmdPercentChange", rounded(percent))
        let warnings = warnings(baseline: before, followUp: after, baselineDays: baselineDays)
        // A responder needs a baseline that can carry a halving: a month of diary with migraines in it.
        let baselineUsable = !warnings.contains(.baselineEmpty) && !warnings.contains(.baselineShort)
        object.append("responder50", baselineUsable ? percent.map { .bool($0 <= -50) } ?? .null : .null)
        object.append("sessions", JSONValue(sessions.count))
        object.append("meanPainDrop", rounded(pain.value))
        object.append("meanStressDrop", rounded(stress.value))
        object.append("episodesWithin72hPerSession", rounded(within72h.value))
        object.append(
            "baselineEpisodesPer72h",
            rounded(baseline.days == 0 ? nil : Double(before.episodes) * 3 / Double(baseline.days)))
        object.append(
            "byTechnique",
            .array(
                byTechnique.map { technique, totals in
                    var item = JSONObject()
                    item.append("technique", .string(technique))
                    item.append("sessions", JSONValue(totals.sessions))
                    item.append("meanPainDrop", rounded(totals.pain.value))
                    item.append("meanStressDrop", rounded(totals.stress.value))
                    return .object(item)
                }))
        object.append("warnings", .array(warnings.map { .string($0.rawValue) }))
        object.append("note", .string(analyticsNote))
        return .object(object)
    }

    /// Why the comparison may not say much (docs/analytics-definitions.md "Warnings").
    enum Warning: String, CaseIterable {
        /// No episode and no migraine day in the baseline: often no diary before the first session.
        case baselineEmpty = "baseline-empty"
        /// A baseline of fewer than `minimumDays` days.
        case baselineShort = "baseline-short"
        /// A follow-up of fewer than `minimumDays` days (the first session is recent, or `to` is near it).
        case followUpShort = "follow-up-short"
        /// Fewer than `minimumEpisodes` episodes in baseline and follow-up together.
        case fewEpisodes = "few-episodes"

        /// A month: the unit monthly migraine days are expressed in.
        static let minimumDays: Int64 = 28
        static let minimumEpisodes = 4
    }

    static func warnings(baseline: Period, followUp: Period, baselineDays: Int64) -> [Warning] {
        var warnings: [Warning] = []
        if baseline.episodes == 0 && baseline.migraineDays == 0 { warnings.append(.baselineEmpty) }
        if baselineDays < Warning.minimumDays { warnings.append(.baselineShort) }
        if followUp.window.days < Warning.minimumDays { warnings.append(.followUpShort) }
        if baseline.episodes + followUp.episodes < Warning.minimumEpisodes { warnings.append(.fewEpisodes) }
        return warnings
    }

    /// The baseline or follow-up figures.
    struct Period {
        var window: DayWindow
        var migraineDays: Int
        var mmd: Double?
        var episodes: Int
        var meanIntensity: Double?

        var json: JSONValue {
            var object = JSONObject()
            object.append("from", .string(Days.format(window.from)))
            object.append("to", .string(Days.format(window.to)))
            object.append("days", JSONValue(window.days))
            object.append("migraineDays", JSONValue(migraineDays))
            object.append("monthlyMigraineDays", rounded(mmd))
            object.append("episodes", JSONValue(episodes))
            object.append("meanIntensity", rounded(meanIntensity))
            return .object(object)
        }
    }

    static func period(_ window: DayWindow, _ episodes: [LocalEpisode]) -> Period {
        let migraineDays = window.migraineDays(episodes)
        var intensity = Mean()
        var count = 0
        for episode in episodes where window.contains(episode.startDay) {
            count += 1
            intensity.add(episode.row.intensity)
        }
        return Period(
            window: window, migraineDays: migraineDays, mmd: window.monthly(migraineDays), episodes: count,
            meanIntensity: intensity.value)
    }

    /// How many of the sorted `instants` lie in `[from, to)`.
    static func count(_ instants: [Int64], from: Int64, to: Int64) -> Int {
        lowerBound(instants, to) - lowerBound(instants, from)
    }

    private static func lowerBound(_ values: [Int64], _ value: Int64) -> Int {
        var low = 0
        var high = values.count
        while low < high {
            let middle = (low + high) / 2
            if values[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
