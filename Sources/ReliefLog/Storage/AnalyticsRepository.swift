import SQLite

/// The columns the analytics need, read with fixed, parameterised SQL.
///
/// Per-patient reads go through the `(patient_id, started_at_ms DESC, id DESC)` indexes and
/// return rows in ascending start order (the local-date mapping memoises offset spans going
/// forward). Clinic-wide reads aggregate in SQLite over `started_at_ms` ranges, so only a
/// handful of rows cross into Swift.
struct AnalyticsRepository {
    let connection: Connection

    init(_ connection: Connection) {
        self.connection = connection
    }

    /// The patient's IANA time zone, or `nil` when there is no such patient.
    func timezone(patientId: Int64) throws -> String? {
        try connection.fetchOne("SELECT timezone FROM patients WHERE id = ?", [.integer(patientId)]) {
            $0.text(0) ?? "UTC"
        }
    }

    /// The patient's display name and IANA time zone (for the printable report's heading), or
    /// `nil` when there is no such patient.
    func nameAndTimezone(patientId: Int64) throws -> (name: String, timezone: String)? {
        try connection.fetchOne("SELECT display_name, timezone FROM patients WHERE id = ?", [.integer(patientId)]) {
            ($0.text(0) ?? "", $0.text(1) ?? "UTC")
        }
    }

    /// Episodes starting in `[from, to)` (epoch ms), by start.
    func episodes(patientId: Int64, from: Int64, to: Int64) throws -> [EpisodeRow] {
        try connection.fetchAll(
            """
            SELECT id, started_at_ms, ended_at_ms, intensity, aura, json_array_length(medications) > 0
            FROM episodes WHERE patient_id = ? AND started_at_ms >= ? AND started_at_ms < ?
            ORDER BY started_at_ms, id
            """, [.integer(patientId), .integer(from), .integer(to)]
        ) { s in
            EpisodeRow(
                id: s.int64(0), startedAt: s.int64(1), endedAt: s.optionalInt64(2), intensity: s.int(3),
                aura: s.bool(4), hasMedication: s.bool(5))
        }
    }

    /// What the summary reads from episodes, in one pass over those starting in `range`: the
    /// rows; how many of those starting in `tagRange` list each trigger and symptom; and one
    /// tag per medication class listed by those starting in `classRange`, with its start.
    ///
    /// This used to be three queries over the patient's episodes, two of them unnesting the
    /// lists with SQLite's `json_each` / `json_tree`; over a ten-year window that was most of
    /// the summary's time. Here the lists are read as text in the one pass and decoded by the
    /// records' own decoders (`StoredList`, `StoredMedications`).
    func summaryEpisodes(
        patientId: Int64, range: Range<Int64>, tagRange: Range<Int64>, classRange: Range<Int64>
    ) throws -> (episodes: [EpisodeRow], tags: [EpisodeTag]) {
        var episodes: [EpisodeRow] = []
        var triggers: [String: Int] = [:]
        var symptoms: [String: Int] = [:]
        var classes: [EpisodeTag] = []
        try connection.forEachRow(
            """
            SELECT id, started_at_ms, ended_at_ms, intensity, aura, triggers, symptoms, medications
            FROM episodes WHERE patient_id = ? AND started_at_ms >= ? AND started_at_ms < ?
            ORDER BY started_at_ms, id
            """, [.integer(patientId), .integer(range.lowerBound), .integer(range.upperBound)]
        ) { row in
            let startedAt = row.int64(1)
            let medications = row.text(7) ?? "[]"
            let hasMedication = !StoredList.isEmptyArray(medications)
            episodes.append(
                EpisodeRow(
                    id: row.int64(0), startedAt: startedAt, endedAt: row.isNull(2) ? nil : row.int64(2),
                    intensity: row.int(3),
                    aura: row.bool(4), hasMedication: hasMedication))
            if tagRange.contains(startedAt) {
                for trigger in StoredList.decode(row.text(5)) ?? [] { triggers[trigger, default: 0] += 1 }
                for symptom in StoredList.decode(row.text(6)) ?? [] { symptoms[symptom, default: 0] += 1 }
            }
            if hasMedication && classRange.contains(startedAt) {
                for medicationClass in StoredMedications.classes(medications) {
                    classes.append(
                        EpisodeTag(kind: .medicationClass, value: medicationClass, count: 1, startedAt: startedAt))
                }
            }
        }
        let tags =
            triggers.map { EpisodeTag(kind: .trigger, value: $0.key, count: $0.value, startedAt: 0) }
            + symptoms.map { EpisodeTag(kind: .symptom, value: $0.key, count: $0.value, startedAt: 0) }
        return (episodes, tags + classes)
    }

    /// Sessions starting in `[from, to)`, by start; techniques only when asked for.
    func sessions(patientId: Int64, from: Int64, to: Int64, techniques: Bool = false) throws -> [SessionRow] {
        var rows = try connection.fetchAll(
            """
            SELECT id, started_at_ms, kind = 'professional', duration_minutes, pain_before, pain_after,
                stress_before, stress_after
            FROM sessions WHERE patient_id = ? AND started_at_ms >= ? AND started_at_ms < ?
            ORDER BY started_at_ms, id
            """, [.integer(patientId), .integer(from), .integer(to)]
        ) { s in
            SessionRow(
                id: s.int64(0), startedAt: s.int64(1), professional: s.bool(2), durationMinutes: s.int(3),
                painBefore: s.optionalInt(4), painAfter: s.optionalInt(5), stressBefore: s.optionalInt(6),
                stressAfter: s.optionalInt(7))
        }
        guard techniques, !rows.isEmpty else { return rows }
        var positions: [Int64: Int] = [:]
        for (i, row) in rows.enumerated() { positions[row.id] = i }
        try connection.forEachRow(
            """
            SELECT DISTINCT s.id, j.value FROM sessions s, json_each(s.techniques) j
            WHERE s.patient_id = ? AND s.started_at_ms >= ? AND s.started_at_ms < ?
            """, [.integer(patientId), .integer(from), .integer(to)]
        ) { cursor in
            if let i = positions[cursor.int64(0)], let technique = cursor.text(1) {
                rows[i].techniques.append(technique)
            }
        }
        return rows
    }

