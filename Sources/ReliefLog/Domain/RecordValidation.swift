import HTTP
import JSON

// Turning request bodies into validated `Fields` (API.md "Resources").
//
// A create body is read as a whole resource. A PATCH body is a JSON Merge Patch (RFC 7386):
// it is applied to the stored resource's fields and the result is read as a whole resource,
// so `null` clears an optional field, a required field cannot be cleared, and every rule that
// relates two fields (endedAt after startedAt, kind and therapistId) sees their new values.
//
// Every failing field is reported at once (a 422 `Problem` from `FieldErrors`), in a fixed
// order: unknown and server-managed members as they appear in the body, then the fields in
// the contract's order.
//
// `now` (epoch milliseconds) is injected so rules such as "not more than 1 day in the future"
// and "birthYear up to the current year" are testable.

extension Patient.Fields {
    static let known: Set<String> = ["displayName", "timezone", "birthYear", "externalId", "notes"]

    /// Validates a create body.
    init(validating body: JSONObject, now: Int64) throws(Problem) {
        var reader = ObjectReader(body, known: Self.known)
        self = try Self.read(&reader, now: now)
    }

    fileprivate static func read(_ reader: inout ObjectReader, now: Int64) throws(Problem) -> Self {
        let displayName = reader.string("displayName", required: true, length: 1...200, notBlank: true)
        var timezone = "UTC"
        if let name = reader.string("timezone", length: 1...100) {
            if TimeZoneName.isValid(name) {
                timezone = name
            } else {
                reader.fail("timezone", "must be an IANA time zone name such as Europe/Berlin or UTC")
            }
        }
        let birthYear = reader.int("birthYear", 1900...Timestamp.year(of: now))
        let externalId = reader.string("externalId", length: 1...100)
        let notes = reader.string("notes", length: 0...4000)
        try reader.errors.throwIfAny()
        guard let displayName else { preconditionFailure("a required field without an error") }
        return Self(displayName: displayName, timezone: timezone, birthYear: birthYear, externalId: externalId, notes: notes)
    }
}

extension Patient {
    /// Validates a merge patch against this stored patient; the new fields to store.
    func patched(with patch: JSONObject, now: Int64) throws(Problem) -> Fields {
        var reader = mergePatchReader(stored: fields, patch: patch, known: Fields.known)
        return try Fields.read(&reader, now: now)
    }
}

extension Therapist.Fields {
    static let known: Set<String> = [
        "name", "licenseNumber", "licenseJurisdiction", "certifications", "yearsExperience", "migraineExperience",
        "techniques", "email", "phone", "active", "externalId",
    ]

    init(validating body: JSONObject, now: Int64) throws(Problem) {
        var reader = ObjectReader(body, known: Self.known)
        self = try Self.read(&reader)
    }

    fileprivate static func read(_ reader: inout ObjectReader) throws(Problem) -> Self {
        let name = reader.string("name", required: true, length: 1...200, notBlank: true)
        let licenseNumber = reader.string("licenseNumber", required: true, length: 1...100, notBlank: true)
        let licenseJurisdiction = reader.string("licenseJurisdiction", length: 1...100, notBlank: true)
        let certifications = reader.strings("certifications") { text in
            ObjectReader.lengthProblem(text, 1...200)
        }
        let yearsExperience = reader.int("yearsExperience", 0...100)
        let migraineExperience = reader.bool("migraineExperience") ?? false
        let techniques = reader.slugs("techniques")
        var email = reader.string("email", length: 1...254)
        if let address = email, !Contact.isPlausibleEmail(address) {
            reader.fail("email", "must be an email address: one '@' with text on both sides and no spaces")
            email = nil
        }
        var phone = reader.string("phone", length: 1...40)
        if let number = phone, !Contact.isPlausiblePhone(number) {
            reader.fail("phone", "must be a phone number: digits, spaces and + - ( ) only")
            phone = nil
        }
        let active = reader.bool("active") ?? true
        let externalId = reader.string("externalId", length: 1...100)
        try reader.errors.throwIfAny()
        guard let name, let licenseNumber else { preconditionFailure("a required field without an error") }
        return Self(
            name: name, licenseNumber: licenseNumber, licenseJurisdiction: licenseJurisdiction,
            certifications: certifications, yearsExperience: yearsExperience, migraineExperience: migraineExperience,
            techniques: techniques, email: email, phone: phone, active: active, externalId: externalId)
    }
}

extension Therapist {
    func patched(with patch: JSONObject, now: Int64) throws(Problem) -> Fields {
        var reader = mergePatchReader(stored: fields, patch: patch, known: Fields.known)
        return try Fields.read(&reader)
    }
}

extension Episode.Fields {
    static let known: Set<String> = [
        "patientId", "startedAt", "endedAt", "intensity", "aura", "symptoms", "locations", "triggers", "medications",
        "reliefMeasures", "stressLevel", "disability", "notes", "externalId",
    ]
    static let medicationFields: Set<String> = ["name", "class", "doseMg", "takenAt", "effective"]

