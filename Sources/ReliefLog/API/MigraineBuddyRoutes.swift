import HTTP
import JSON

/// `POST /v1/patients/{id}/import/migraine-buddy` and `GET /v1/import/migraine-buddy/mapping`
/// (the contract's "Migraine Buddy").
struct MigraineBuddyRoutes {
    let transactions: Transactions
    let clock: @Sendable () -> Int64
    var importLimits = ImportLimits()

    func register(in api: inout APIBuilder) {
        api.add(Self.importOperation.placed(.concurrentPool)) { request, context in
            try await importFile(request, context)
        }
        api.add(Self.mappingOperation) { _, _ in
            var response = HTTPResponse.json(MigraineBuddy.mappingJSON)
            response.headers.add("Cache-Control", "max-age=3600")
            return response
        }
    }

    private func importFile(_ request: HTTPServerRequest, _ context: APIContext) async throws -> HTTPResponse {
        let patientId = try context.parameters.require("id", as: Int64.self)
        var parameters = try QueryParameters(request)
        let dryRun = parameters.bool("dryRun") ?? false
        // Skip by default: the same file imported again adds nothing.
        let policy =
            parameters.oneOf("onConflict", ConflictPolicy.allCases.map(\.rawValue)).flatMap(
                ConflictPolicy.init(rawValue:)) ?? .skip
        try parameters.finish()
        let caller = context.authenticated
        context.audit(patient: patientId)
        guard patientId > 0, caller.reaches(patient: patientId) else { throw RecordsError.notFound }
        let patient = try await transactions.read { connection in
            try RecordRepository<Patient>(connection).find(id: patientId)
        }
        guard let patient else { throw RecordsError.notFound }
        guard let mediaType = request.mediaType, ["text/csv", "text/plain"].contains(mediaType) else {
            throw Problem(status: 415, detail: "The request body must be the text/csv file Migraine Buddy exports.")
        }
        let zone = Zone.named(patient.timezone)
        var findings = MigraineBuddy.Findings()
        let scope = ImportScope(patient: patientId)
        let plan = try ImportPlan<Episode>(scope: scope, now: clock()) { accept, reject in
            findings = try MigraineBuddy.read(
                request.body, patientId: patientId, zoneOffset: zone.offset, limits: importLimits, accept, reject)
        }
        let idempotency = try IdempotentCreate(
            request, caller: caller, path: "/v1/patients/\(patientId)/import/migraine-buddy?\(request.head.query ?? "")"
        )
        return try await BulkImportRunner.run(
            plan, transactions: transactions, policy: policy, scope: scope, dryRun: dryRun, clock: clock,
            idempotency: idempotency, context: context, extra: ["unmapped": findings.json])
    }

    static let importOperation = Operation(
        method: "POST", path: "/v1/patients/{id}/import/migraine-buddy", operationId: "importMigraineBuddy",
        summary:
            "Import the attack table of a Migraine Buddy CSV export as the patient's episodes (externalId mb:#:start, so a second import of the same file adds nothing).",
        tag: "patients", access: .roles([.admin, .patient], patientData: true),
        parameters: [
            ParameterSpec(
                name: "id", location: .path, required: true, description: "The patient's id.",
                schema: OpenAPI.idSchema),
            .query("dryRun", "true: validate and count without writing.", ["type": "boolean", "default": false]),
            .query(
                "onConflict", "What an attack imported before does: skip (default), update or error.",
                ["type": "string", "enum": ["error", "skip", "update"], "default": "skip"]),
        ],
        requestSchema: ["type": "string"], requestContentTypes: ["text/csv"],
        responses: [
            .json(
                200, "What was (or with dryRun, would be) written, and the names kept as new slugs.",
                OpenAPI.ref("ImportResult")),
            .problem(400, "A malformed query parameter."),
            .problem(404, "No such patient (or another patient's, for a patient token)."),
            .problem(
                413, "The body is larger than http.maxImportBytes, or the file passes an import limit (docs/limits.md)."
            ),
            .problem(415, "The body is not text/csv."),
            .problem(
                422, "Bad rows, nothing written: errors [{line, field, message}] (the first 100) and invalidRows."),
        ])

    static let mappingOperation = Operation(
        method: "GET", path: "/v1/import/migraine-buddy/mapping", operationId: "getMigraineBuddyMapping",
        summary: "How the Migraine Buddy columns and names map to episode fields and slugs.", tag: "patients",
        access: .roles([.admin, .clinician, .patient], patientData: false),
        responses: [
            .json(200, "The columns, and per field the names (lower case) and their slugs.", ["type": "object"])
        ])
}
