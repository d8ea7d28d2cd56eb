import HTTP
import JSON

/// What the record routes need of each resource besides its storage: its names, its list's
/// query parameters and who may do what. One generic set of handlers (`RecordHandlers`) serves
/// all four resources.
protocol RecordResource: StoredRecord {
    /// The collection's path segment: `/v1/<collection>`.
    static var collection: String { get }
    /// The schema name and the singular of operation ids (`Patient` → `createPatient`).
    static var schemaName: String { get }
    /// The plural for operation ids (`listPatients`).
    static var pluralName: String { get }

    /// The list query from the query string; errors are collected in `parameters`.
    static func query(_ parameters: inout QueryParameters) -> Query
    /// The list's filters as the OpenAPI document describes them (besides paging).
    static var filters: [ParameterSpec] { get }

    // MARK: Access (API.md "Authentication and roles")

    /// The roles admitted to each operation on this resource.
    static var access: RecordAccess { get }
    /// Narrows a list to one patient's records; `notFound` when the query asks for another's.
    static func scope(_ query: inout Query, toPatient patientId: Int64) throws(RecordsError)
    /// The patient a list query names, for the audit log.
    static func patientFilter(of query: Query) -> Int64?
    /// Whether a clinician acting for `therapistId` may create or keep a record with these
    /// fields (only sessions of their own).
    static func clinician(_ therapistId: Int64, mayWrite fields: Fields) -> Bool
}

/// The roles admitted to each operation on a resource.
struct RecordAccess {
    var create: Set<Role>
    var list: Set<Role>
    var read: Set<Role>
    var update: Set<Role>
    var delete: Set<Role>
}

/// A list query with a `patientId` filter (episodes, sessions).
protocol PatientFilteredQuery {
    var patientId: Int64? { get set }
}

extension EpisodeQuery: PatientFilteredQuery {}
extension SessionQuery: PatientFilteredQuery {}

extension RecordResource where Query: PatientFilteredQuery {
    static func scope(_ query: inout Query, toPatient patientId: Int64) throws(RecordsError) {
        if let asked = query.patientId, asked != patientId { throw .notFound }
        query.patientId = patientId
    }
    static func patientFilter(of query: Query) -> Int64? { query.patientId }
}

extension RecordResource {
    static func clinician(_ therapistId: Int64, mayWrite fields: Fields) -> Bool { false }
    /// `/v1/<collection>`.
    static var collectionPath: String { "/v1/\(collection)" }
    /// Whether these records are patient data (audited, scoped to a patient token's patient).
    static var isPatientData: Bool { resource != .therapist }
    /// Whether a create body names its patient (`patientId`), which a patient token implies.
    static var impliesPatientId: Bool { Fields.recordDescription.fields.contains(where: \.impliedForPatientTokens) }
}

extension Patient: RecordResource {
    static let collection = "patients"
    static let schemaName = "Patient"
    static let pluralName = "Patients"

    static func query(_ parameters: inout QueryParameters) -> PatientQuery {
        let paging = parameters.paging()
        return PatientQuery(
            updatedSince: paging.updatedSince, externalId: paging.externalId, limit: paging.limit, cursor: paging.cursor
        )
    }
    static let filters: [ParameterSpec] = []

    static let access = RecordAccess(
        create: [.admin], list: [.admin, .clinician, .patient], read: [.admin, .clinician, .patient],
        update: [.admin], delete: [.admin])
    static func scope(_ query: inout PatientQuery, toPatient patientId: Int64) throws(RecordsError) {
        query.onlyId = patientId
    }
    static func patientFilter(of query: PatientQuery) -> Int64? { query.onlyId }
}

extension Therapist: RecordResource {
    static let collection = "therapists"
    static let schemaName = "Therapist"
    static let pluralName = "Therapists"

    static func query(_ parameters: inout QueryParameters) -> TherapistQuery {
        let paging = parameters.paging()
        return TherapistQuery(
            technique: parameters.slug("technique"), migraineExperience: parameters.bool("migraineExperience"),
            active: parameters.bool("active"), updatedSince: paging.updatedSince, externalId: paging.externalId,
            limit: paging.limit,
            cursor: paging.cursor)
    }
    static let filters: [ParameterSpec] = [
        .query("technique", "Therapists listing this technique slug.", OpenAPI.slugSchema),
        .query(
            "migraineExperience", "Therapists with (true) or without (false) migraine experience.", ["type": "boolean"]),
        .query("active", "Active (true) or inactive (false) therapists.", ["type": "boolean"]),
    ]

