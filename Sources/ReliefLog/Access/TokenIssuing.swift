public import SQLite

/// Issues bearer tokens outside HTTP: `relieflog token create`, the first `serve`, and tests.
public enum TokenIssuing {
    /// A new token for `role`, bound to a patient or therapist as the role needs; the token
    /// text is returned once and stored only as a digest.
    public static func create(
        in database: DatabasePool, role: Role, patientId: Int64? = nil, therapistId: Int64? = nil,
        label: String? = nil, expiresAt: Int64? = nil, now: Int64
    ) throws(StartupError) -> String {
        switch role {
        case .admin where patientId != nil || therapistId != nil:
            throw StartupError("an admin token is bound to no patient or therapist")
        case .patient where patientId == nil || therapistId != nil:
            throw StartupError("a patient token needs --patient ID (and no --therapist)")
        case .clinician where therapistId == nil || patientId != nil:
            throw StartupError("a clinician token needs --therapist ID (and no --patient)")
        default:
            break
        }
        if let label, !(1...100).contains(label.unicodeScalars.count) {
            throw StartupError("a label has 1 to 100 characters")
        }
        if let expiresAt, expiresAt <= now { throw StartupError("the expiry must be in the future") }
        let grant = TokenGrant(role: role, patientId: patientId, therapistId: therapistId, label: label, expiresAt: expiresAt)
        do {
            return try database.writeSync { connection in try TokenRepository(connection).insert(grant, now: now).token }
        } catch RecordsError.missingReference(let field) {
            throw StartupError("no \(field == "patientId" ? "patient" : "therapist") with id \((field == "patientId" ? patientId : therapistId) ?? 0)")
        } catch {
            throw StartupError("cannot create the token: \(error)")
        }
    }

    /// An RFC 3339 timestamp with an offset as epoch milliseconds (for `--expires`).
    public static func instant(fromTimestamp text: String) -> Int64? { Timestamp.parse(text) }

    /// On a database without any token, creates the first admin token and returns it (to be
    /// shown once); nil when tokens exist. The check and the insert are one transaction, so
    /// two servers starting at once cannot both create one.
    public static func bootstrapAdminIfNeeded(in database: DatabasePool, now: Int64) throws(StartupError) -> String? {
        do {
            return try database.writeSync { connection -> String? in
                let tokens = TokenRepository(connection)
                guard try tokens.count() == 0 else { return nil }
                let grant = TokenGrant(role: .admin, label: "bootstrap")
                return try tokens.insert(grant, now: now).token
            }
        } catch {
            throw StartupError("cannot create the first admin token: \(error)")
        }
    }
}
