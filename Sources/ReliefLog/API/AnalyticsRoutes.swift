import HTTP
import JSON

/// Registers the analytics endpoints.
struct AnalyticsRoutes {
    /// The path's patient, if the caller may see them: another patient's analytics are 404 to a
    /// patient token, exactly as a patient that does not exist.
    static func reachablePatient(_ context: APIContext) throws -> Int64 {
        let patientId: Int64 = try context.parameters.require("id")
        context.audit(resource: patientId, patient: patientId)
        guard context.authenticated.reaches(patient: patientId) else { throw AnalyticsError.noSuchPatient }
        return patientId
    }

    /// Parses the query string, asks the service, and answers 304 when the client's copy is current.
    static func answer(
        _ request: HTTPServerRequest, _ compute: (inout QueryParameters) async throws -> AnalyticsService.Result
    ) async throws -> HTTPResponse {
        var parameters = try QueryParameters(request)
        let result = try await compute(&parameters)
        if ETag.ifNoneMatchMatches(request, current: result.etag) { return Responses.notModified(etag: result.etag) }
        return Responses.json(result.body, etag: result.etag)
    }

    /// A per-patient result for the path's patient, with the query `parse` reads.
    static func patient(
        _ service: AnalyticsService, _ request: HTTPServerRequest, _ context: APIContext, endpoint: String,
        parse: @escaping (inout QueryParameters) -> PatientAnalyticsRequest
    ) async throws -> HTTPResponse {
        let patientId = try reachablePatient(context)
        return try await answer(request) { parameters in
            let query = parse(&parameters)
            try parameters.finish()
            return try await service.patient(
                query, patientId: patientId, endpoint: endpoint, rawQuery: request.head.query ?? "")
        }
    }

    let service: AnalyticsService

