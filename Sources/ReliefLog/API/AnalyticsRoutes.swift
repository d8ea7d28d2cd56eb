import HTTP
import JSON
import SQLite
import Synchronization

/// Computes, caches and answers the analytics endpoints (API.md "Analytics").
///
/// Caching (see `DataVersions`, `AnalyticsCache`): a result depends on (endpoint, patient,
/// resolved parameters — the windows after defaults, which move with "today" — and the data
/// version). A cached result stays valid while the data version and the resolved window are
/// unchanged, so a poll is answered — 304 on a matching `If-None-Match` — without computing
/// and without touching SQLite.
///
/// The ETag is a strong hash of the body itself, never of the version: a read can run between
/// a write's commit and the version bump that follows it, and would then label new data with
/// the old version. Hashing the body keeps one ETag for one set of bytes (RFC 9110 §8.8.1),
/// and the ETag survives restarts.
final class AnalyticsService: Sendable {
    let database: DatabasePool
    let versions: DataVersions
    let cache: AnalyticsCache
    /// Epoch milliseconds (`AppConfiguration.clock`): defines "today".
    let clock: @Sendable () -> Int64
    private let computed = Atomic<Int>(0)

    init(database: DatabasePool, versions: DataVersions, clock: @escaping @Sendable () -> Int64, cacheCapacity: Int = 4096) {
        self.database = database
        self.versions = versions
        self.clock = clock
        self.cache = AnalyticsCache(capacity: cacheCapacity)
    }

    /// How many analytics results were computed (not served from cache nor answered 304);
    /// lets tests tell a revalidation from a recomputation without timing.
    var computations: Int { computed.load(ordering: .relaxed) }

    private static func answer(_ request: HTTPServerRequest, etag: String, body: [UInt8]) -> HTTPResponse {
        if ETag.ifNoneMatchMatches(request, current: etag) { return RecordsRoutes.notModified(etag: etag) }
        return RecordsRoutes.response(body, etag: etag)
    }


    // MARK: Per patient

    /// Answers a per-patient endpoint. `patientId` comes from the path; this is the one place
    /// a patient-scoping check belongs.
    func patient(
        _ request: HTTPServerRequest, patientId: Int64, endpoint: String,
        parse: (inout QueryParameters) -> PatientAnalyticsRequest
    ) async throws -> HTTPResponse {
        var parameters = try QueryParameters(request)
        let query = parse(&parameters)
        try parameters.finish()
        guard patientId > 0 else { throw Self.noSuchPatient }

        let key = "\(endpoint) \(patientId) \(request.head.query ?? "")"
        let version = versions.patient(patientId)
        let now = clock()
        // Fast path: the cached entry is of the current data version, so its time zone is
        // still the patient's; it is valid if the parameters still resolve to the same dates.
        if let entry = cache.get(key), entry.version == version {
            let resolved = try query.resolve(zone: .named(entry.timezone), now: now)
            if "tz=\(entry.timezone) \(resolved.canonical)" == entry.resolved {
                return Self.answer(request, etag: entry.etag, body: entry.body)
            }
        }

        let entry = try await database.read { [self] connection -> AnalyticsCache.Entry in
            let repository = AnalyticsRepository(connection)
            guard let timezone = try repository.timezone(patientId: patientId) else { throw Self.noSuchPatient }
            let zone = Zone.named(timezone)
            let resolved = try query.resolve(zone: zone, now: now)
            let canonical = "tz=\(timezone) \(resolved.canonical)"
            computed.add(1, ordering: .relaxed)
            let body = JSON.serialize(try Self.compute(resolved, patientId: patientId, zone: zone, repository))
            return AnalyticsCache.Entry(
                version: version, timezone: timezone, resolved: canonical, etag: ETag.of(body), body: body)
        }
        cache.put(key, entry)
        return Self.answer(request, etag: entry.etag, body: entry.body)
    }

    static let noSuchPatient = Problem.notFound("No such patient.")

