/// The kinds of record the service keeps.
enum ResourceKind: String, Sendable, Hashable, CaseIterable {
    case patient
    case therapist
    case episode
    case session
}

/// One committed create, change or delete of a record, as the work after a commit sees it
/// (analytics versions, the token cache, and events).
struct RecordChange: Sendable, Hashable {
    enum Action: String, Sendable, Hashable {
        case created
        case updated
        case deleted
    }

    var resource: ResourceKind
    var action: Action
    var id: Int64
    /// The patients whose data changed: the record's patient, before and after for a change
    /// that moved it; empty for therapists.
    var patients: [Int64]
    /// The created record's body as `GET` renders it, when the create already rendered it for its
    /// response: the change event takes it instead of reading the row back. Its owner is
    /// `patients.first`.
    var rendered: [UInt8]? = nil
}
