import HTTP
import JSON
import Logging

/// Who may call an endpoint. Every endpoint states it when it is registered: there is no
/// default, so a route cannot be added without someone deciding who may reach it (and the
/// router itself refuses a route without an access declaration).
public enum Access: Sendable, Hashable {
    /// Operational endpoints (`/healthz`, `/readyz`, `/metrics`, `/openapi.json`): no credentials.
    case anyone
    /// A bearer token of one of these roles. `patientData` routes are written to the audit log.
    /// Which objects a role reaches (its own patient, its own therapist's sessions) is the
    /// handler's business: the route only admits the role.
    case roles(Set<Role>, patientData: Bool)

    /// What the router lists for the route, e.g. "admin, clinician; patient data".
    var declaration: RouteAccess {
        switch self {
        case .anyone:
            return RouteAccess("public")
        case .roles(let roles, let patientData):
            precondition(!roles.isEmpty, "a route must admit at least one role")
            return RouteAccess(
                roles.sorted().map(\.rawValue).joined(separator: ", ") + (patientData ? "; patient data" : ""))
        }
    }

    /// The roles admitted; empty for `.anyone` (no token needed).
    var roles: Set<Role> {
        if case .roles(let roles, _) = self { roles } else { [] }
    }
}

/// One documented response of an operation.
struct ResponseSpec {
    var status: String
    var description: String
    var contentType: String?
    var schema: JSONValue?
    var headers: [String: String] = [:]  // header name → description
    /// Further media types of the same response (an export's CSV besides its NDJSON).
    var moreContentTypes: [String] = []

    static func json(
        _ status: Int, _ description: String, _ schema: JSONValue, headers: [String: String] = [:]
    ) -> ResponseSpec {
        ResponseSpec(
            status: String(status), description: description, contentType: "application/json", schema: schema,
            headers: headers)
    }

    static func problem(_ status: Int, _ description: String) -> ResponseSpec {
        ResponseSpec(
            status: String(status), description: description, contentType: "application/problem+json",
            schema: OpenAPI.ref("Problem"))
    }

    static func empty(_ status: Int, _ description: String, headers: [String: String] = [:]) -> ResponseSpec {
        ResponseSpec(status: String(status), description: description, contentType: nil, schema: nil, headers: headers)
    }
}

/// A query, path or header parameter as the OpenAPI document describes it.
struct ParameterSpec {
    enum Location: String { case query, path, header }
    var name: String
    var location: Location
    var required: Bool
    var description: String
    var schema: JSONValue
}

/// The description of an endpoint: what the router needs, what the OpenAPI document says,
/// and who may call it.
struct Operation {
    var method: String
    var path: String
    var operationId: String
    var summary: String
    var tag: String
    var access: Access
    var parameters: [ParameterSpec] = []
    var requestSchema: JSONValue? = nil
    var requestContentTypes: [String] = ["application/json"]
    var responses: [ResponseSpec]
    /// How this operation's errors are written, when not as RFC 9457 problems (FHIR's
    /// `OperationOutcome`); applies to refusals of access too.
    var renderError: (@Sendable (Problem) -> HTTPResponse)? = nil
    /// Where the handler runs: on the event loop that read the request (no thread hand-off),
    /// or, for a handler that computes for long on its own thread (an upload parsed and
    /// validated row by row, a report rendered), on the shared pool.
    var placement: HandlerPlacement = .eventLoop
}

extension Operation {
    /// The same operation, its handler run at `placement`.
    func placed(_ placement: HandlerPlacement) -> Operation {
        var operation = self
        operation.placement = placement
        return operation
    }
}

/// A handler of the API: the request, and its context with the authenticated caller.
typealias APIHandler = @Sendable (HTTPServerRequest, APIContext) async throws -> HTTPResponse

/// Registers endpoints into the HTTP router and the OpenAPI document at once, so the
/// document cannot drift from what the server really serves, and wraps each handler in the
/// access control its `Access` declares (rate limits, authentication, role, audit).
struct APIBuilder {
    private(set) var router = RouterBuilder()
    private(set) var operations: [Operation] = []
    let accessControl: AccessControl

    init(accessControl: AccessControl) {
        self.accessControl = accessControl
    }

    mutating func add(_ operation: Operation, handler: @escaping APIHandler) {
        operations.append(operation)
        let access = operation.access
        let control = accessControl
        let renderError = operation.renderError
        router.add(operation.method, operation.path, access: access.declaration, placement: operation.placement) {
            request, context in
            guard let renderError else {
                return try await Self.admit(request, context, access, control, handler)
            }
            do {
                return try await Self.admit(request, context, access, control, handler)
            } catch {
                let problem = (error as? any ProblemConvertible)?.problem
                if problem == nil {
                    context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                return renderError(problem ?? .internalError())
            }
        }
    }

    private static func admit(
        _ request: HTTPServerRequest, _ context: RequestContext, _ access: Access, _ control: AccessControl,
        _ handler: APIHandler
    ) async throws -> HTTPResponse {
        guard case .roles(let roles, let patientData) = access else {
            return try await handler(request, APIContext(base: context, caller: nil, auditNote: nil))
        }
        let caller = try await control.admit(request)
        let note = AuditNote(
            caller: caller, method: request.method, route: context.route, requestId: request.requestId)
        do {
            guard roles.contains(caller.role) else { throw AccessDenied.role(caller.role) }
            var response = try await handler(request, APIContext(base: context, caller: caller, auditNote: note))
            if patientData && !note.writtenInTransaction {
                control.auditTrail.record(note.entry(status: response.status, at: control.clock()))
            }
            // Anything behind a token may be patient data: never kept by a cache.
            if !response.headers.contains("Cache-Control") { response.headers.add("Cache-Control", "no-store") }
            return response
        } catch {
            if patientData {
                let status = (error as? any ProblemConvertible)?.problem.status ?? 500
                control.auditTrail.record(note.entry(status: status, at: control.clock()))
            }
            throw error
        }
    }
}
