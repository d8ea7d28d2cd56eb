import Foundation
import HTTP
import JSON
import Synchronization
import ThreadSupport

/// `/fhir/r4`: the records as FHIR R4 resources (the contract's "FHIR R4"), with the same
/// tokens and roles as `/v1`; errors are `OperationOutcome`s.
struct FHIRRoutes {
    let transactions: Transactions
    let clock: @Sendable () -> Int64
    let version: String
    let exports: FHIRBulkExports

    static let mediaType = "application/fhir+json; charset=utf-8"

    func register(in api: inout APIBuilder) {
        let clock = clock
        let version = version
        api.add(Self.operation("GET", "/fhir/r4/metadata", "fhirMetadata", "The CapabilityStatement.", .anyone)) {
            _, _ in
            Self.resource(FHIR.capabilityStatement(date: clock(), version: version))
        }
        api.add(
            Self.operation(
                "GET", "/fhir/r4/Patient/{id}", "fhirReadPatient", "A patient as a FHIR Patient.",
                .roles([.admin, .clinician, .patient], patientData: true), id: true)
        ) { _, context in
            let patient = try await readPatient(context)
            return Self.resource(FHIR.patient(patient))
        }
        api.add(
            Self.operation(
                "GET", "/fhir/r4/Practitioner/{id}", "fhirReadPractitioner", "A therapist as a FHIR Practitioner.",
                .roles([.admin, .clinician, .patient], patientData: false), id: true)
        ) { _, context in
            let id = try Self.id(context)
            let therapist = try await transactions.read { try RecordRepository<Therapist>($0).find(id: id) }
            guard let therapist else { throw RecordsError.notFound }
            return Self.resource(FHIR.practitioner(therapist))
        }
        var everythingOperation = Self.operation(
            "GET", "/fhir/r4/Patient/{id}/$everything", "fhirPatientEverything",
            "A searchset Bundle of the patient, their episodes (Observation, MedicationStatement), sessions (Procedure, Observation) and the therapists involved.",
            .roles([.admin, .clinician, .patient], patientData: true), id: true)
        everythingOperation.parameters += [
            .query("start", "Only records starting at or after this date or timestamp.", OpenAPI.dateOrTimestampSchema),
            .query("end", "Only records starting before this date or timestamp.", OpenAPI.dateOrTimestampSchema),
        ]
        api.add(everythingOperation.placed(.concurrentPool)) { request, context in
            try await everything(request, context)
        }
        registerBulkExport(in: &api)
    }

    // MARK: Bulk Data export