    static let access = RecordAccess(
        create: [.admin], list: [.admin, .clinician, .patient], read: [.admin, .clinician, .patient],
        update: [.admin], delete: [.admin])
    static func scope(_ query: inout TherapistQuery, toPatient patientId: Int64) throws(RecordsError) {}
    static func patientFilter(of query: TherapistQuery) -> Int64? { nil }
}

extension Episode: RecordResource {
    static let collection = "episodes"
    static let schemaName = "Episode"
    static let pluralName = "Episodes"

    static func query(_ parameters: inout QueryParameters) -> EpisodeQuery {
        let paging = parameters.paging()
        return EpisodeQuery(
            patientId: parameters.id("patientId"), from: parameters.dateOrTimestamp("from"),
            to: parameters.dateOrTimestamp("to"), minIntensity: parameters.int("minIntensity", 0...10),
            trigger: parameters.slug("trigger"), updatedSince: paging.updatedSince, externalId: paging.externalId,
            limit: paging.limit,
            cursor: paging.cursor)
    }
    static let filters: [ParameterSpec] = [
        .query("patientId", "Episodes of this patient.", OpenAPI.idSchema),
        .query(
            "from", "Episodes starting at or after this date (midnight UTC) or timestamp.",
            OpenAPI.dateOrTimestampSchema),
        .query("to", "Episodes starting before this date (midnight UTC) or timestamp.", OpenAPI.dateOrTimestampSchema),
        .query("minIntensity", "Episodes at least this intense.", ["type": "integer", "minimum": 0, "maximum": 10]),
        .query("trigger", "Episodes listing this trigger slug.", OpenAPI.slugSchema),
    ]

    static let access = RecordAccess(
        create: [.admin, .patient], list: [.admin, .clinician, .patient], read: [.admin, .clinician, .patient],
        update: [.admin, .patient], delete: [.admin, .patient])
}

extension MassageSession: RecordResource {
    static let collection = "sessions"
    static let schemaName = "Session"
    static let pluralName = "Sessions"

    static func query(_ parameters: inout QueryParameters) -> SessionQuery {
        let paging = parameters.paging()
        return SessionQuery(
            patientId: parameters.id("patientId"), therapistId: parameters.id("therapistId"),
            technique: parameters.slug("technique"),
            kind: parameters.oneOf("kind", Vocabulary.sessionKinds).flatMap(Kind.init(rawValue:)),
            from: parameters.dateOrTimestamp("from"), to: parameters.dateOrTimestamp("to"),
            updatedSince: paging.updatedSince, externalId: paging.externalId, limit: paging.limit, cursor: paging.cursor
        )
    }
    static let filters: [ParameterSpec] = [
        .query("patientId", "Sessions of this patient.", OpenAPI.idSchema),
        .query("therapistId", "Sessions given by this therapist.", OpenAPI.idSchema),
        .query("technique", "Sessions listing this technique slug.", OpenAPI.slugSchema),
        .query(
            "kind", "Professional or self-massage sessions.", ["type": "string", "enum": ["professional", "self"]]),
        .query(
            "from", "Sessions starting at or after this date (midnight UTC) or timestamp.",
            OpenAPI.dateOrTimestampSchema),
        .query("to", "Sessions starting before this date (midnight UTC) or timestamp.", OpenAPI.dateOrTimestampSchema),
    ]

    static let access = RecordAccess(
        create: [.admin, .clinician, .patient], list: [.admin, .clinician, .patient],
        read: [.admin, .clinician, .patient], update: [.admin, .clinician, .patient],
        delete: [.admin, .clinician, .patient])
    static func clinician(_ therapistId: Int64, mayWrite fields: Fields) -> Bool {
        fields.therapistId == therapistId
    }
}

extension ParameterSpec {
    static func query(_ name: String, _ description: String, _ schema: JSONValue) -> ParameterSpec {
        ParameterSpec(name: name, location: .query, required: false, description: description, schema: schema)
    }
}

extension Caller {
    /// Whether this caller may see `record` (a patient token sees its own patient's only).
    func reaches<R: RecordResource>(_ record: R) -> Bool {
        reaches(owner: record.ownerPatientId)
    }

    /// Whether this caller may see a record owned by `owner` (nil: nobody's, such as a therapist).
    func reaches(owner: Int64?) -> Bool {
        owner.map(reaches(patient:)) ?? true
    }
}