    private static func compute(
        _ resolved: PatientAnalyticsRequest.Resolved, patientId: Int64, zone: Zone, _ repository: AnalyticsRepository
    ) throws -> JSONValue {
        let day = Timestamp.millisecondsPerDay
        switch resolved {
        case .summary(let window):
            // Episodes up to 16 days before the window may cover its dates (at most 14 days
            // long, plus the widest UTC offsets); a day of margin either side for the rest.
            let around = (from: (window.from - 1) * day, to: (window.to + 1) * day)
            // Triggers and symptoms are counted over the exact instants of the window, which lie
            // inside `around` (UTC offsets are under a day), so one read covers all three.
            let exact = zone.start(of: window.from)..<zone.start(of: window.to)
            let read = try repository.summaryEpisodes(
                patientId: patientId, range: (window.from - 16) * day..<around.to,
                tagRange: exact, classRange: around.from..<around.to)
            return SummaryAnalysis.compute(
                patientId: patientId, window: window, zone: zone, episodes: read.episodes, tags: read.tags,
                sessions: try repository.sessions(patientId: patientId, from: around.from, to: around.to))
        case .trends(let bucket, let window):
            return TrendsAnalysis.compute(
                patientId: patientId, bucket: bucket, window: window, zone: zone,
                episodes: try repository.episodes(patientId: patientId, from: (window.from - 16) * day, to: (window.to + 1) * day),
                sessions: try repository.sessions(patientId: patientId, from: (window.from - 1) * day, to: (window.to + 1) * day))
        case .massageEffect(let end, let baselineDays, let windowDays):
            guard let first = try repository.firstSessionAt(patientId: patientId) else {
                return MassageEffectAnalysis.compute(
                    patientId: patientId, zone: zone, firstSessionAt: nil, end: end, baselineDays: baselineDays,
                    windowDays: windowDays, episodes: [], sessions: [])
            }
            let firstDay = zone.day(first)
            let last = max(end, firstDay)
            // Sessions dated before `end` start before (end + 1) days UTC; episodes are counted
            // up to 72 h after them.
            return MassageEffectAnalysis.compute(
                patientId: patientId, zone: zone, firstSessionAt: first, end: end, baselineDays: baselineDays,
                windowDays: windowDays,
                episodes: try repository.episodes(
                    patientId: patientId, from: (firstDay - baselineDays - 16) * day, to: (last + 5) * day),
                sessions: try repository.sessions(
                    patientId: patientId, from: (firstDay - 1) * day, to: (last + 1) * day, techniques: true))
        }
    }

    // MARK: Clinic-wide

    enum ClinicEndpoint: String, Sendable {
        case overview, techniques, therapists
    }

    /// Answers a clinic-wide endpoint.
    func clinic(_ request: HTTPServerRequest, endpoint: ClinicEndpoint) async throws -> HTTPResponse {
        var parameters = try QueryParameters(request)
        let query = ClinicAnalyticsRequest(from: parameters.dateParameter("from"), to: parameters.dateParameter("to"))
        try parameters.finish()
        let window = try query.resolve(now: clock())
        let version = versions.global
        let canonical = "from=\(window.from) to=\(window.to)"
        let key = "\(endpoint.rawValue) \(canonical)"
        if let entry = cache.get(key), entry.version == version {
            return Self.answer(request, etag: entry.etag, body: entry.body)
        }
        let body = try await database.read { [self] connection -> [UInt8] in
            computed.add(1, ordering: .relaxed)
            return JSON.serialize(try Self.compute(endpoint, window: window, AnalyticsRepository(connection)))
        }
        let entry = AnalyticsCache.Entry(version: version, timezone: "UTC", resolved: canonical, etag: ETag.of(body), body: body)
        cache.put(key, entry)
        return Self.answer(request, etag: entry.etag, body: body)
    }

    private static func compute(_ endpoint: ClinicEndpoint, window: DayWindow, _ repository: AnalyticsRepository) throws -> JSONValue {
        let day = Timestamp.millisecondsPerDay
        let from = window.from * day
        let to = window.to * day
        switch endpoint {
        case .overview:
            return ClinicAnalysis.overview(
                window: window, patients: try repository.patientCount(),
                activeTherapists: try repository.activeTherapistCount(),
                current: try repository.totals(from: from, to: to),
                previous: try repository.totals(from: from - window.days * day, to: from))
        case .techniques:
            return ClinicAnalysis.techniques(window: window, groups: try repository.techniqueGroups(from: from, to: to))
        case .therapists:
            return ClinicAnalysis.therapists(window: window, groups: try repository.therapistGroups(from: from, to: to))
        }
    }
}

