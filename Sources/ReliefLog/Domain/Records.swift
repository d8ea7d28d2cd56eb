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
        var displayName = ""
        /// An IANA name; it defines the patient's calendar days.
        var timezone: String = "UTC"
        var birthYear: Int?
        var externalId: String?
        var notes: String?
    }
}

// MARK: - Therapist

struct Therapist: Record {
    var id: Int64
    var fields: Fields
    var createdAt: Int64
    var updatedAt: Int64

    struct Fields: Sendable, Hashable {
        var name = ""
        var licenseNumber = ""
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

// MARK: - Episode

/// A migraine diary entry.
struct Episode: Record {
    var id: Int64
    var fields: Fields
    var createdAt: Int64
    var updatedAt: Int64

    struct Fields: Sendable, Hashable {
        var patientId: Int64 = 0
        var startedAt: Int64 = 0
        /// `nil` while the episode is ongoing.
        var endedAt: Int64?
        /// Peak pain on the 0–10 numeric rating scale.
        var intensity = 0
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

/// One medication taken during an episode.
struct Medication: Sendable, Hashable {
    /// The members of a medication object.
    static let known: Set<String> = ["name", "class", "doseMg", "takenAt", "effective"]
    /// How many medications one episode may list.
    static let maximumCount = 50

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

    enum Kind: String, Sendable, Hashable, FieldValueConvertible {
        case professional
        case `self`
    }

    struct Fields: Sendable, Hashable {
        var patientId: Int64 = 0
        /// Present exactly when `kind` is `.professional`.
        var therapistId: Int64?
        var kind: Kind = .professional
        var startedAt: Int64 = 0
        /// 1–240.
        var durationMinutes = 1
        /// At least one.
        var techniques: [String] = []
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
        /// Server-managed: who entered the session (a patient token, or the clinic's tokens).
        var recordedBy: Recorder = .clinic
    }

    /// Who entered a session: clinic-wide statistics count only what the clinic recorded.
    enum Recorder: String, Sendable, Hashable, FieldValueConvertible {
        case patient
        case clinic
    }
}

extension MassageSession.Fields {
    mutating func recordCreation(byPatient: Bool) { recordedBy = byPatient ? .patient : .clinic }
}

// MARK: - Records in general

/// The request-settable part of a resource: what validation produces and storage keeps. The
/// blank value (`init()`) only seeds validation and decoding, which set every field.
protocol RecordFields: Sendable, Hashable {
    init()
    /// Corrects derived fields and records the failures of rules that relate fields, after
    /// every field was read (`Domain/Validation/RecordRules.swift`).
    mutating func applyRules(_ reader: inout ObjectReader, now: Int64)
    /// The fields, described once: validation, rendering, the API schema and storage derive from it.
    static var recordDescription: RecordDescription<Self> { get }
    /// Sets the server-managed fields of a new record from who creates it (`byPatient`: a patient token).
    mutating func recordCreation(byPatient: Bool)
}

extension RecordFields {
    mutating func recordCreation(byPatient: Bool) {}
}

extension RecordFields {
    /// The request-settable members only: the base a merge patch (RFC 7386) applies to.
    var json: JSONObject {
        var object = JSONObject()
        object.reserveCapacity(Self.recordDescription.fields.count)
        Self.recordDescription.appendMembers(of: self, to: &object)
        return object
    }
}

/// A stored resource: the server-managed members around its `Fields`, whose members read
/// as the resource's own (`episode.intensity`).
@dynamicMemberLookup
protocol Record: Sendable, Hashable {
    associatedtype Fields: RecordFields
    init(id: Int64, fields: Fields, createdAt: Int64, updatedAt: Int64)
    var id: Int64 { get }
    var fields: Fields { get set }
    var createdAt: Int64 { get }
    var updatedAt: Int64 { get }
    /// The patient whose data this record is; nil for records that are nobody's (therapists).
    var ownerPatientId: Int64? { get }
}

extension Record {
    subscript<T>(dynamicMember keyPath: WritableKeyPath<Fields, T>) -> T {
        get { fields[keyPath: keyPath] }
        set { fields[keyPath: keyPath] = newValue }
    }

    static var resource: ResourceKind { Fields.recordDescription.resource }

    /// The response body: `id`, the fields, the server-managed fields, then `createdAt` and `updatedAt`.
    var json: JSONValue {
        var object = JSONObject()
        object.reserveCapacity(Fields.recordDescription.stored.count + 3)
        object.append("id", .number(.integer(id)))
        Fields.recordDescription.appendMembers(of: fields, to: &object)
        Fields.recordDescription.appendManagedMembers(of: fields, to: &object)
        object.append("createdAt", .string(Timestamp.format(createdAt)))
        object.append("updatedAt", .string(Timestamp.format(updatedAt)))
        return .object(object)
    }
}

extension Patient {
    var ownerPatientId: Int64? { id }
}

extension Therapist {
    var ownerPatientId: Int64? { nil }
}

extension Episode {
    var ownerPatientId: Int64? { fields.patientId }
}

extension MassageSession {
    var ownerPatientId: Int64? { fields.patientId }
}