    /// How far ahead of `now` an episode may start (API.md: "not more than 1 day in the future").
    static let maximumFutureStart: Int64 = Timestamp.millisecondsPerDay
    /// How long an episode may last (API.md: `endedAt` "at most 14 days after" `startedAt`).
    static let maximumDuration: Int64 = 14 * Timestamp.millisecondsPerDay

    /// Validates a create body. `impliedPatientId` is the patient a patient token is bound to:
    /// with it, `patientId` may be left out of the body. When the body names a patient too,
    /// its value is kept, and the caller must compare it with the implied one (the contract
    /// answers 404 for any other patient).
    init(validating body: JSONObject, impliedPatientId: Int64? = nil, now: Int64) throws(Problem) {
        var reader = ObjectReader(body, known: Self.known)
        self = try Self.read(&reader, impliedPatientId: impliedPatientId, now: now)
    }

    fileprivate static func read(_ reader: inout ObjectReader, impliedPatientId: Int64?, now: Int64) throws(Problem) -> Self {
        let patientId = reader.id("patientId", required: impliedPatientId == nil) ?? impliedPatientId
        let startedAt = reader.timestamp("startedAt", required: true)
        if let startedAt, startedAt > now + maximumFutureStart {
            reader.fail("startedAt", "must not be more than 1 day in the future")
        }
        let endedAt = reader.timestamp("endedAt")
        if let startedAt, let endedAt {
            if endedAt < startedAt {
                reader.fail("endedAt", "must not be before startedAt")
            } else if endedAt - startedAt > maximumDuration {
                reader.fail("endedAt", "must be at most 14 days after startedAt")
            }
        }
        let intensity = reader.int("intensity", required: true, 0...10)
        let aura = reader.bool("aura") ?? false
        let symptoms = reader.slugs("symptoms")
        let locations = reader.slugs("locations")
        let triggers = reader.slugs("triggers")
        let medications = readMedications(&reader)
        let reliefMeasures = reader.slugs("reliefMeasures")
        let stressLevel = reader.int("stressLevel", 0...10)
        let disability = reader.oneOf("disability", Vocabulary.disabilities)
        let notes = reader.string("notes", length: 0...4000)
        let externalId = reader.string("externalId", length: 1...100)
        try reader.errors.throwIfAny()
        guard let patientId, let startedAt, let intensity else { preconditionFailure("a required field without an error") }
        return Self(
            patientId: patientId, startedAt: startedAt, endedAt: endedAt, intensity: intensity, aura: aura,
            symptoms: symptoms, locations: locations, triggers: triggers, medications: medications,
            reliefMeasures: reliefMeasures, stressLevel: stressLevel, disability: disability, notes: notes,
            externalId: externalId)
    }

    private static func readMedications(_ reader: inout ObjectReader) -> [Medication] {
        guard let elements = reader.array("medications", maximumCount: 50) else { return [] }
        var medications: [Medication] = []
        medications.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            let pointer = reader.pointer("medications").appending(index)
            guard case .object(let object) = element else {
                reader.errors.add(pointer, "must be an object")
                continue
            }
            var item = ObjectReader(object, at: pointer, known: medicationFields, errors: reader.errors)
            let name = item.string("name", required: true, length: 1...100, notBlank: true)
            let medicationClass = item.slug("class")
            let doseMg = item.positiveNumber("doseMg")
            let takenAt = item.timestamp("takenAt")
            let effective = item.bool("effective")
            reader.errors = item.errors
            if let name {
                medications.append(
                    Medication(name: name, medicationClass: medicationClass, doseMg: doseMg, takenAt: takenAt, effective: effective))
            }
        }
        return medications
    }
}

extension Episode {
    /// Validates a merge patch against this stored episode; the new fields to store.
    func patched(with patch: JSONObject, now: Int64) throws(Problem) -> Fields {
        var reader = mergePatchReader(stored: fields, patch: patch, known: Fields.known)
        return try Fields.read(&reader, impliedPatientId: nil, now: now)
    }
}

extension MassageSession.Fields {
    static let known: Set<String> = [
        "patientId", "therapistId", "kind", "startedAt", "durationMinutes", "techniques", "areas", "pressure",
        "triggerPointsReleased", "essentialOils", "warmCompress", "breathingExercise", "painBefore", "painAfter",
        "stressBefore", "stressAfter", "notes", "externalId",
    ]

    /// Validates a create body; `impliedPatientId` as for episodes.
    ///
    /// Without `kind`, a session with a `therapistId` is `professional` and one without is `self`.
    init(validating body: JSONObject, impliedPatientId: Int64? = nil, now: Int64) throws(Problem) {
        var reader = ObjectReader(body, known: Self.known)
        self = try Self.read(&reader, impliedPatientId: impliedPatientId)
    }

