import JSON

/// Totals of one UTC window, aggregated by the database.
struct ClinicTotals: Sendable, Hashable {
    var episodes: Int = 0
    var intensity = Mean()
    var sessions: Int = 0
    var painDrop = Mean()
}

/// Sessions grouped by technique or therapist, aggregated by the database.
struct SessionGroup: Sendable, Hashable {
    var technique: String = ""
    var therapistId: Int64 = 0
    /// The therapist's current name.
    var name: String = ""
    var sessions: Int
    /// Distinct patients.
    var patients: Int
    var painDrop: Mean
    var stressDrop: Mean
}

/// The clinic-wide endpoints (docs/analytics-definitions.md "Clinic-wide"): windows of
/// UTC dates, records counted by the UTC date of `startedAt`.
enum ClinicAnalysis {
    static func window(_ window: DayWindow, into object: inout JSONObject) {
        object.append("from", .string(Days.format(window.from)))
        object.append("to", .string(Days.format(window.to)))
        object.append("days", JSONValue(window.days))
    }

    static func overview(
        window: DayWindow, patients: Int, activeTherapists: Int, current: ClinicTotals, previous: ClinicTotals,
        context: WindowWarning.Context
    ) -> JSONValue {
        var object = JSONObject()
        self.window(window, into: &object)
        object.append("patients", JSONValue(patients))
        object.append("activeTherapists", JSONValue(activeTherapists))
        append(current, into: &object)
        var before = JSONObject()
        self.window(DayWindow(from: window.from - window.days, to: window.from), into: &before)
        append(previous, into: &before)
        object.append("previous", .object(before))
        warnings(WindowWarning.overview, window: window, episodes: current.episodes, context: context, into: &object)
        object.append("note", .string(analyticsNote))
        return .object(object)
    }

    private static func append(_ totals: ClinicTotals, into object: inout JSONObject) {
        object.append("episodes", JSONValue(totals.episodes))
        object.append("sessions", JSONValue(totals.sessions))
        object.append("meanIntensity", rounded(totals.intensity.value))
        object.append("meanPainDrop", rounded(totals.painDrop.value))
    }

    private static func warnings(
        _ candidates: [WindowWarning], window: DayWindow, episodes: Int, context: WindowWarning.Context,
        into object: inout JSONObject
    ) {
        let warnings = WindowWarning.derive(
            candidates, window: window, buckets: 1, episodes: episodes, context: context)
        object.append("warnings", .array(warnings.map { .string($0.rawValue) }))
    }

    static func techniques(window: DayWindow, groups: [SessionGroup], context: WindowWarning.Context) -> JSONValue {
        let sorted = groups.sorted {
            $0.sessions != $1.sessions ? $0.sessions > $1.sessions : $0.technique < $1.technique
        }
        var object = JSONObject()
        self.window(window, into: &object)
        object.append(
            "items",
            .array(
                sorted.map { group in
                    var item = JSONObject()
                    item.append("technique", .string(group.technique))
                    append(group, into: &item)
                    return .object(item)
                }))
        warnings(WindowWarning.groups, window: window, episodes: 0, context: context, into: &object)
        object.append("note", .string(analyticsNote))
        return .object(object)
    }

    static func therapists(window: DayWindow, groups: [SessionGroup], context: WindowWarning.Context) -> JSONValue {
        let sorted = groups.sorted {
            $0.sessions != $1.sessions ? $0.sessions > $1.sessions : $0.therapistId < $1.therapistId
        }
        var object = JSONObject()
        self.window(window, into: &object)
        object.append(
            "items",
            .array(
                sorted.map { group in
                    var item = JSONObject()
                    item.append("therapistId", JSONValue(group.therapistId))
                    item.append("name", .string(group.name))
                    append(group, into: &item)
                    return .object(item)
                }))
        warnings(WindowWarning.groups, window: window, episodes: 0, context: context, into: &object)
        object.append("note", .string(analyticsNote))
        return .object(object)
    }

    private static func append(_ group: SessionGroup, into object: inout JSONObject) {
        object.append("sessions", JSONValue(group.sessions))
        object.append("patients", JSONValue(group.patients))
        object.append("meanPainDrop", rounded(group.painDrop.value))
        object.append("meanStressDrop", rounded(group.stressDrop.value))
    }
}
