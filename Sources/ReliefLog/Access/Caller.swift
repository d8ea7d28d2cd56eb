/// The roles of API.md "Authentication and roles".
public enum Role: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Everything, including tokens and the audit log.
    case admin
    /// Bound to a therapist: reads every patient's records and analytics, records and changes
    /// its own therapist's sessions.
    case clinician
    /// Bound to a patient: that patient's diary, sessions, record and analytics, and the
    /// therapist list; nothing of anyone else.
    case patient

    public static func < (lhs: Role, rhs: Role) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// Who is calling: an authenticated token, its role and what the role is bound to.
public struct Caller: Sendable, Hashable {
    public let tokenId: Int64
    public let role: Role
    /// The patient a `patient` token is bound to; nil for the other roles.
    public let patientId: Int64?
    /// The therapist a `clinician` token acts for; nil for the other roles.
    public let therapistId: Int64?

    public init(tokenId: Int64, role: Role, patientId: Int64? = nil, therapistId: Int64? = nil) {
        self.tokenId = tokenId
        self.role = role
        self.patientId = patientId
        self.therapistId = therapistId
    }

    /// The only patient whose data this caller may see, or nil when it may see every patient's.
    var reachablePatient: Int64? { role == .patient ? patientId : nil }

    /// Whether this caller may see the data of `patientId`.
    func reaches(patient patientId: Int64) -> Bool {
        reachablePatient.map { $0 == patientId } ?? true
    }
}