    fileprivate static func read(_ reader: inout ObjectReader, impliedPatientId: Int64?) throws(Problem) -> Self {
        let patientId = reader.id("patientId", required: impliedPatientId == nil) ?? impliedPatientId
        // Presence, not validity, decides the kind rules, so a malformed id is reported once.
        let therapistGiven = reader.object["therapistId"].map { !$0.isNull } ?? false
        let therapistId = reader.id("therapistId")
        let kindGiven = reader.object["kind"].map { !$0.isNull } ?? false
        let kindName = reader.oneOf("kind", Vocabulary.sessionKinds)
        let kind: MassageSession.Kind? =
            kindGiven ? kindName.flatMap(MassageSession.Kind.init(rawValue:)) : (therapistGiven ? .professional : .self)
        if kind == .professional, !therapistGiven {
            reader.fail("therapistId", "is required when kind is professional")
        } else if kind == .self, therapistGiven {
            reader.fail("therapistId", "must be null when kind is self")
        }
        let startedAt = reader.timestamp("startedAt", required: true)
        let durationMinutes = reader.int("durationMinutes", required: true, 1...240)
        let techniquesGiven = reader.object["techniques"].map { !$0.isNull } ?? false
        let techniques = reader.slugs("techniques")
        if !techniquesGiven {
            reader.fail("techniques", "is required")
        } else if techniques.isEmpty, reader.object["techniques"]?.arrayValue?.isEmpty == true {
            reader.fail("techniques", "must list at least one technique")
        }
        let areas = reader.slugs("areas")
        let pressure = reader.oneOf("pressure", Vocabulary.pressures)
        let triggerPointsReleased = reader.int("triggerPointsReleased", 0...Int.max)
        let essentialOils = reader.slugs("essentialOils")
        let warmCompress = reader.bool("warmCompress") ?? false
        let breathingExercise = reader.bool("breathingExercise") ?? false
        let painBefore = reader.int("painBefore", 0...10)
        let painAfter = reader.int("painAfter", 0...10)
        let stressBefore = reader.int("stressBefore", 0...10)
        let stressAfter = reader.int("stressAfter", 0...10)
        let notes = reader.string("notes", length: 0...4000)
        let externalId = reader.string("externalId", length: 1...100)
        try reader.errors.throwIfAny()
        guard let patientId, let kind, let startedAt, let durationMinutes else {
            preconditionFailure("a required field without an error")
        }
        return Self(
            patientId: patientId, therapistId: therapistId, kind: kind, startedAt: startedAt,
            durationMinutes: durationMinutes, techniques: techniques, areas: areas, pressure: pressure,
            triggerPointsReleased: triggerPointsReleased, essentialOils: essentialOils, warmCompress: warmCompress,
            breathingExercise: breathingExercise, painBefore: painBefore, painAfter: painAfter,
            stressBefore: stressBefore, stressAfter: stressAfter, notes: notes, externalId: externalId)
    }
}

extension MassageSession {
    /// Validates a merge patch against this stored session; the new fields to store.
    ///
    /// The stored `kind` is part of the base, so turning a professional session into a
    /// self-massage takes `{"kind": "self", "therapistId": null}`.
    func patched(with patch: JSONObject, now: Int64) throws(Problem) -> Fields {
        var reader = mergePatchReader(stored: fields, patch: patch, known: Fields.known)
        return try Fields.read(&reader, impliedPatientId: nil)
    }
}

/// A reader over `stored` with `patch` merged in (RFC 7386), reporting the patch's unknown
/// and server-managed members first. Those are checked on the patch itself, because merging
/// would drop a `null` one silently.
private func mergePatchReader(stored: some RecordFields, patch: JSONObject, known: Set<String>) -> ObjectReader {
    var errors = FieldErrors()
    var cleanPatch = JSONObject()
    for (key, value) in patch {
        if known.contains(key) {
            cleanPatch.append(key, value)
        } else if ObjectReader.managedFields.contains(key) {
            errors.add(JSONPointer.root.appending(key), "is managed by the server")
        } else {
            errors.add(JSONPointer.root.appending(key), "is not a known field")
        }
    }
    let merged = JSON.mergePatch(.object(stored.json), .object(cleanPatch)).objectValue ?? JSONObject()
    return ObjectReader(merged, known: known, errors: errors)
}

/// Plausibility checks for contact details: enough to catch a field mix-up, not RFC 5322.
enum Contact {
    /// One `@` with text on both sides, no white space, at most 254 characters.
    static func isPlausibleEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && !parts[1].isEmpty && text.utf8.count <= 254
            && !text.unicodeScalars.contains { $0.properties.isWhitespace }
    }

    /// At most 40 characters of digits, spaces and `+ - ( )`, with at least one digit.
    static func isPlausiblePhone(_ text: String) -> Bool {
        text.utf8.count <= 40 && text.utf8.contains { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            && text.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: " ")
                    || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "(")
                    || byte == UInt8(ascii: ")")
            }
    }
}
