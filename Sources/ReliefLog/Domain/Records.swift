import JSON

// The records of the contract (API.md "Resources"). Each resource is its server-managed part
// (`id`, `createdAt`, `updatedAt`) around a `Fields` value: what a request may set, as
// validation produces it and as the repositories store it. Members of `Fields` can be read
// on the resource directly (`episode.intensity`).
//
// Instants are epoch milliseconds (see `Timestamp`); `json` renders them as RFC 3339 UTC.
// Rendering lists every field of the contract, absent optionals as `null` and lists as
// arrays (empty when there are none), in the order the contract lists them.

// MARK: - Patient

struct Patient: Record {
    var id: Int64
    var fields: Fields
    var createdAt: Int64
    var updatedAt: Int64

    struct Fields: Sendable, Hashable {
        var displayName: String
        /// An IANA name; it defines the patient's calendar days.
        var timezone: String = "UTC"
        var birthYear: Int?
        var externalId: String?
        var notes: String?
    }
}

extension Patient.Fields: RecordFields {
    func appendMembers(to object: inout JSONObject) {
        object.append("displayName", .string(displayName))
        object.append("timezone", .string(timezone))
        object.append("birthYear", JSONValue(birthYear))
        object.append("externalId", JSONValue(externalId))
        object.append("notes", JSONValue(notes))
    }
}

// MARK: - Therapist

struct Therapist: Record {
    var id: Int64
    var fields: Fields
    var createdAt: Int64
    var updatedAt: Int64

    struct Fields: Sendable, Hashable {
        var name: String
        var licenseNumber: String
        /// For example `US-CA`; one license number per jurisdiction.
        var licenseJurisdiction: String?
        var certifications: [String] = []
        var yearsExperience: Int?
        var migraineExperience: Bool = false
        var techniques: [String] = []
        var email: String?
        var phone: String?
        var active: Bool = true
        var externalId: String?
    }
}

extension Therapist.Fields: RecordFields {
    func appendMembers(to object: inout JSONObject) {
        object.append("name", .string(name))
        object.append("licenseNumber", .string(licenseNumber))
        object.append("licenseJurisdiction", JSONValue(licenseJurisdiction))
        object.append("certifications", stringArray(certifications))
        object.append("yearsExperience", JSONValue(yearsExperience))
        object.append("migraineExperience", .bool(migraineExperience))
        object.append("techniques", stringArray(techniques))
        object.append("email", JSONValue(email))
        object.append("phone", JSONValue(phone))
        object.append("active", .bool(active))
        object.append("externalId", JSONValue(externalId))
    }
}

// MARK: - Episode

/// A migraine diary entry.
struct Episode: Record {
    var id: Int64
    var fields: Fields
    var createdAt: Int64
    var updatedAt: Int64

    struct Fields: Sendable, Hashable {
        var patientId: Int64
        var startedAt: Int64
        /// `nil` while the episode is ongoing.
        var endedAt: Int64?
        /// Peak pain on the 0–10 numeric rating scale.
        var intensity: Int
        var aura: Bool = false
        var symptoms: [String] = []
        var locations: [String] = []
        var triggers: [String] = []
        var medications: [Medication] = []
        var reliefMeasures: [String] = []
        var stressLevel: Int?
        /// One of `Vocabulary.disabilities`.
        var disability: String?
        var notes: String?
        var externalId: String?
    }
}

extension Episode.Fields: RecordFields {
    func appendMembers(to object: inout JSONObject) {
        object.append("patientId", .number(.integer(patientId)))
        object.append("startedAt", .string(Timestamp.format(startedAt)))
        object.append("endedAt", endedAt.map { .string(Timestamp.format($0)) } ?? .null)
        object.append("intensity", JSONValue(intensity))
        object.append("aura", .bool(aura))
        object.append("symptoms", stringArray(symptoms))
        object.append("locations", stringArray(locations))
        object.append("triggers", stringArray(triggers))
        object.append("medications", .array(medications.map(\.json)))
        object.append("reliefMeasures", stringArray(reliefMeasures))
        object.append("stressLevel", JSONValue(stressLevel))
        object.append("disability", JSONValue(disability))
        object.append("notes", JSONValue(notes))
        object.append("externalId", JSONValue(externalId))
    }
}

/// One medication taken during an episode.
struct Medication: Sendable, Hashable {
    /// 1–100 characters.
    var name: String
    /// A slug; known classes are `Vocabulary.medicationClasses`. `class` in JSON.
    var medicationClass: String?
    /// Greater than zero.
    var doseMg: Double?
    var takenAt: Int64?
    var effective: Bool?

