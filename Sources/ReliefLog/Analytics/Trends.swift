import JSON

/// Bucket sizes of `GET /v1/patients/{id}/analytics/trends`.
enum TrendBucket: String, Sendable, CaseIterable {
    case day, week, month

    /// The default range: the last 28 days, 26 ISO weeks or 12 months, the current one included.
    func defaultWindow(today: LocalDay) -> DayWindow {
        switch self {
        case .day:
            return DayWindow(from: today - 27, to: today + 1)
        case .week:
            let monday = Days.weekStart(today)
            return DayWindow(from: monday - 25 * 7, to: monday + 7)
        case .month:
            let first = Days.monthStart(today)
            return DayWindow(from: Days.addMonths(first, -11), to: Days.addMonths(first, 1))
        }
    }

    /// The start of the calendar bucket containing `day`.
    func start(of day: LocalDay) -> LocalDay {
        switch self {
        case .day: day
        case .week: Days.weekStart(day)
        case .month: Days.monthStart(day)
        }
    }

    /// The start of the next calendar bucket after the one starting at `start`.
    func next(_ start: LocalDay) -> LocalDay {
        switch self {
        case .day: start + 1
        case .week: start + 7
        case .month: Days.addMonths(start, 1)
        }
    }

    /// How many calendar buckets intersect a non-empty window, without building them.
    func count(_ window: DayWindow) -> Int64 {
        guard window.to > window.from else { return 0 }
        let last = window.to - 1
        switch self {
        case .day:
            return window.days
        case .week:
            return (Days.weekStart(last) - Days.weekStart(window.from)) / 7 + 1
        case .month:
            let (y0, m0, _) = Timestamp.civilFromDays(window.from)
            let (y1, m1, _) = Timestamp.civilFromDays(last)
            return (y1 * 12 + m1) - (y0 * 12 + m0) + 1
        }
    }

    /// The calendar buckets intersecting `window`, each clipped to it.
    func buckets(_ window: DayWindow) -> [DayWindow] {
        var result: [DayWindow] = []
        var start = window.from
        while start < window.to {
            let end = min(next(self.start(of: start)), window.to)
            result.append(DayWindow(from: start, to: end))
            start = end
        }
        return result
    }
}

/// `GET /v1/patients/{id}/analytics/trends` (docs/analytics-definitions.md "Trends").
enum TrendsAnalysis {
    static func compute(
        patientId: Int64, bucket: TrendBucket, window: DayWindow, zone: Zone,
        episodes rows: [EpisodeRow], sessions sessionRows: [SessionRow], context: WindowWarning.Context
    ) -> JSONValue {
        var mapper = zone.mapper()
        let episodes = mapper.episodes(rows)
        var sessionMapper = zone.mapper()
        let sessions = sessionMapper.sessions(sessionRows)
        let buckets = bucket.buckets(window)

        // Bucket index of each date of the window, and the dates any episode covers.
        var index = [Int](repeating: 0, count: Int(window.days))
        for (i, b) in buckets.enumerated() {
            for day in b.from..<b.to { index[Int(day - window.from)] = i }
        }
        var covered = [Bool](repeating: false, count: Int(window.days))

        struct Totals {
            var episodes = 0
            var migraineDays = 0
            var intensity = Mean()
            var sessions = 0
            var minutes = 0
            var pain = Mean()
            var peak: Int? = nil
        }
        var totals = [Totals](repeating: Totals(), count: buckets.count)
        for episode in episodes {
            if window.contains(episode.startDay) {
                let i = index[Int(episode.startDay - window.from)]
                totals[i].episodes += 1
                totals[i].intensity.add(episode.row.intensity)
            }
            let first = max(episode.startDay, window.from)
            let last = min(episode.endDay, window.to - 1)
            guard first <= last else { continue }
            for day in first...last {
                let i = index[Int(day - window.from)]
                totals[i].peak = max(totals[i].peak ?? episode.row.intensity, episode.row.intensity)
                guard !covered[Int(day - window.from)] else { continue }
                covered[Int(day - window.from)] = true
                totals[i].migraineDays += 1
            }
        }
        for session in sessions where window.contains(session.day) {
            let i = index[Int(session.day - window.from)]
            totals[i].sessions += 1
            totals[i].minutes += session.row.durationMinutes
            totals[i].pain.add(session.row.painDrop)
        }

        var items: [JSONValue] = []
        items.reserveCapacity(buckets.count)
        var migrainePoints: [(x: Double, y: Double)] = []
        var intensityPoints: [(x: Double, y: Double)] = []
        for (i, b) in buckets.enumerated() {
            let t = totals[i]
            var object = JSONObject()
            object.append("start", .string(Days.format(b.from)))
            object.append("end", .string(Days.format(b.to)))
            object.append("episodes", JSONValue(t.episodes))
            object.append("migraineDays", JSONValue(t.migraineDays))
            object.append("meanIntensity", rounded(t.intensity.value))
            object.append("sessions", JSONValue(t.sessions))
            object.append("sessionMinutes", JSONValue(t.minutes))
            object.append("meanPainDrop", rounded(t.pain.value))
            object.append("peakIntensity", t.peak.map { JSONValue($0) } ?? .null)
            items.append(.object(object))
            migrainePoints.append((Double(i), Double(t.migraineDays)))
            if let mean = t.intensity.value { intensityPoints.append((Double(i), mean)) }
        }

        var object = JSONObject()
        object.append("patientId", JSONValue(patientId))
        object.append("bucket", .string(bucket.rawValue))
        object.append("from", .string(Days.format(window.from)))
        object.append("to", .string(Days.format(window.to)))
        object.append("buckets", .array(items))
        object.append(
            "trend",
            [
                "migraineDaysSlope": rounded(leastSquaresSlope(migrainePoints)),
                "meanIntensitySlope": rounded(leastSquaresSlope(intensityPoints)),
            ])
        let warnings = WindowWarning.derive(
            WindowWarning.trends, window: window, buckets: buckets.count,
            episodes: totals.reduce(0) { $0 + $1.episodes }, context: context)
        object.append("warnings", .array(warnings.map { .string($0.rawValue) }))
        object.append("note", .string(analyticsNote))
        return .object(object)
    }
}
