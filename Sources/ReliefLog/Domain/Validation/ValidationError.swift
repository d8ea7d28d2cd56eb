import JSON

/// A request body that breaks the contract's rules: every failing member, each named by its
/// JSON Pointer (RFC 6901), so a client fixes them all at once. The API answers it with 422.
struct ValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// One failing member and what is wrong with it.
    struct Failure: Sendable, Hashable {
        /// A JSON Pointer into the body: `/intensity`, `/medications/0/name`.
        var field: String
        var message: String
    }

    var failures: [Failure]

    var description: String { failures.map { "\($0.field): \($0.message)" }.joined(separator: "; ") }

    /// One failure at `pointer`.
    static func single(_ pointer: JSONPointer, _ message: String) -> ValidationError {
        ValidationError(failures: [Failure(field: pointer.description, message: message)])
    }
}

/// Collects every failing member of a body, so one error lists them all.
struct FieldErrors: Sendable {
    private(set) var failures: [ValidationError.Failure] = []
    private var pointers: Set<String> = []

    var isEmpty: Bool { failures.isEmpty }

    mutating func add(_ pointer: JSONPointer, _ message: String) {
        let field = pointer.description
        failures.append(ValidationError.Failure(field: field, message: message))
        pointers.insert(field)
    }

    /// Whether a failure was recorded at exactly `pointer`.
    func contains(_ pointer: JSONPointer) -> Bool { pointers.contains(pointer.description) }

    /// Orders the failures by the position of their top-level member in `order` (members not
    /// in it, such as unknown ones, first), keeping the order of failures within a member.
    mutating func sort(by order: [String: Int]) {
        let ranked = failures.enumerated().map { index, failure -> (Int, Int, ValidationError.Failure) in
            let member = (try? JSONPointer(parsing: failure.field))?.tokens.first
            let rank = member.flatMap { order[$0] } ?? -1
            return (rank, index, failure)
        }
        failures = ranked.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
    }

    /// Throws every collected failure; does nothing when there are none.
    func throwIfAny() throws(ValidationError) {
        guard !failures.isEmpty else { return }
        throw ValidationError(failures: failures)
    }
}
