public import SQLite

/// Why a token could not be issued outside HTTP.
public enum TokenIssuingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The role and the bindings do not fit: an admin token is bound to nothing, a patient
    /// token to a patient alone, a clinician token to a therapist alone.
    case bindingDoesNotFitRole(Role)
    case labelLength
    case expiryNotInFuture
    case noSuchPatient(Int64)
    case noSuchTherapist(Int64)
    /// The database refused the write.
    case storage(String)

    public var description: String {
        switch self {
        case .bindingDoesNotFitRole(.admin): "an admin token is bound to no patient or therapist"
        case .bindingDoesNotFitRole(.patient): "a patient token needs a patient id (and no therapist)"
        case .bindingDoesNotFitRole(.clinician): "a clinician token needs a therapist id (and no patient)"
        case .labelLength: "a label has 1 to 100 characters"
        case .expiryNotInFuture: "the expiry must be in the future"
        case .noSuchPatient(let id): "no patient with id \(id)"
        case .noSuchTherapist(let id): "no therapist with id \(id)"
        case .storage(let reason): "cannot store the token: \(reason)"
        }
    }
}

/// Issues bearer tokens outside HTTP: `relieflog token create`, the first `serve`, and tests.
public enum TokenIssuing {
    /// A new token for `role`, bound to a patient or therapist as the role needs; the token
    /// text is returned once and stored only as a digest.
    public static func create(
        in database: DatabasePool, role: Role, patientId: Int64? = nil, therapistId: Int64? = nil,
        label: String? = nil, expiresAt: Int64? = nil, now: Int64
    ) throws(TokenIssuingError) -> String {
        switch role {
        case .admin where patientId != nil || therapistId != nil,
            .patient where patientId == nil || therapistId != nil,
            .clinician where therapistId == nil || patientId != nil:
            throw .bindingDoesNotFitRole(role)
        default:
            break
        }
        if let label, !(1...100).contains(label.unicodeScalars.count) { throw .labelLength }
        if let expiresAt, expiresAt <= now { throw .expiryNotInFuture }
        let grant = TokenGrant(
            role: role, patientId: patientId, therapistId: therapistId, label: label, expiresAt: expiresAt)
        do {
            return try database.writeSync { connection in try TokenRepository(connection).insert(grant, now: now).token
            }
        } catch RecordsError.missingReference(let field) {
            if field == "patientId" { throw .noSuchPatient(patientId ?? 0) }
            throw .noSuchTherapist(therapistId ?? 0)
        } catch {
            throw .storage("\(error)")
        }
    }

    /// An RFC 3339 timestamp with an offset as epoch milliseconds (for `--expires`).
    public static func instant(fromTimestamp text: String) -> Int64? { Timestamp.parse(text) }

    /// On a database without any token, creates the first admin token and returns it (to be
    /// shown once); nil when tokens exist. The check and the insert are one transaction, so
    /// two servers starting at once cannot both create one.
    public static func bootstrapAdminIfNeeded(
        in database: DatabasePool, now: Int64
    ) throws(TokenIssuingError) -> String? {
        do {
            return try database.writeSync { connection -> String? in
                let tokens = TokenRepository(connection)
                guard try tokens.count() == 0 else { return nil }
                let grant = TokenGrant(role: .admin, label: "bootstrap")
                return try tokens.insert(grant, now: now).token
            }
        } catch {
            throw .storage("\(error)")
        }
    }
}
