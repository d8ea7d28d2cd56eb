import JSON

extension TokenGrant {
    static let known: Set<String> = ["role", "patientId", "therapistId", "label", "expiresAt"]

    /// Validates a `POST /v1/tokens` body (every failing field listed at once).
    init(validating body: JSONObject, now: Int64) throws(ValidationError) {
        var reader = ObjectReader(body, known: Self.known)
        let role = reader.oneOf("role", required: true, Role.allCases.map(\.rawValue)).flatMap(Role.init(rawValue:))
        let patientId = reader.id("patientId")
        let therapistId = reader.id("therapistId")
        let label = reader.string("label", length: 1...100, notBlank: true)
        let expiresAt = reader.timestamp("expiresAt")
        if let expiresAt, expiresAt <= now { reader.fail("expiresAt", "must be in the future") }
        switch role {
        case .patient?:
            if patientId == nil, body["patientId"]?.isNull ?? true {
                reader.fail("patientId", "is required for a patient token")
            }
            if therapistId != nil { reader.fail("therapistId", "must be null for a patient token") }
        case .clinician?:
            if therapistId == nil, body["therapistId"]?.isNull ?? true {
                reader.fail("therapistId", "is required for a clinician token")
            }
            if patientId != nil { reader.fail("patientId", "must be null for a clinician token") }
        case .admin?:
            if patientId != nil { reader.fail("patientId", "must be null for an admin token") }
            if therapistId != nil { reader.fail("therapistId", "must be null for an admin token") }
        case nil:
            break
        }
        try reader.errors.throwIfAny()
        guard let role else { preconditionFailure("a required field without an error") }
        self.init(role: role, patientId: patientId, therapistId: therapistId, label: label, expiresAt: expiresAt)
    }
}