    /// The start of the patient's earliest session.
    func firstSessionAt(patientId: Int64) throws -> Int64? {
        try connection.fetchOne(
            "SELECT started_at_ms FROM sessions WHERE patient_id = ? ORDER BY started_at_ms LIMIT 1",
            [.integer(patientId)]
        ) { $0.int64(0) }
    }

    /// The start of the patient's earliest episode or session, whichever is first.
    func firstEntryAt(patientId: Int64) throws -> Int64? {
        let episode = try connection.fetchOne(
            "SELECT started_at_ms FROM episodes WHERE patient_id = ? ORDER BY started_at_ms LIMIT 1",
            [.integer(patientId)]
        ) { $0.int64(0) }
        let session = try firstSessionAt(patientId: patientId)
        return [episode, session].compactMap { $0 }.min()
    }

    // MARK: Clinic-wide

    /// The start of the earliest episode or session of any patient.
    func firstEntryAt() throws -> Int64? {
        let episode = try connection.fetchOne(
            "SELECT started_at_ms FROM episodes ORDER BY started_at_ms LIMIT 1", []
        ) { $0.int64(0) }
        let session = try connection.fetchOne(
            "SELECT started_at_ms FROM sessions ORDER BY started_at_ms LIMIT 1", []
        ) { $0.int64(0) }
        return [episode, session].compactMap { $0 }.min()
    }

    func patientCount() throws -> Int {
        try connection.fetchOne("SELECT count(*) FROM patients", []) { $0.int(0) } ?? 0
    }

    func activeTherapistCount() throws -> Int {
        try connection.fetchOne("SELECT count(*) FROM therapists WHERE active = 1", []) { $0.int(0) } ?? 0
    }

    /// Episode and session totals of `[from, to)` (epoch ms).
    func totals(from: Int64, to: Int64) throws -> ClinicTotals {
        var totals = ClinicTotals()
        _ = try connection.fetchOne(
            """
            SELECT count(*), ifnull(sum(intensity), 0)
            FROM episodes WHERE started_at_ms >= ? AND started_at_ms < ?
            """, [.integer(from), .integer(to)]
        ) { s in
            totals.episodes = s.int(0)
            totals.intensity = Mean(sum: s.int64(1), count: s.int64(0))
        }
        _ = try connection.fetchOne(
            """
            SELECT count(*), ifnull(sum(pain_before - pain_after), 0), count(pain_before - pain_after)
            FROM sessions WHERE started_at_ms >= ? AND started_at_ms < ?
            """, [.integer(from), .integer(to)]
        ) { s in
            totals.sessions = s.int(0)
            totals.painDrop = Mean(sum: s.int64(1), count: s.int64(2))
        }
        return totals
    }

    /// Clinic-recorded sessions of `[from, to)` per technique (each session once per technique it
    /// lists). Sessions a patient entered count in their own analytics only: a patient token can
    /// name any therapist, and must not move the clinic's statistics.
    func techniqueGroups(from: Int64, to: Int64) throws -> [SessionGroup] {
        try connection.fetchAll(
            """
            SELECT j.value, count(*), count(DISTINCT s.patient_id),
                ifnull(sum(s.pain_before - s.pain_after), 0), count(s.pain_before - s.pain_after),
                ifnull(sum(s.stress_before - s.stress_after), 0), count(s.stress_before - s.stress_after)
            FROM sessions s, json_each(s.techniques) j
            WHERE s.started_at_ms >= ? AND s.started_at_ms < ? AND s.recorded_by = 'clinic'
            GROUP BY j.value
            """, [.integer(from), .integer(to)]
        ) { s in
            SessionGroup(
                technique: s.text(0) ?? "", sessions: s.int(1), patients: s.int(2),
                painDrop: Mean(sum: s.int64(3), count: s.int64(4)), stressDrop: Mean(sum: s.int64(5), count: s.int64(6))
            )
        }
    }

    /// Clinic-recorded professional sessions of `[from, to)` per therapist, with the therapist's current name.
    func therapistGroups(from: Int64, to: Int64) throws -> [SessionGroup] {
        try connection.fetchAll(
            """
            SELECT g.therapist_id, t.name, g.sessions, g.patients, g.pain_sum, g.pain_count, g.stress_sum, g.stress_count
            FROM (
                SELECT therapist_id, count(*) AS sessions, count(DISTINCT patient_id) AS patients,
                    ifnull(sum(pain_before - pain_after), 0) AS pain_sum, count(pain_before - pain_after) AS pain_count,
                    ifnull(sum(stress_before - stress_after), 0) AS stress_sum,
                    count(stress_before - stress_after) AS stress_count
                FROM sessions
                WHERE started_at_ms >= ? AND started_at_ms < ? AND kind = 'professional' AND recorded_by = 'clinic'
                GROUP BY therapist_id
            ) g JOIN therapists t ON t.id = g.therapist_id
            """, [.integer(from), .integer(to)]
        ) { s in
            SessionGroup(
                therapistId: s.int64(0), name: s.text(1) ?? "", sessions: s.int(2), patients: s.int(3),
                painDrop: Mean(sum: s.int64(4), count: s.int64(5)), stressDrop: Mean(sum: s.int64(6), count: s.int64(7))
            )
        }
    }
}
