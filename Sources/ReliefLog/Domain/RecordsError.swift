/// Why a repository refused a request, in domain terms; the route layer maps these to
/// statuses (`notFound` → 404, `conflict` → 409, `missingReference` → 422 at the field,
/// `invalidCursor` → 400, `storedDataInvalid` → 500).
enum RecordsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No record with that id.
    case notFound
    /// The change conflicts with stored data: a uniqueness rule (`field` names the request
    /// field, `externalId` or `licenseNumber`), or a therapist that still has sessions
    /// (`field` is `nil`).
    case conflict(field: String?, message: String)
    /// `field` (`patientId`, `therapistId`) names a record that does not exist.
    case missingReference(field: String)
    /// The paging cursor was not made by this list (or was altered).
    case invalidCursor
    /// A stored row could not be read back (for example a list column that is not a JSON
    /// array of strings): a bug or a manual edit, never the client's fault.
    case storedDataInvalid(table: String, id: Int64, column: String)

    var description: String {
        switch self {
        case .notFound: "no such record"
        case .conflict(let field, let message): field.map { "\($0): \(message)" } ?? message
        case .missingReference(let field): "\(field) names no existing record"
        case .invalidCursor: "the cursor is not valid for this list"
        case .storedDataInvalid(let table, let id, let column): "\(table) row \(id) has an unreadable \(column)"
        }
    }
}
