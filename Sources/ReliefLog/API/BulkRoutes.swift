import HTTP
import JSON

/// `GET /v1/{collection}/export` and `POST /v1/{collection}/import` for the four collections
/// (the contract's "Bulk data: export and import"). The work itself is in `Bulk/`; these
/// handlers read the request, apply the roles and answer.
struct BulkRoutes {
    let transactions: Transactions
    let auditTrail: AuditTrail
    let clock: @Sendable () -> Int64
    var importLimits = ImportLimits()

    /// Path endings whose request bodies may be as large as `http.maxImportBytes`.
    static let importPathSuffixes = ["/import", "/import/migraine-buddy"]

    func register(in api: inout APIBuilder) {
        register(Patient.self, in: &api)
        register(Therapist.self, in: &api)
        register(Episode.self, in: &api)
        register(MassageSession.self, in: &api)
    }

    private func register<R: RecordResource>(_: R.Type, in api: inout APIBuilder) {
        let handlers = BulkHandlers<R>(
            transactions: transactions, auditTrail: auditTrail, clock: clock, importLimits: importLimits)
        api.add(BulkOperations<R>.export, handler: handlers.export)
        // An upload of up to the large-body limit is parsed and validated row by row.
        api.add(BulkOperations<R>.import.placed(.concurrentPool), handler: handlers.importRows)
    }
}

struct BulkHandlers<R: RecordResource>: Sendable {
    let transactions: Transactions
    let auditTrail: AuditTrail
    let clock: @Sendable () -> Int64
    let importLimits: ImportLimits

    @Sendable func export(_ request: HTTPServerRequest, _ context: APIContext) async throws -> HTTPResponse {
        var parameters = try QueryParameters(request)
        let names = Set((request.queryItems ?? []).map(\.0))
        for paging in ["limit", "cursor"] where names.contains(paging) {
            throw Problem.badRequest(
                "An export has no pages: it holds every matching row.",
                errors: [Problem.FieldError(field: "/" + paging, message: "is not a parameter of an export")])
        }
        let format =
            parameters.oneOf("format", ExportFormat.allCases.map(\.rawValue)).flatMap(ExportFormat.init(rawValue:))
            ?? .ndjson
        var query = R.query(&parameters)
        try parameters.finish()
        let caller = context.authenticated
        if let own = caller.reachablePatient { try R.scope(&query, toPatient: own) }
        // One audit line per patient whose rows went out, written when the export ends.
        let note = R.isPatientData ? context.auditNote : nil
        note?.markWritten()
        let auditTrail = auditTrail
        let clock = clock
        let transactions = transactions
        let export = RecordExport<R>(
            query: query, format: format, read: { body in try await transactions.read(body) },
            onFinish: { _, patients in
                guard let note else { return }
                let now = clock()
                if patients.isEmpty { auditTrail.record(note.entry(status: 200, at: now)) }
                for patient in patients {
                    var entry = note.entry(status: 200, at: now)
                    entry.patientId = patient
                    auditTrail.record(entry)
                }
            })
        var headers = HTTPHeaders()
        headers.add("Content-Type", format.mediaType)
        headers.add("Cache-Control", "no-store")
        let day = Timestamp.format(clock()).prefix(10)
        headers.add("Content-Disposition", "attachment; filename=\"\(R.collection)-\(day).\(format.rawValue)\"")
        return HTTPResponse(status: 200, headers: headers, bodyStream: HTTPBodyStream { try await export.next() })
    }

    @Sendable func importRows(_ request: HTTPServerRequest, _ context: APIContext) async throws -> HTTPResponse {
        var parameters = try QueryParameters(request)
        let dryRun = parameters.bool("dryRun") ?? false
        let policy =
            parameters.oneOf("onConflict", ConflictPolicy.allCases.map(\.rawValue)).flatMap(
                ConflictPolicy.init(rawValue:)) ?? .error
        try parameters.finish()
        guard let mediaType = request.mediaType, let format = ImportFormat(mediaType: mediaType) else {
            throw Problem(
                status: 415,
                detail: "The request body must be text/csv or application/x-ndjson (send a Content-Type header).")
        }
        let caller = context.authenticated
        let scope = ImportScope(
            patient: caller.reachablePatient, clinicianTherapist: caller.role == .clinician ? caller.therapistId : nil)
        let idempotency = try IdempotentCreate(
            request, caller: caller, path: "\(R.collectionPath)/import?\(request.head.query ?? "")")
        let plan = try ImportPlan<R>(request.body, format: format, scope: scope, now: clock(), limits: importLimits)
        let summary = try await BulkImportRunner.run(
            plan, transactions: transactions, policy: policy, scope: scope, dryRun: dryRun, clock: clock,
            idempotency: idempotency, context: context)
        return summary
    }
}