/// Registers the analytics endpoints.
struct AnalyticsRoutes {
    /// The path's patient, if the caller may see them: another patient's analytics are 404 to a
    /// patient token, exactly as a patient that does not exist.
    static func reachablePatient(_ context: APIContext) throws -> Int64 {
        let patientId: Int64 = try context.parameters.require("id")
        context.audit(resource: patientId, patient: patientId)
        guard context.authenticated.reaches(patient: patientId) else { throw AnalyticsService.noSuchPatient }
        return patientId
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
                "to", "End of the window (exclusive): a date, or a timestamp standing for its date in the patient's time zone.",
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
                    .problem(400, "A malformed, out-of-range or unknown query parameter, or an empty or too long window (the field names it)."),
                    .problem(404, "No such patient."),
                ])
        }

        api.add(patientOperation(
            "summary", "getPatientAnalyticsSummary",
            "Migraine days, intensity, triggers, symptoms, medication use and sessions over a window (default: the 28 local days ending today).",
            windowParameters, "AnalyticsSummary")
        ) { request, context in
            try await service.patient(request, patientId: try AnalyticsRoutes.reachablePatient(context), endpoint: "summary") { p in
                .summary(from: p.dateParameter("from"), to: p.dateParameter("to"))
            }
        }

        api.add(patientOperation(
            "trends", "getPatientAnalyticsTrends",
            "Per-day, ISO-week or month buckets with least-squares trends (default: 28 days, 26 weeks or 12 months including the current one).",
            [.query("bucket", "Bucket size (default week).", ["type": "string", "enum": ["day", "week", "month"], "default": "week"])]
                + windowParameters,
            "AnalyticsTrends")
        ) { request, context in
            try await service.patient(request, patientId: try AnalyticsRoutes.reachablePatient(context), endpoint: "trends") { p in
                .trends(
                    bucket: p.oneOf("bucket", TrendBucket.allCases.map(\.rawValue)).flatMap(TrendBucket.init(rawValue:)) ?? .week,
                    from: p.dateParameter("from"), to: p.dateParameter("to"))
            }
        }

        let days = AnalyticsLimits.comparisonDays
        api.add(patientOperation(
            "massage-effect", "getPatientAnalyticsMassageEffect",
            "Baseline before the first session against a follow-up window, with per-session and per-technique figures.",
            [
                .query(
                    "baselineDays", "Local days before the first session's date (default 28).",
                    ["type": "integer", "minimum": JSONValue(days.lowerBound), "maximum": JSONValue(days.upperBound), "default": 28]),
                .query(
                    "windowDays", "Local days of the follow-up, ending at to (default 28).",
                    ["type": "integer", "minimum": JSONValue(days.lowerBound), "maximum": JSONValue(days.upperBound), "default": 28]),
                .query(
                    "to",
                    "End of the follow-up (exclusive; default: end of today): a date, or a timestamp standing for its date in the patient's time zone.",
                    OpenAPI.analyticsDateSchema),
            ],
            "AnalyticsMassageEffect")
        ) { request, context in
            try await service.patient(request, patientId: try AnalyticsRoutes.reachablePatient(context), endpoint: "massage-effect") { p in
                .massageEffect(
                    baselineDays: Int64(p.int("baselineDays", days) ?? 28), windowDays: Int64(p.int("windowDays", days) ?? 28),
                    to: p.dateParameter("to"))
            }
        }

        let clinicWindow: [ParameterSpec] = [
            .query("from", "First UTC date of the window (inclusive): a date, or a timestamp standing for its UTC date.", OpenAPI.analyticsDateSchema),
            .query("to", "End of the window (exclusive): a UTC date, or a timestamp standing for its UTC date.", OpenAPI.analyticsDateSchema),
        ]
        let clinic: [(AnalyticsService.ClinicEndpoint, String, String, String)] = [
            (.overview, "getAnalyticsOverview",
             "Clinic-wide counts and means over a window of UTC dates (default: the 28 days ending today), with the window before it.",
             "AnalyticsOverview"),
            (.techniques, "getAnalyticsTechniques", "Sessions per massage technique over a window of UTC dates.", "AnalyticsTechniques"),
            (.therapists, "getAnalyticsTherapists", "Professional sessions per therapist over a window of UTC dates.", "AnalyticsTherapists"),
        ]
        for (endpoint, operationId, summary, schema) in clinic {
            api.add(
                Operation(
                    method: "GET", path: "/v1/analytics/\(endpoint.rawValue)", operationId: operationId, summary: summary,
                    // Aggregates over every patient's data: audited, without a patient id.
                    tag: "analytics", access: .roles([.admin, .clinician], patientData: true),
                    parameters: clinicWindow + [OpenAPI.ifNoneMatchParameter],
                    responses: [
                        .json(200, "The analysis.", OpenAPI.ref(schema), headers: etagHeader),
                        notModified,
                        .problem(400, "A malformed or unknown query parameter, or an empty or too long window (the field names it)."),
                    ])
            ) { request, _ in
                try await service.clinic(request, endpoint: endpoint)
            }
        }
    }
}