    private func registerBulkExport(in api: inout APIBuilder) {
        let kickOffParameters: [ParameterSpec] = [
            ParameterSpec(
                name: "Prefer", location: .header, required: true, description: "Must be respond-async.",
                schema: ["type": "string", "pattern": "respond-async"]),
            .query(
                "_since", "Only resources changed at or after this instant.", ["type": "string", "format": "date-time"]),
            .query(
                "_type", "Comma-separated resource types: \(FHIRBulkExports.allTypes.joined(separator: ", ")).",
                [
                    "type": "string",
                    "pattern": .string(
                        "^(\(FHIRBulkExports.allTypes.joined(separator: "|")))(,(\(FHIRBulkExports.allTypes.joined(separator: "|"))))*$"
                    ),
                ]),
            .query(
                "_outputFormat", "application/fhir+ndjson (the default and only format).",
                ["type": "string", "enum": ["application/fhir+ndjson", "application/ndjson", "ndjson"]]),
        ]
        let kickOffResponses: [ResponseSpec] = [
            .empty(202, "Started; poll the Content-Location.", headers: ["Content-Location": "The job's status URL."]),
            ResponseSpec(
                status: "400", description: "No Prefer: respond-async, or a bad parameter (an OperationOutcome).",
                contentType: "application/fhir+json", schema: ["type": "object"]),
        ]
        for (path, patientLevel) in [("/fhir/r4/$export", false), ("/fhir/r4/Patient/$export", true)] {
            var operation = Self.operation(
                "GET", path, patientLevel ? "fhirPatientExport" : "fhirSystemExport",
                patientLevel
                    ? "Start a Bulk Data export of every patient's data." : "Start a Bulk Data export of everything.",
                .roles([.admin, .clinician], patientData: true), responses: kickOffResponses)
            operation.parameters = kickOffParameters
            api.add(operation) { request, context in try await kickOff(request, context, patientLevel: patientLevel) }
        }
        let jobParameter = ParameterSpec(
            name: "job", location: .path, required: true, description: "The export job's id.", schema: OpenAPI.idSchema)
        var status = Self.operation(
            "GET", "/fhir/r4/bulk/{job}", "fhirExportStatus",
            "An export's status: 202 with X-Progress and Retry-After while it runs, 200 with the manifest when complete.",
            .roles([.admin, .clinician], patientData: false),
            responses: [
                .empty(
                    202, "Still running.", headers: ["X-Progress": "What is being written.", "Retry-After": "Seconds."]),
                .json(200, "The manifest.", ["type": "object"]),
                ResponseSpec(
                    status: "404", description: "No such job (an OperationOutcome).",
                    contentType: "application/fhir+json",
                    schema: ["type": "object"]),
                ResponseSpec(
                    status: "500", description: "The job failed (an OperationOutcome saying why).",
                    contentType: "application/fhir+json", schema: ["type": "object"]),
            ])
        status.parameters = [jobParameter]
        api.add(status) { _, context in try await jobStatus(context) }
        var cancel = Self.operation(
            "DELETE", "/fhir/r4/bulk/{job}", "fhirExportDelete", "Cancel a running export or remove a finished one.",
            .roles([.admin, .clinician], patientData: false), responses: [.empty(202, "Cancelled or removed.")])
        cancel.parameters = [jobParameter]
        api.add(cancel) { _, context in
            let job = try await ownJob(context)
            try await exports.delete(job.id)
            return .empty(status: 202)
        }
        var file = Self.operation(
            "GET", "/fhir/r4/bulk/{job}/{file}", "fhirExportFile", "One output file of a complete export (NDJSON).",
            .roles([.admin, .clinician], patientData: true),
            responses: [
                ResponseSpec(
                    status: "200", description: "The resources, one per line.", contentType: "application/fhir+ndjson",
                    schema: ["type": "string"]),
                ResponseSpec(
                    status: "404", description: "No such job or file (an OperationOutcome).",
                    contentType: "application/fhir+json", schema: ["type": "object"]),
            ])
        file.parameters = [
            jobParameter,
            ParameterSpec(
                name: "file", location: .path, required: true, description: "<ResourceType>.ndjson",
                schema: ["type": "string"]),
        ]
        api.add(file) { _, context in try await outputFile(context) }
    }

    private func kickOff(
        _ request: HTTPServerRequest, _ context: APIContext, patientLevel: Bool
    ) async throws
        -> HTTPResponse
    {
        guard request.headers.values("Prefer").contains(where: { $0.lowercased().contains("respond-async") }) else {
            throw Problem.badRequest("A Bulk Data export needs the header Prefer: respond-async.")
        }
        var parameters = try QueryParameters(request)
        let since = parameters.timestamp("_since")
        let typeText = parameters.string("_type")
        let format = parameters.string("_outputFormat")
        try parameters.finish()
        if let format, !["application/fhir+ndjson", "application/ndjson", "ndjson"].contains(format) {
            throw Problem.badRequest(
                "Only application/fhir+ndjson output is supported.",
                errors: [Problem.FieldError(field: "/_outputFormat", message: "must be application/fhir+ndjson")])
        }
        var types = patientLevel ? FHIRBulkExports.patientTypes : FHIRBulkExports.allTypes
        if let typeText {
            let asked = typeText.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            let unknown = asked.filter { !FHIRBulkExports.allTypes.contains($0) }
            guard unknown.isEmpty, !asked.isEmpty else {
                throw Problem.badRequest(
                    "Unsupported resource types: \(unknown.joined(separator: ", ")).",
                    errors: [
                        Problem.FieldError(
                            field: "/_type",
                            message: "must list types of \(FHIRBulkExports.allTypes.joined(separator: ", "))")
                    ])
            }
            types = FHIRBulkExports.allTypes.filter(asked.contains)
        }
        let base = Self.baseURL(request)
        let job = try await exports.start(
            tokenId: context.authenticated.tokenId, request: base + request.head.target.dropFirst("/fhir/r4".count),
            baseURL: base, patientLevel: patientLevel, types: types, since: since)
        return .empty(status: 202, headers: ["Content-Location": "\(base)/bulk/\(job.id)"])
    }

