import JSON

/// `GET /v1/patients/{id}/analytics/summary` (API.md "Analytics"; definitions in
/// docs/analytics-definitions.md "Summary").
enum SummaryAnalysis {
    /// Medication-overuse thresholds in days per 30 (ICHD-3 8.2).
    static func overuseThreshold(_ medicationClass: String) -> Int? {
        switch medicationClass {
        case "triptan", "ergot", "opioid", "combination_analgesic": 10
        case "simple_analgesic", "nsaid": 15
        default: nil
        }
    }

    /// - Parameters:
    ///   - episodes: every episode that may cover a date of the window (those starting up to
    ///     14 days before it included); others are ignored.
    ///   - tags: trigger and symptom counts over the episodes starting in the window, and the
    ///     medication classes of those episodes with their starts.
    ///   - sessions: sessions around the window; those outside it are ignored.
    ///   - context: today and the patient's first entry, for the warnings.
    static func compute(
        patientId: Int64, window: DayWindow, zone: Zone,
        episodes rows: [EpisodeRow], tags: [EpisodeTag], sessions sessionRows: [SessionRow],
        context: WindowWarning.Context
    ) -> JSONValue {
        var mapper = zone.mapper()
        let all = mapper.episodes(rows)
        let inWindow = all.filter { window.contains($0.startDay) }

        var intensity = Mean()
        var duration: (sum: Int64, count: Int) = (0, 0)
        var aura = 0
        var medicationDays = Set<LocalDay>()
        for episode in inWindow {
            intensity.add(episode.row.intensity)
            if let endedAt = episode.row.endedAt {
                duration.sum += endedAt - episode.row.startedAt
                duration.count += 1
            }
            if episode.row.aura { aura += 1 }
            if episode.row.hasMedication { medicationDays.insert(episode.startDay) }
        }
        let intensities = inWindow.map(\.row.intensity).sorted()
        let median: Double? =
            intensities.isEmpty
            ? nil
            : intensities.count % 2 == 1
                ? Double(intensities[intensities.count / 2])
                : Double(intensities[intensities.count / 2 - 1] + intensities[intensities.count / 2]) / 2

        var triggers: [String: Int] = [:]
        var symptoms: [String: Int] = [:]
        var classDays: [String: Set<LocalDay>] = [:]
        for tag in tags {
            switch tag.kind {
            case .trigger: triggers[tag.value, default: 0] += tag.count
            case .symptom: symptoms[tag.value, default: 0] += tag.count
            case .medicationClass:
                let day = mapper.day(tag.startedAt)
                if window.contains(day) { classDays[tag.value, default: []].insert(day) }
            }
        }

        var mapperForSessions = zone.mapper()
        let sessions = mapperForSessions.sessions(sessionRows).filter { window.contains($0.day) }
        var pain = Mean()
        var stress = Mean()
        var professional = 0
        var minutes = 0
        for session in sessions {
            if session.row.professional { professional += 1 }
            minutes += session.row.durationMinutes
            pain.add(session.row.painDrop)
            stress.add(session.row.stressDrop)
        }

        let migraineDays = window.migraineDays(all)
        var object = JSONObject()
        object.append("patientId", JSONValue(patientId))
        object.append("from", .string(Days.format(window.from)))
        object.append("to", .string(Days.format(window.to)))
        object.append("days", JSONValue(window.days))
        object.append("episodes", JSONValue(inWindow.count))
        object.append("migraineDays", JSONValue(migraineDays))
        object.append("monthlyMigraineDays", rounded(window.monthly(migraineDays)))
        object.append("meanIntensity", rounded(intensity.value))
        object.append("medianIntensity", rounded(median))
        object.append(
            "meanDurationHours",
            rounded(duration.count == 0 ? nil : Double(duration.sum) / Double(duration.count) / 3_600_000))
        object.append("auraEpisodes", JSONValue(aura))
        object.append("topTriggers", top(triggers, name: "trigger", episodes: inWindow.count))
        object.append("topSymptoms", top(symptoms, name: "symptom", episodes: inWindow.count))
        object.append("medicationDays", JSONValue(medicationDays.count))
        object.append("medicationOveruse", overuse(classDays, windowDays: window.days))
        object.append("sessions", JSONValue(sessions.count))
        object.append("professionalSessions", JSONValue(professional))
        object.append("selfSessions", JSONValue(sessions.count - professional))
        object.append("sessionMinutes", JSONValue(minutes))
        object.append("meanPainDrop", rounded(pain.value))
        object.append("meanStressDrop", rounded(stress.value))
        let warnings = WindowWarning.derive(
            WindowWarning.summary, window: window, buckets: 1, episodes: inWindow.count, context: context)
        object.append("warnings", .array(warnings.map { .string($0.rawValue) }))
        object.append("note", .string(analyticsNote))
        return .object(object)
    }

    /// At most 10, by count descending then name.
    static func top(_ counts: [String: Int], name: String, episodes: Int) -> JSONValue {
        let sorted = counts.map { (name: $0.key, count: $0.value) }
            .sorted { $0.count != $1.count ? $0.count > $1.count : $0.name < $1.name }
            .prefix(10)
        return .array(
            sorted.map { item in
                var object = JSONObject()
                object.append(name, .string(item.name))
                object.append("count", JSONValue(item.count))
                object.append("share", rounded(Double(item.count) / Double(episodes)))
                return .object(object)
            })
    }

    /// One item per medication class, by class name.
    static func overuse(_ classDays: [String: Set<LocalDay>], windowDays: Int64) -> JSONValue {
        .array(
            classDays.keys.sorted().map { medicationClass in
                let days = classDays[medicationClass]?.count ?? 0
                let per30 = Double(days) * 30 / Double(windowDays)
                let threshold = overuseThreshold(medicationClass)
                var object = JSONObject()
                object.append("class", .string(medicationClass))
                object.append("days", JSONValue(days))
                object.append("daysPer30", rounded(per30))
                object.append("threshold", JSONValue(threshold))
                object.append("exceeded", .bool(threshold.map { per30 >= Double($0) } ?? false))
                return .object(object)
            })
    }
}
