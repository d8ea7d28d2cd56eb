import HTTP
import JSON
import SQLite

/// `GET /v1/audit` (admin): who read or changed patient data, newest first.
struct AuditRoutes {
    let database: DatabasePool

    func register(in api: inout APIBuilder) {
        let database = database
        let auditTrail = api.accessControl.auditTrail
        api.add(
            Operation(
                method: "GET", path: "/v1/audit", operationId: "listAudit",
                summary:
                    "The audit log, newest first by request time (then id): every read and change of patient data (token, role, method, route template, resource, patient, status, time).",
                tag: "access", access: .roles([.admin], patientData: false),
                parameters: OpenAPI.pagingParameters.filter { $0.name != "updatedSince" } + [
                    .query("patientId", "Entries concerning this patient.", OpenAPI.idSchema),
                    .query("tokenId", "Entries made with this token.", OpenAPI.idSchema),
                ],
                responses: [
                    .json(200, "One page.", OpenAPI.ref("AuditEntryList")),
                    .problem(400, "A malformed or unknown query parameter, or a cursor of another list."),
                ])
        ) { request, _ in
            var parameters = try QueryParameters(request)
            let limit = parameters.int("limit", PageLimit.range) ?? PageLimit.default
            let query = AuditQuery(
                patientId: parameters.id("patientId"), tokenId: parameters.id("tokenId"), limit: limit,
                cursor: parameters.boundCursor())
            try parameters.finish()
            // Reads are recorded in batches; write what is pending so the page is complete.
            await auditTrail.flush()
            let page = try await database.read { connection in try AuditRepository(connection).list(query) }
            return .json(parameters.bound(page).json(\.json))
        }
    }
}