    /// The job of the path, if this token may see it (its own, or any for an admin).
    private func ownJob(_ context: APIContext) async throws -> FHIRExportJob {
        guard let id = context.parameters["job"].flatMap(Int64.init), id > 0,
            let job = try await exports.find(id),
            job.tokenId == context.authenticated.tokenId || context.authenticated.role == .admin
        else { throw Problem.notFound("No such export job.") }
        return job
    }

    private func jobStatus(_ context: APIContext) async throws -> HTTPResponse {
        let job = try await ownJob(context)
        switch job.state {
        case .running:
            return .empty(status: 202, headers: ["X-Progress": exports.progressText(job), "Retry-After": "1"])
        case .failed:
            return Self.operationOutcome(Problem(status: 500, detail: job.error ?? "The export failed."))
        case .complete:
            let files = (try? JSON.parse(job.output ?? "[]"))?.arrayValue ?? []
            let output: [JSONValue] = files.map { file in
                let type = file.objectValue?["type"]?.stringValue ?? ""
                return [
                    "type": .string(type), "url": .string("\(job.baseURL)/bulk/\(job.id)/\(type).ndjson"),
                    "count": file.objectValue?["count"] ?? .number(.integer(0)),
                ]
            }
            let manifest: JSONValue = [
                "transactionTime": .string(Timestamp.formatWithMilliseconds(job.transactionTime)),
                "request": .string(job.request), "requiresAccessToken": true, "output": .array(output), "error": [],
            ]
            return HTTPResponse.json(manifest)
        }
    }

