import HTTP
import Logging
import SQLite
import Synchronization
import ThreadSupport

/// What an API handler receives besides the request: the route's context, the authenticated
/// caller, and the request's audit note.
struct APIContext: Sendable {
    let base: RequestContext
    /// The authenticated caller; nil only on `.anyone` routes.
    let caller: Caller?
    let auditNote: AuditNote?

    var parameters: RouteParameters { base.parameters }
    var route: String { base.route }
    var requestId: String { base.requestId }
    var logger: Logger { base.logger }

    /// The caller of a route declared with roles (always authenticated there).
    var authenticated: Caller {
        guard let caller else { preconditionFailure("\(route) declares no roles but asks for its caller") }
        return caller
    }

    /// Names the resource and patient this request concerns, for its audit line.
    func audit(resource: Int64? = nil, patient: Int64?) {
        auditNote?.set(resource: resource, patient: patient)
    }

    /// Writes this request's audit line inside the transaction of its change, so the change
    /// and its record commit together.
    func auditChange(_ connection: Connection, status: Int, resource: Int64?, patient: Int64?, at now: Int64) throws {
        guard let auditNote else { return }
        auditNote.set(resource: resource, patient: patient)
        try AuditRepository(connection).insert(auditNote.entry(status: status, at: now))
        auditNote.markWritten()
    }
}

/// One request's audit line: who and what are known when the request is admitted; which
/// resource and patient the handler learns while it runs; and whether the line was already
/// written inside the transaction of a change.
final class AuditNote: Sendable {
    private let caller: Caller
    private let method: String
    private let route: String
    private let requestId: String

    init(caller: Caller, method: String, route: String, requestId: String) {
        self.caller = caller
        self.method = method
        self.route = route
        self.requestId = requestId
    }

    private struct State {
        var resourceId: Int64?
        var patientId: Int64?
        var written = false
    }

    private let state = Locked(State())

    func set(resource: Int64?, patient: Int64?) {
        state.withLock {
            if let resource { $0.resourceId = resource }
            if let patient { $0.patientId = patient }
        }
    }

    func markWritten() { state.withLock { $0.written = true } }

    var writtenInTransaction: Bool { state.withLock { $0.written } }

    func entry(status: Int, at now: Int64) -> AuditEntry {
        let state = state.withLock { $0 }
        return AuditEntry(
            at: now, tokenId: caller.tokenId, role: caller.role, method: method, route: route,
            resourceId: state.resourceId, patientId: state.patientId, status: status, requestId: requestId)
    }
}
