import HTTP
import JSON

/// `GET /v1/patients/{id}/report`: the printable report for the doctor (`ReportPage`), with the
/// access of the patient's analytics (a patient token reaches only its own; audited as patient
/// data). Its numbers are the analytics endpoints' bodies for the same window, asked of the
/// same `AnalyticsService`, so the report and the JSON cannot disagree.
struct ReportRoutes {
    /// The longest window a report covers: two years still print on a few pages.
    static let maximumDays: Int64 = 731

    let service: AnalyticsService

    func register(in api: inout APIBuilder) {
        let service = service
        api.add(
            Operation(
                method: "GET", path: "/v1/patients/{id}/report", operationId: "getPatientReport",
                summary:
                    "A printable HTML report for the doctor (default: the 12 calendar months up to today): calendar, monthly migraine days against the baseline, medication days with the ICHD-3 flags, triggers, symptoms, massage before/after; no script.",
                tag: "analytics", access: .roles([.admin, .clinician, .patient], patientData: true),
                parameters: [
                    ParameterSpec(
                        name: "id", location: .path, required: true, description: "The patient's id.",
                        schema: OpenAPI.idSchema),
                    .query(
                        "from",
                        "First day (inclusive; default: the first day of the month 11 months ago): a date, or a timestamp standing for its date in the patient's time zone.",
                        OpenAPI.analyticsDateSchema),
                    .query(
                        "to",
                        "End (exclusive; default: tomorrow, so today is the last day); at most \(Self.maximumDays) days after from.",
                        OpenAPI.analyticsDateSchema),
                    OpenAPI.ifNoneMatchParameter,
                ],
                responses: [
                    ResponseSpec(
                        status: "200", description: "The report page.", contentType: "text/html; charset=utf-8",
                        schema: ["type": "string"], headers: ["ETag": "A strong tag of the page's bytes."]),
                    .empty(304, "The copy named by If-None-Match is current.", headers: ["ETag": "As for 200."]),
                    .problem(
                        400,
                        "A malformed or unknown query parameter, or an empty or too long window (the field names it)."),
                    .problem(404, "No such patient."),
                ]
                // A year of calendar and tables is rendered on the handler's own thread.
            ).placed(.concurrentPool)
        ) { request, context in
            let patientId = try AnalyticsRoutes.reachablePatient(context)
            var parameters = try QueryParameters(request)
            let from = parameters.dateParameter("from")
            let to = parameters.dateParameter("to")
            try parameters.finish()
            let html = try await ReportRoutes.render(service, patientId: patientId, from: from, to: to)
            let body = Array(html.utf8)
            let etag = ETag.of(body)
            var headers = HTTPHeaders()
            headers.add("ETag", etag)
            headers.add("Cache-Control", "no-store")
            headers.add("Content-Security-Policy", ReportPage.contentSecurityPolicy)
            headers.add("Referrer-Policy", "no-referrer")
            headers.add("X-Frame-Options", "DENY")
            if ETag.ifNoneMatchMatches(request, current: etag) { return .empty(status: 304, headers: headers) }
            headers.add("Content-Type", "text/html; charset=utf-8")
            return HTTPResponse(status: 200, headers: headers, body: body)
        }
    }

    /// Resolves the window in the patient's zone, asks the analytics service for each figure
    /// exactly as the endpoints would, and renders the page.
    static func render(
        _ service: AnalyticsService, patientId: Int64, from: DateParameter?, to: DateParameter?
    ) async throws -> String {
        let header = try await service.database.read { connection in
            try AnalyticsRepository(connection).nameAndTimezone(patientId: patientId)
        }
        guard let header else { throw AnalyticsError.noSuchPatient }
        let zone = Zone.named(header.timezone)
        let today = zone.day(service.clock())
        let window = try resolveWindow(
            from: from, to: to, zone: zone,
            defaults: DayWindow(from: Days.addMonths(Days.monthStart(today), -11), to: today + 1))
        guard window.days <= maximumDays else {
            throw AnalyticsError.invalidWindow(
                field: from != nil ? "from" : "to", message: "a report covers at most \(maximumDays) days")
        }
        let dates = (from: DateParameter.date(window.from), to: DateParameter.date(window.to))
        func ask(_ query: PatientAnalyticsRequest, _ endpoint: String, _ rawQuery: String) async throws -> JSONValue {
            let result = try await service.patient(query, patientId: patientId, endpoint: endpoint, rawQuery: rawQuery)
            return try JSON.parse(result.body)
        }
        let range = "from=\(Days.format(window.from))&to=\(Days.format(window.to))"
        let figures = ReportPage.Figures(
            summary: try await ask(.summary(from: dates.from, to: dates.to), "summary", range),
            months: try await ask(
                .trends(bucket: .month, from: dates.from, to: dates.to), "trends", "bucket=month&" + range),
            days: try await ask(.trends(bucket: .day, from: dates.from, to: dates.to), "trends", "bucket=day&" + range),
            massageEffect: try await ask(
                .massageEffect(baselineDays: 28, windowDays: 28, to: dates.to), "massage-effect",
                "to=\(Days.format(window.to))"))
        return ReportPage(
            patientId: patientId, displayName: header.name, timezone: header.timezone, figures: figures
        ).render()
    }
}
