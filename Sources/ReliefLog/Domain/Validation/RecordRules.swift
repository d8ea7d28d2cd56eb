// The rules that relate two fields, or that need more than one field's bounds: what a field
// list cannot say. Each runs after every field was read, and only on fields read without a
// failure, so one mistake is reported once.

extension RecordFields {
    /// No rules beyond the fields' own.
    mutating func applyRules(_ reader: inout ObjectReader, now: Int64) {}
}

extension Episode.Fields {
    /// How far ahead of `now` an episode may start (API.md: "not more than 1 day in the future").
    static let maximumFutureStart: Int64 = Timestamp.millisecondsPerDay
    /// How long an episode may last (API.md: `endedAt` "at most 14 days after" `startedAt`).
    static let maximumDuration: Int64 = 14 * Timestamp.millisecondsPerDay

    func applyRules(_ reader: inout ObjectReader, now: Int64) {
        guard reader.isValid("startedAt"), reader.isPresent("startedAt") else { return }
        if startedAt > now + Self.maximumFutureStart {
            reader.fail("startedAt", "must not be more than 1 day in the future")
        }
        guard let endedAt, reader.isValid("endedAt") else { return }
        if endedAt < startedAt {
            reader.fail("endedAt", "must not be before startedAt")
        } else if endedAt - startedAt > Self.maximumDuration {
            reader.fail("endedAt", "must be at most 14 days after startedAt")
        }
    }
}

extension MassageSession.Fields {
    /// Without `kind`, a session with a `therapistId` is `professional` and one without is
    /// `self`; a professional session names its therapist and a self-massage names none.
    /// Presence, not validity, decides these rules, so a malformed id is reported once.
    mutating func applyRules(_ reader: inout ObjectReader, now: Int64) {
        let therapistGiven = reader.isPresent("therapistId")
        if !reader.isPresent("kind") {
            kind = therapistGiven ? .professional : .self
        }
        if reader.isValid("kind") {
            if kind == .professional, !therapistGiven {
                reader.fail("therapistId", "is required when kind is professional")
            } else if kind == .self, therapistGiven {
                reader.fail("therapistId", "must be null when kind is self")
            }
        }
        if reader.isPresent("techniques"), reader.object["techniques"]?.arrayValue?.isEmpty == true {
            reader.fail("techniques", "must list at least one technique")
        }
    }
}