    var json: JSONValue {
        var object = JSONObject()
        object.reserveCapacity(5)
        object.append("name", .string(name))
        object.append("class", JSONValue(medicationClass))
        object.append("doseMg", doseMg.map(Medication.number) ?? .null)
        object.append("takenAt", takenAt.map { .string(Timestamp.format($0)) } ?? .null)
        object.append("effective", JSONValue(effective))
        return .object(object)
    }

    /// A dose as JSON: whole numbers without a fraction (`50`, not `50.0`), as clients send them.
    static func number(_ value: Double) -> JSONValue {
        if value.rounded() == value, abs(value) < 9e15 { return .number(.integer(Int64(value))) }
        return .number(.double(value))
    }
}

// MARK: - Massage session

/// A massage session, given by a therapist (`professional`) or by the patient (`self`).
struct MassageSession: Record {
    var id: Int64
    var fields: Fields
    var createdAt: Int64
    var updatedAt: Int64

    enum Kind: String, Sendable, Hashable {
        case professional
        case `self`
    }

    struct Fields: Sendable, Hashable {
        var patientId: Int64
        /// Present exactly when `kind` is `.professional`.
        var therapistId: Int64?
        var kind: Kind
        var startedAt: Int64
        /// 1–240.
        var durationMinutes: Int
        /// At least one.
        var techniques: [String]
        var areas: [String] = []
        /// One of `Vocabulary.pressures`.
        var pressure: String?
        var triggerPointsReleased: Int?
        var essentialOils: [String] = []
        var warmCompress: Bool = false
        var breathingExercise: Bool = false
        var painBefore: Int?
        var painAfter: Int?
        var stressBefore: Int?
        var stressAfter: Int?
        var notes: String?
        var externalId: String?
    }
}

extension MassageSession.Fields: RecordFields {
    func appendMembers(to object: inout JSONObject) {
        object.append("patientId", .number(.integer(patientId)))
        object.append("therapistId", JSONValue(therapistId))
        object.append("kind", .string(kind.rawValue))
        object.append("startedAt", .string(Timestamp.format(startedAt)))
        object.append("durationMinutes", JSONValue(durationMinutes))
        object.append("techniques", stringArray(techniques))
        object.append("areas", stringArray(areas))
        object.append("pressure", JSONValue(pressure))
        object.append("triggerPointsReleased", JSONValue(triggerPointsReleased))
        object.append("essentialOils", stringArray(essentialOils))
        object.append("warmCompress", .bool(warmCompress))
        object.append("breathingExercise", .bool(breathingExercise))
        object.append("painBefore", JSONValue(painBefore))
        object.append("painAfter", JSONValue(painAfter))
        object.append("stressBefore", JSONValue(stressBefore))
        object.append("stressAfter", JSONValue(stressAfter))
        object.append("notes", JSONValue(notes))
        object.append("externalId", JSONValue(externalId))
    }
}

// MARK: - Rendering helpers

/// The request-settable part of a resource.
protocol RecordFields: Sendable, Hashable {
    /// Appends every member, in the contract's order.
    func appendMembers(to object: inout JSONObject)
}

extension RecordFields {
    /// The request-settable members only: the base a merge patch (RFC 7386) applies to.
    var json: JSONObject {
        var object = JSONObject()
        object.reserveCapacity(24)
        appendMembers(to: &object)
        return object
    }
}

/// A stored resource: the server-managed members around its `Fields`, whose members read
/// as the resource's own (`episode.intensity`).
@dynamicMemberLookup
protocol Record: Sendable, Hashable {
    associatedtype Fields: RecordFields
    var id: Int64 { get }
    var fields: Fields { get set }
    var createdAt: Int64 { get }
    var updatedAt: Int64 { get }
}

extension Record {
    subscript<T>(dynamicMember keyPath: WritableKeyPath<Fields, T>) -> T {
        get { fields[keyPath: keyPath] }
        set { fields[keyPath: keyPath] = newValue }
    }

    /// The response body: `id`, the fields, then `createdAt` and `updatedAt`.
    var json: JSONValue {
        var object = JSONObject()
        object.reserveCapacity(24)
        object.append("id", .number(.integer(id)))
        fields.appendMembers(to: &object)
        object.append("createdAt", .string(Timestamp.format(createdAt)))
        object.append("updatedAt", .string(Timestamp.format(updatedAt)))
        return .object(object)
    }
}

func stringArray(_ strings: [String]) -> JSONValue {
    .array(strings.map(JSONValue.string))
}