    private func outputFile(_ context: APIContext) async throws -> HTTPResponse {
        let job = try await ownJob(context)
        let name = context.parameters["file"] ?? ""
        guard job.state == .complete, name.hasSuffix(".ndjson"),
            case let type = String(name.dropLast(".ndjson".count)), job.types.contains(type)
        else { throw Problem.notFound("No such file in this export.") }
        let url = exports.file(job.id, type: type)
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw Problem.notFound("No such file in this export.")
        }
        let reader = FileChunks(handle)
        return HTTPResponse(
            status: 200, headers: ["Content-Type": "application/fhir+ndjson"],
            bodyStream: HTTPBodyStream { try reader.next() })
    }

    private func readPatient(_ context: APIContext) async throws -> Patient {
        let id = try Self.id(context)
        context.audit(resource: id, patient: id)
        guard context.authenticated.reaches(patient: id) else { throw RecordsError.notFound }
        let patient = try await transactions.read { try RecordRepository<Patient>($0).find(id: id) }
        guard let patient else { throw RecordsError.notFound }
        return patient
    }

    private func everything(_ request: HTTPServerRequest, _ context: APIContext) async throws -> HTTPResponse {
        var parameters = try QueryParameters(request)
        let start = parameters.dateOrTimestamp("start")
        let end = parameters.dateOrTimestamp("end")
        try parameters.finish()
        let patient = try await readPatient(context)
        let base = Self.baseURL(request)
        let entries = try await transactions.read { connection -> [JSONValue] in
            var entries: [JSONValue] = [Self.entry(FHIR.patient(patient), base: base, mode: "match")]
            var therapistIds: [Int64] = []
            let episodes = EpisodeQuery(patientId: patient.id, from: start, to: end)
            try RecordRepository<Episode>(connection).forEachExported(episodes, after: 0, limit: Int.max) { episode in
                for resource in FHIR.episode(episode) { entries.append(Self.entry(resource, base: base)) }
            }
            let sessions = SessionQuery(patientId: patient.id, from: start, to: end)
            try RecordRepository<MassageSession>(connection).forEachExported(sessions, after: 0, limit: Int.max) {
                session in
                if let therapist = session.therapistId, !therapistIds.contains(therapist) {
                    therapistIds.append(therapist)
                }
                for resource in FHIR.session(session) { entries.append(Self.entry(resource, base: base)) }
            }
            let therapists = RecordRepository<Therapist>(connection)
            for id in therapistIds.sorted() {
                if let therapist = try therapists.find(id: id) {
                    entries.append(Self.entry(FHIR.practitioner(therapist), base: base))
                }
            }
            return entries
        }
        return Self.resource([
            "resourceType": "Bundle", "type": "searchset", "total": .number(.integer(1)),
            "timestamp": FHIR.dateTime(clock()), "entry": .array(entries),
        ])
    }

    // MARK: Shared

    static func entry(_ resource: JSONValue, base: String, mode: String = "include") -> JSONValue {
        let type = resource.objectValue?["resourceType"]?.stringValue ?? ""
        let id = resource.objectValue?["id"]?.stringValue ?? ""
        return ["fullUrl": .string("\(base)/\(type)/\(id)"), "resource": resource, "search": ["mode": .string(mode)]]
    }

    /// The absolute base of `/fhir/r4` as the client addressed it.
    static func baseURL(_ request: HTTPServerRequest) -> String {
        let host = request.headers["Host"].flatMap { $0.isEmpty ? nil : $0 } ?? "localhost"
        return "http://\(host)/fhir/r4"
    }

    static func id(_ context: APIContext) throws -> Int64 {
        guard let id = context.parameters["id"].flatMap(Int64.init), id > 0 else { throw RecordsError.notFound }
        return id
    }

    static func resource(_ value: JSONValue, status: Int = 200, headers: [(String, String)] = []) -> HTTPResponse {
        var response = HTTPResponse(status: status, body: JSON.serialize(value))
        response.headers.add("Content-Type", mediaType)
        for (name, value) in headers { response.headers.add(name, value) }
        return response
    }

    /// A problem as an `OperationOutcome`, with the problem's headers (WWW-Authenticate, Retry-After).
    @Sendable static func operationOutcome(_ problem: Problem) -> HTTPResponse {
        let code: String
        switch problem.status {
        case 400, 422: code = "invalid"
        case 401: code = "login"
        case 403: code = "forbidden"
        case 404: code = "not-found"
        case 409: code = "conflict"
        case 413: code = "too-costly"
        case 429: code = "throttled"
        default: code = problem.status >= 500 ? "exception" : "processing"
        }
        var issues: [JSONValue] = [
            ["severity": "error", "code": .string(code), "diagnostics": .string(problem.detail ?? problem.title)]
        ]
        for error in problem.errors {
            issues.append([
                "severity": "error", "code": .string(code), "diagnostics": .string(error.message),
                "expression": [.string(error.field)],
            ])
        }
        var response = resource(["resourceType": "OperationOutcome", "issue": .array(issues)], status: problem.status)
        for (name, value) in problem.headers where name.lowercased() != "content-type" {
            response.headers.add(name, value)
        }
        return response
    }

    static func operation(
        _ method: String, _ path: String, _ operationId: String, _ summary: String, _ access: Access, id: Bool = false,
        responses: [ResponseSpec]? = nil
    ) -> Operation {
        var operation = Operation(
            method: method, path: path, operationId: operationId, summary: summary, tag: "fhir", access: access,
            parameters: id
                ? [
                    ParameterSpec(
                        name: "id", location: .path, required: true, description: "The record's id.",
                        schema: OpenAPI.idSchema)
                ] : [],
            responses: responses ?? [
                ResponseSpec(
                    status: "200", description: "A FHIR R4 resource.", contentType: "application/fhir+json",
                    schema: ["type": "object"]),
                ResponseSpec(
                    status: "404", description: "No such record (an OperationOutcome).",
                    contentType: "application/fhir+json", schema: ["type": "object"]),
            ])
        operation.renderError = operationOutcome
        return operation
    }
}

/// A file read in pieces for a streamed response; closed at its end.
final class FileChunks: Sendable {
    private let handle: Locked<FileHandle?>

    init(_ handle: FileHandle) { self.handle = Locked(handle) }

    func next() throws -> [UInt8]? {
        try handle.withLock { handle in
            guard let file = handle else { return nil }
            if let data = try file.read(upToCount: 256 * 1024), !data.isEmpty { return [UInt8](data) }
            try? file.close()
            handle = nil
            return nil
        }
    }
}
