import HTTP
import JSON

/// `/fhir/r4`: the records as FHIR R4 resources (the contract's "FHIR R4"), with the same
/// tokens and roles as `/v1`; errors are `OperationOutcome`s.
struct FHIRRoutes {
    let transactions: Transactions
    let clock: @Sendable () -> Int64
    let version: String

    static let mediaType = "application/fhir+json; charset=utf-8"

    func register(in api: inout APIBuilder) {
        let clock = clock
        let version = version
        api.add(Self.operation("GET", "/fhir/r4/metadata", "fhirMetadata", "The CapabilityStatement.", .anyone)) { _, _ in
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
        api.add(everythingOperation) { request, context in try await everything(request, context) }
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
