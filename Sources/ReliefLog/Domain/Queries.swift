// The filters and paging of each list (API.md "Lists, paging, filters"), as the API parses
// them from the query string and storage answers them.

/// Filters and paging of `GET /v1/patients` (ordered by id ascending).
struct PatientQuery: Sendable, Hashable {
    /// Only this patient (a patient token's list holds its own record alone).
    var onlyId: Int64?
    /// Rows created or changed at or after this instant.
    var updatedSince: Int64?
    /// The record with this `externalId` (exact match).
    var externalId: String?
    var limit: Int = PageLimit.default
    var cursor: String?
}

/// Filters and paging of `GET /v1/therapists` (ordered by id ascending).
struct TherapistQuery: Sendable, Hashable {
    /// Therapists listing this technique slug.
    var technique: String?
    var migraineExperience: Bool?
    var active: Bool?
    var updatedSince: Int64?
    /// The record with this `externalId` (exact match).
    var externalId: String?
    var limit: Int = PageLimit.default
    var cursor: String?
}

/// Filters and paging of `GET /v1/episodes` (ordered by startedAt, then id, descending).
struct EpisodeQuery: Sendable, Hashable {
    var patientId: Int64?
    /// `startedAt` at or after (API.md: `from` is inclusive).
    var from: Int64?
    /// `startedAt` before (API.md: `to` is exclusive).
    var to: Int64?
    var minIntensity: Int?
    /// Episodes listing this trigger slug.
    var trigger: String?
    var updatedSince: Int64?
    /// The record with this `externalId` (exact match).
    var externalId: String?
    var limit: Int = PageLimit.default
    var cursor: String?
}

/// Filters and paging of `GET /v1/sessions` (ordered by startedAt, then id, descending).
struct SessionQuery: Sendable, Hashable {
    var patientId: Int64?
    var therapistId: Int64?
    /// Sessions listing this technique slug.
    var technique: String?
    var kind: MassageSession.Kind?
    /// `startedAt` at or after (inclusive).
    var from: Int64?
    /// `startedAt` before (exclusive).
    var to: Int64?
    var updatedSince: Int64?
    /// The record with this `externalId` (exact match).
    var externalId: String?
    var limit: Int = PageLimit.default
    var cursor: String?
}
