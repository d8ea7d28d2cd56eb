// The four resources of the contract (API.md "Resources"), one field list each, in the
// contract's order. Bounds live in the kinds; what the API documentation says beyond them is
// the note. Rules relating two fields are in `Domain/Validation/RecordRules.swift`.

extension FieldDescription {
    /// `externalId`: the clinic's own identifier, unique per resource type.
    static func externalId(_ keyPath: any WritableKeyPath<Fields, String?> & Sendable) -> Self {
        Self(
            "externalId", keyPath, .text(length: 1...100),
            note: "The clinic's own identifier, unique per resource type.")
    }

    /// `notes`: free text of up to 4,000 characters.
    static func notes(_ keyPath: any WritableKeyPath<Fields, String?> & Sendable) -> Self {
        Self("notes", keyPath, .text(length: 0...4000))
    }

    /// A 0–10 rating (pain, stress).
    static func rating(_ name: String, _ keyPath: any WritableKeyPath<Fields, Int?> & Sendable) -> Self {
        Self(name, keyPath, .integer(0...10))
    }

    /// A list of slugs that is empty when left out.
    static func slugs(
        _ name: String, _ keyPath: any WritableKeyPath<Fields, [String]> & Sendable, known: [String]
    ) -> Self {
        Self(name, keyPath, .slugs(known: known), .defaulted(.list([])))
    }
}

extension Patient.Fields: RecordFields {
    static let recordDescription = RecordDescription<Self>(
        .patient,
        [
            .init("displayName", \.displayName, .text(length: 1...200, notBlank: true), .required),
            .init(
                "timezone", \.timezone, .text(length: 1...100, format: .timeZone), .defaulted(.text("UTC")),
                note: "IANA time zone name (an unknown name answers 422); defines the patient's calendar days."),
            .init(
                "birthYear", \.birthYear, .calendarYear(from: 1900),
                note:
                    "From 1900 to the current year (checked when written; a later year answers 422)."
            ),
            .externalId(\.externalId),
            .notes(\.notes),
        ])
}

extension Therapist.Fields: RecordFields {
    static let recordDescription = RecordDescription<Self>(
        .therapist,
        [
            .init("name", \.name, .text(length: 1...200, notBlank: true), .required),
            .init(
                "licenseNumber", \.licenseNumber, .text(length: 1...100, notBlank: true), .required,
                note: "Unique within licenseJurisdiction."),
            .init(
                "licenseJurisdiction", \.licenseJurisdiction, .text(length: 1...100, notBlank: true),
                note: "For example US-CA."),
            .init(
                "certifications", \.certifications, .texts(length: 1...200), .defaulted(.list([])),
                note: "Distinct names."),
            .init("yearsExperience", \.yearsExperience, .integer(0...100)),
            .init("migraineExperience", \.migraineExperience, .boolean, .defaulted(.boolean(false))),
            .slugs("techniques", \.techniques, known: Vocabulary.techniques),
            .init("email", \.email, .text(length: 1...254, format: .email)),
            .init("phone", \.phone, .text(length: 1...40, format: .phone)),
            .init("active", \.active, .boolean, .defaulted(.boolean(true))),
            .externalId(\.externalId),
        ])
}

/// What the API documentation says of `patientId` in episodes and sessions.
private let patientIdNote =
    "Required with admin and clinician tokens (422 without it); implied by a patient token, for which any other patient is 404."

extension Episode.Fields: RecordFields {
    static let recordDescription = RecordDescription<Self>(
        .episode,
        [
            .init(
                "patientId", \.patientId, .reference(.patient), .required, note: patientIdNote,
                impliedForPatientTokens: true),
            .init("startedAt", \.startedAt, .timestamp, .required, note: "Not more than 1 day in the future."),
            .init(
                "endedAt", \.endedAt, .timestamp,
                note: "At or after startedAt, at most 14 days after it; null while ongoing."),
            .init("intensity", \.intensity, .integer(0...10), .required),
            .init("aura", \.aura, .boolean, .defaulted(.boolean(false))),
            .slugs("symptoms", \.symptoms, known: Vocabulary.symptoms),
            .slugs("locations", \.locations, known: Vocabulary.locations),
            .slugs("triggers", \.triggers, known: Vocabulary.triggers),
            .init("medications", \.medications, .medications, .defaulted(.medications([]))),
            .slugs("reliefMeasures", \.reliefMeasures, known: Vocabulary.reliefMeasures),
            .rating("stressLevel", \.stressLevel),
            .init("disability", \.disability, .choice(Vocabulary.disabilities)),
            .notes(\.notes),
            .externalId(\.externalId),
        ])
}

extension MassageSession.Fields: RecordFields {
    static let recordDescription = RecordDescription<Self>(
        .session,
        [
            .init(
                "patientId", \.patientId, .reference(.patient), .required, note: patientIdNote,
                impliedForPatientTokens: true),
            .init(
                "therapistId", \.therapistId, .reference(.therapist),
                note: "An existing therapist (otherwise 422). Required when kind is professional; null for self."),
            .init(
                "kind", \.kind, .choice(Vocabulary.sessionKinds), .derived,
                note: "When left out: professional with a therapistId, self without."),
            .init("startedAt", \.startedAt, .timestamp, .required),
            .init("durationMinutes", \.durationMinutes, .integer(1...240), .required),
            .init("techniques", \.techniques, .slugs(known: Vocabulary.techniques, minimum: 1), .required),
            .slugs("areas", \.areas, known: Vocabulary.areas),
            .init("pressure", \.pressure, .choice(Vocabulary.pressures)),
            .init("triggerPointsReleased", \.triggerPointsReleased, .integer(0...Int64.max)),
            .slugs("essentialOils", \.essentialOils, known: Vocabulary.essentialOils),
            .init("warmCompress", \.warmCompress, .boolean, .defaulted(.boolean(false))),
            .init("breathingExercise", \.breathingExercise, .boolean, .defaulted(.boolean(false))),
            .rating("painBefore", \.painBefore),
            .rating("painAfter", \.painAfter),
            .rating("stressBefore", \.stressBefore),
            .rating("stressAfter", \.stressAfter),
            .notes(\.notes),
            .externalId(\.externalId),
        ],
        managed: [
            .init(
                "recordedBy", \.recordedBy, .choice(Vocabulary.recorders), .defaulted(.text("clinic")),
                note:
                    "Who entered the session: patient (a patient token) or clinic (any other token). Set by the server; clinic-wide technique and therapist statistics count clinic-recorded sessions only."
            )
        ])
}
