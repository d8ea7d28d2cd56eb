import JSON

// Turning request bodies into validated `Fields` (API.md "Resources").
//
// A create body is read as a whole resource. A PATCH body is a JSON Merge Patch (RFC 7386):
// it is applied to the stored resource's fields and the result is read as a whole resource,
// so `null` clears an optional field, a required field cannot be cleared, and every rule that
// relates two fields (endedAt after startedAt, kind and therapistId) sees their new values.
//
// Each field is read as its description says (`RecordDescription`); the rules that relate
// fields follow (`RecordRules`). Every failing field is reported at once, in a fixed order:
// unknown and server-managed members as they appear in the body, then the fields in the
// contract's order.
//
// `now` (epoch milliseconds) is injected so rules such as "not more than 1 day in the future"
// and "birthYear up to the current year" are testable.

extension RecordFields {
    /// Validates a create body. `impliedPatientId` is the patient a patient token is bound to:
    /// with it, `patientId` may be left out of the body. When the body names a patient too, its
    /// value is kept, and the caller must compare it with the implied one (the contract answers
    /// 404 for any other patient).
    init(validating body: JSONObject, impliedPatientId: Int64? = nil, now: Int64) throws(ValidationError) {
        var reader = ObjectReader(
            body, known: Self.recordDescription.known, managed: Self.recordDescription.managedNames)
        self = try Self.read(&reader, impliedPatientId: impliedPatientId, now: now)
    }

    /// Reads every described field, then applies the record's rules.
    fileprivate static func read(
        _ reader: inout ObjectReader, impliedPatientId: Int64?, now: Int64
    ) throws(ValidationError) -> Self {
        let description = Self.recordDescription
        var fields = Self()
        for field in description.fields {
            let implied = field.impliedForPatientTokens ? impliedPatientId : nil
            let value = reader.read(field, implied: implied, now: now)
            if let value = value ?? (reader.isPresent(field.name) ? nil : field.absentValue) {
                _ = field.set(&fields, value)
            }
        }
        fields.applyRules(&reader, now: now)
        reader.errors.sort(by: description.order)
        try reader.errors.throwIfAny()
        return fields
    }
}

extension Record {
    /// Validates a merge patch against this stored record; the new fields to store.
    func patched(with patch: JSONObject, now: Int64) throws(ValidationError) -> Fields {
        let description = Fields.recordDescription
        var reader = mergePatchReader(
            stored: fields, patch: patch, known: description.known, managed: description.managedNames)
        return description.keepingManaged(try Fields.read(&reader, impliedPatientId: nil, now: now), from: fields)
    }
}

/// A reader over `stored` with `patch` merged in (RFC 7386), reporting the patch's unknown
/// and server-managed members first. Those are checked on the patch itself, because merging
/// would drop a `null` one silently.
private func mergePatchReader(
    stored: some RecordFields, patch: JSONObject, known: Set<String>, managed: Set<String>
) -> ObjectReader {
    var errors = FieldErrors()
    var cleanPatch = JSONObject()
    for (key, value) in patch {
        if known.contains(key) {
            cleanPatch.append(key, value)
        } else if ObjectReader.managedFields.contains(key) || managed.contains(key) {
            errors.add(JSONPointer.root.appending(key), "is managed by the server")
        } else {
            errors.add(JSONPointer.root.appending(key), "is not a known field")
        }
    }
    let merged = JSON.mergePatch(.object(stored.json), .object(cleanPatch)).objectValue ?? JSONObject()
    return ObjectReader(merged, known: known, errors: errors)
}

extension ObjectReader {
    /// Whether the member is in the object and not `null`.
    func isPresent(_ key: String) -> Bool {
        object[key].map { !$0.isNull } ?? false
    }

    /// Whether the member was read without a failure (absent optional members are valid).
    func isValid(_ key: String) -> Bool { !errors.contains(pointer(key)) }

    /// Reads one described field: its value, or nil when it is absent (`null`) or failed (the
    /// failure is recorded). A field a patient token implies takes `implied` when left out.
    mutating func read<Fields>(_ field: FieldDescription<Fields>, implied: Int64?, now: Int64) -> FieldValue? {
        let name = field.name
        let required = field.isRequired && implied == nil
        switch field.kind {
        case .text(let length, let notBlank, let format):
            guard let text = string(name, required: required, length: length, notBlank: notBlank) else { return nil }
            if let problem = format.problem(text) {
                fail(name, problem)
                return nil
            }
            return .text(text)
        case .integer(let range):
            return integer(name, required: required, range).map(FieldValue.integer)
        case .calendarYear(let first):
            return integer(name, required: required, first...Int64(Timestamp.year(of: now))).map(FieldValue.integer)
        case .reference:
            if let implied, !isPresent(name) { return .integer(implied) }
            return id(name, required: required).map(FieldValue.integer)
        case .boolean:
            if required, !isPresent(name) { fail(name, "is required") }
            return bool(name).map(FieldValue.boolean)
        case .timestamp:
            return timestamp(name, required: required).map(FieldValue.integer)
        case .choice(let values):
            return oneOf(name, required: required, values).map(FieldValue.text)
        case .slugs:
            return list(name, required: required) { reader in reader.slugs(name) }
        case .texts(let length):
            return list(name, required: required) { reader in
                reader.strings(name) { text in ObjectReader.lengthProblem(text, length) }
            }
        case .medications:
            guard isPresent(name) else { return nil }
            return .medications(medications(name))
        }
    }

    /// A list member; nil when absent, or when it failed (its items report their own pointers).
    private mutating func list(
        _ name: String, required: Bool, _ read: (inout ObjectReader) -> [String]
    ) -> FieldValue? {
        guard isPresent(name) else {
            if required { fail(name, "is required") }
            return nil
        }
        let before = errors.failures.count
        let strings = read(&self)
        return errors.failures.count == before ? .list(strings) : nil
    }

    /// The medications of an episode, each an object of its own with its own pointer.
    private mutating func medications(_ name: String) -> [Medication] {
        guard let elements = array(name, maximumCount: Medication.maximumCount) else { return [] }
        var medications: [Medication] = []
        medications.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            let itemPointer = pointer(name).appending(index)
            guard case .object(let object) = element else {
                errors.add(itemPointer, "must be an object")
                continue
            }
            var item = ObjectReader(object, at: itemPointer, known: Medication.known, errors: errors)
            let medicationName = item.string("name", required: true, length: 1...100, notBlank: true)
            let medicationClass = item.slug("class")
            let doseMg = item.positiveNumber("doseMg")
            let takenAt = item.timestamp("takenAt")
            let effective = item.bool("effective")
            errors = item.errors
            if let medicationName {
                medications.append(
                    Medication(
                        name: medicationName, medicationClass: medicationClass, doseMg: doseMg, takenAt: takenAt,
                        effective: effective))
            }
        }
        return medications
    }
}

extension TextFormat {
    /// What is wrong with `text` for this format, or nil.
    func problem(_ text: String) -> String? {
        switch self {
        case .plain:
            nil
        case .timeZone:
            TimeZoneName.isValid(text) ? nil : "must be an IANA time zone name such as Europe/Berlin or UTC"
        case .email:
            Contact.isPlausibleEmail(text)
                ? nil : "must be an email address: one '@' with text on both sides and no spaces"
        case .phone:
            Contact.isPlausiblePhone(text) ? nil : "must be a phone number: digits, spaces and + - ( ) only"
        }
    }
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