    func register(in api: inout APIBuilder) {
        let service = service
        let patientId = ParameterSpec(
            name: "id", location: .path, required: true, description: "The patient's id.", schema: OpenAPI.idSchema)
        let etagHeader = ["ETag": "Changes whenever the data behind this result (or its default window) changes."]
        let notModified = ResponseSpec.empty(304, "The copy named by If-None-Match is current.", headers: etagHeader)
        let windowParameters: [ParameterSpec] = [
            .query(
                "from",
                "First day of the window (inclusive): a date, or a timestamp standing for its date in the patient's time zone.",
                OpenAPI.analyticsDateSchema),
            .query(
                "to",
                "End of the window (exclusive): a date, or a timestamp standing for its date in the patient's time zone.",
                OpenAPI.analyticsDateSchema),
        ]

        func patientOperation(
            _ path: String, _ operationId: String, _ summary: String, _ parameters: [ParameterSpec], _ schema: String
        ) -> Operation {
            Operation(
                method: "GET", path: "/v1/patients/{id}/analytics/\(path)", operationId: operationId, summary: summary,
                tag: "analytics", access: .roles([.admin, .clinician, .patient], patientData: true),
                parameters: [patientId] + parameters + [OpenAPI.ifNoneMatchParameter],
                responses: [
                    .json(200, "The analysis.", OpenAPI.ref(schema), headers: etagHeader),
                    notModified,
                    .problem(
                        400,
                        "A malformed, out-of-range or unknown query parameter, or an empty or too long window (the field names it)."
                    ),
                    .problem(404, "No such patient."),
                ])
        }

        api.add(
            patientOperation(
                "summary", "getPatientAnalyticsSummary",
                "Migraine days, intensity, triggers, symptoms, medication use and sessions over a window (default: the 28 local days ending today).",
                windowParameters, "AnalyticsSummary")
        ) { request, context in
            try await AnalyticsRoutes.patient(service, request, context, endpoint: "summary") { p in
                .summary(from: p.dateParameter("from"), to: p.dateParameter("to"))
            }
        }

        api.add(
            patientOperation(
                "trends", "getPatientAnalyticsTrends",
                "Per-day, ISO-week or month buckets with least-squares trends (default: 28 days, 26 weeks or 12 months including the current one).",
                [
                    .query(
                        "bucket", "Bucket size (default week).",
                        ["type": "string", "enum": ["day", "week", "month"], "default": "week"])
                ]
                    + windowParameters,
                "AnalyticsTrends")
        ) { request, context in
            try await AnalyticsRoutes.patient(service, request, context, endpoint: "trends") { p in
                .trends(
                    bucket: p.oneOf("bucket", TrendBucket.allCases.map(\.rawValue)).flatMap(TrendBucket.init(rawValue:))
                        ?? .week,
                    from: p.dateParameter("from"), to: p.dateParameter("to"))
            }
        }

        let days = AnalyticsLimits.comparisonDays
        api.add(
            patientOperation(
                "massage-effect", "getPatientAnalyticsMassageEffect",
                "Baseline before the first session against a follow-up window, with per-session and per-technique figures.",
                [
                    .query(
                        "baselineDays", "Local days before the first session's date (default 28).",
                        [
                            "type": "integer", "minimum": JSONValue(days.lowerBound),
                            "maximum": JSONValue(days.upperBound), "default": 28,
                        ]),
                    .query(
                        "windowDays", "Local days of the follow-up, ending at to (default 28).",
                        [
                            "type": "integer", "minimum": JSONValue(days.lowerBound),
                            "maximum": JSONValue(days.upperBound), "default": 28,
                        ]),
                    .query(
                        "to",
                        "End of the follow-up (exclusive; default: end of today): a date, or a timestamp standing for its date in the patient's time zone.",
                        OpenAPI.analyticsDateSchema),
                ],
                "AnalyticsMassageEffect")
        ) { request, context in
            try await AnalyticsRoutes.patient(service, request, context, endpoint: "massage-effect") { p in
                .massageEffect(
                    baselineDays: Int64(p.int("baselineDays", days) ?? 28),
                    windowDays: Int64(p.int("windowDays", days) ?? 28),
                    to: p.dateParameter("to"))
            }
        }

        let clinicWindow: [ParameterSpec] = [
            .query(
                "from", "First UTC date of the window (inclusive): a date, or a timestamp standing for its UTC date.",
                OpenAPI.analyticsDateSchema),
            .query(
                "to", "End of the window (exclusive): a UTC date, or a timestamp standing for its UTC date.",
                OpenAPI.analyticsDateSchema),
        ]
        let clinic: [(AnalyticsService.ClinicEndpoint, String, String, String)] = [
            (
                .overview, "getAnalyticsOverview",
                "Clinic-wide counts and means over a window of UTC dates (default: the 28 days ending today), with the window before it.",
                "AnalyticsOverview"
            ),
            (
                .techniques, "getAnalyticsTechniques", "Sessions per massage technique over a window of UTC dates.",
                "AnalyticsTechniques"
            ),
            (
                .therapists, "getAnalyticsTherapists",
                "Professional sessions per therapist over a window of UTC dates.", "AnalyticsTherapists"
            ),
        ]
        for (endpoint, operationId, summary, schema) in clinic {
            api.add(
                Operation(
                    method: "GET", path: "/v1/analytics/\(endpoint.rawValue)", operationId: operationId,
                    summary: summary,
                    // Aggregates over every patient's data: audited, without a patient id.
                    tag: "analytics", access: .roles([.admin, .clinician], patientData: true),
                    parameters: clinicWindow + [OpenAPI.ifNoneMatchParameter],
                    responses: [
                        .json(200, "The analysis.", OpenAPI.ref(schema), headers: etagHeader),
                        notModified,
                        .problem(
                            400,
                            "A malformed or unknown query parameter, or an empty or too long window (the field names it)."
                        ),
                    ])
            ) { request, _ in
                try await AnalyticsRoutes.answer(request) { parameters in
                    let query = ClinicAnalyticsRequest(
                        from: parameters.dateParameter("from"), to: parameters.dateParameter("to"))
                    try parameters.finish()
                    return try await service.clinic(query, endpoint: endpoint)
                }
            }
        }
    }
}

extension QueryParameters {
    /// A date (`YYYY-MM-DD`) or an RFC 3339 timestamp; errors are collected as usual.
    mutating func dateParameter(_ name: String) -> DateParameter? {
        guard let instant = dateOrTimestamp(name), let text = string(name) else { return nil }
        // `Timestamp.parseDateOrTimestamp` reads exactly the 10-byte values as dates.
        return text.utf8.count == 10
            ? .date(Days.floorDivide(instant, Timestamp.millisecondsPerDay)) : .instant(instant)
    }
}