/// Runs a validated import in one write transaction (rolled back for a dry run or a bad row).
enum BulkImportRunner {
    static func run<R: StoredRecord>(
        _ plan: ImportPlan<R>, transactions: Transactions, policy: ConflictPolicy, scope: ImportScope, dryRun: Bool,
        clock: @escaping @Sendable () -> Int64, idempotency: IdempotentCreate?, context: APIContext,
        extra: JSONObject = [:]
    ) async throws -> HTTPResponse {
        do {
            let outcome = try await transactions.write { connection, changes -> IdempotentCreate.Outcome in
                let now = clock()
                if let replay = try idempotency?.replay(connection, now: now) { return replay }
                var summary = try plan.write(connection, policy: policy, scope: scope, now: now, changes: &changes)
                summary.dryRun = dryRun
                if dryRun { throw DryRunFinished(summary: summary) }
                if let note = context.auditNote {
                    for patient in summary.patients.isEmpty ? [nil] : summary.patients.map(Optional.some) {
                        var entry = note.entry(status: 200, at: now)
                        entry.patientId = patient
                        try AuditRepository(connection).insert(entry)
                    }
                    note.markWritten()
                }
                var body = summary.json
                for (key, value) in extra { body.append(key, value) }
                let outcome = IdempotentCreate.Outcome(
                    status: 200, body: JSON.serialize(.object(body)), id: nil, replayed: false)
                try idempotency?.remember(outcome, connection, now: now)
                return outcome
            }
            var response = Responses.json(outcome.body, status: outcome.status)
            if outcome.replayed { response.headers.add("Idempotent-Replayed", "true") }
            return response
        } catch let finished as DryRunFinished {
            var body = finished.summary.json
            for (key, value) in extra { body.append(key, value) }
            return Responses.json(JSON.serialize(.object(body)))
        }
    }
}

/// The OpenAPI declarations of the bulk operations on one resource.
enum BulkOperations<R: RecordResource> {
    static var export: Operation {
        Operation(
            method: "GET", path: "\(R.collectionPath)/export", operationId: "export\(R.pluralName)",
            summary:
                "Every \(R.schemaName.lowercased()) the list's filters match, by id ascending, streamed (chunked) as NDJSON (each line as GET renders it) or RFC 4180 CSV (a header of the field names, then id, createdAt, updatedAt; slug lists joined with ';', medications as JSON text, a text cell starting with = + - @ tab or CR prefixed with ').",
            tag: R.collection, access: .roles(R.access.list, patientData: R.isPatientData),
            parameters: [
                .query(
                    "format", "ndjson (default) or csv.", ["type": "string", "enum": ["ndjson", "csv"]])
            ] + R.filters + OpenAPI.pagingParameters.filter { $0.name == "updatedSince" },
            responses: [
                ResponseSpec(
                    status: "200",
                    description:
                        "The rows, as application/x-ndjson or text/csv; charset=utf-8, with Content-Disposition: attachment.",
                    contentType: "application/x-ndjson", schema: OpenAPI.ref(R.schemaName),
                    headers: [
                        "Content-Disposition": "attachment; filename=\"\(R.collection)-YYYY-MM-DD.csv\" (or .ndjson)"
                    ],
                    moreContentTypes: ["text/csv"]
                ),
                .problem(
                    400, "A malformed or unknown query parameter (limit and cursor included: there are no pages)."),
            ])
    }

    static var `import`: Operation {
        Operation(
            method: "POST", path: "\(R.collectionPath)/import", operationId: "import\(R.pluralName)",
            summary:
                "Create (or with onConflict, skip or update) many \(R.collection) at once from text/csv in the export's layout or application/x-ndjson in the create body's shape; all rows or none.",
            tag: R.collection, access: .roles(R.access.create, patientData: R.isPatientData),
            parameters: [
                .query("dryRun", "true: validate and count without writing.", ["type": "boolean", "default": false]),
                .query(
                    "onConflict", "What a row whose externalId is already stored does: error (422), skip, or update.",
                    ["type": "string", "enum": ["error", "skip", "update"], "default": "error"]),
                ParameterSpec(
                    name: "Idempotency-Key", location: .header, required: false,
                    description: "As for single creates.",
                    schema: ["type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"]),
            ],
            requestSchema: ["type": "string"],
            requestContentTypes: ["text/csv", "application/x-ndjson"],
            responses: [
                .json(200, "What was (or with dryRun, would be) written.", OpenAPI.ref("ImportResult")),
                .problem(400, "A malformed query parameter or Idempotency-Key."),
                .problem(404, "A patient token's row names another patient."),
                .problem(
                    413,
                    "The body is larger than http.maxImportBytes, or the file passes an import limit (docs/limits.md)."),
                .problem(415, "The body is neither text/csv nor application/x-ndjson."),
                .problem(
                    422,
                    "Bad rows, nothing written: errors [{line, field, message}] (the first 100) and invalidRows; or an Idempotency-Key reused with another body."
                ),
            ])
    }
}
