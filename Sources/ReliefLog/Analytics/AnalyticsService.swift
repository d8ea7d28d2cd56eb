import JSON
import SQLite
import Synchronization

/// Computes and caches the analytics results (API.md "Analytics"); the routes answer them.
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

    init(
        database: DatabasePool, versions: DataVersions, clock: @escaping @Sendable () -> Int64,
        cacheCapacity: Int = 4096
    ) {
        self.database = database
        self.versions = versions
        self.clock = clock
        self.cache = AnalyticsCache(capacity: cacheCapacity)
    }

    /// How many analytics results were computed (not served from cache nor answered 304);
    /// lets tests tell a revalidation from a recomputation without timing.
    var computations: Int { computed.load(ordering: .relaxed) }

    /// A result: the JSON body and its strong entity tag.
    struct Result: Sendable {
        var etag: String
        var body: [UInt8]
    }

    // MARK: Per patient

    /// A per-patient result. `rawQuery` is the request's query string as sent: with the
    /// endpoint and patient it keys the cache.
    func patient(
        _ query: PatientAnalyticsRequest, patientId: Int64, endpoint: String, rawQuery: String
    ) async throws -> Result {
        guard patientId > 0 else { throw AnalyticsError.noSuchPatient }

        let key = "\(endpoint) \(patientId) \(rawQuery)"
        let version = versions.patient(patientId)
        let now = clock()
        // Fast path: the cached entry is of the current data version, so its time zone is
        // still the patient's; it is valid if the parameters still resolve to the same dates.
        if let entry = cache.get(key), entry.version == version {
            let resolved = try query.resolve(zone: .named(entry.timezone), now: now)
            if "tz=\(entry.timezone) \(resolved.canonical)" == entry.resolved {
                return Result(etag: entry.etag, body: entry.body)
            }
        }

        let entry = try await database.read { [self] connection -> AnalyticsCache.Entry in
            let repository = AnalyticsRepository(connection)
            guard let timezone = try repository.timezone(patientId: patientId) else {
                throw AnalyticsError.noSuchPatient
            }
            let zone = Zone.named(timezone)
            let resolved = try query.resolve(zone: zone, now: now)
            let canonical = "tz=\(timezone) \(resolved.canonical)"
            computed.add(1, ordering: .relaxed)
            let body = JSON.serialize(try Self.compute(resolved, patientId: patientId, zone: zone, repository))
            return AnalyticsCache.Entry(
                version: version, timezone: timezone, resolved: canonical, etag: ContentTag.of(body), body: body)
        }
        cache.put(key, entry)
        return Result(etag: entry.etag, body: entry.body)
    }

    private static func compute(
        _ resolved: PatientAnalyticsRequest.Resolved, patientId: Int64, zone: Zone, _ repository: AnalyticsRepository
    ) throws -> JSONValue {
        let day = Timestamp.millisecondsPerDay
        switch resolved {
        case .summary(let window, let today):
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
                sessions: try repository.sessions(patientId: patientId, from: around.from, to: around.to),
                context: try warningContext(patientId: patientId, zone: zone, today: today, repository))
        case .trends(let bucket, let window, let today):
            return TrendsAnalysis.compute(
                patientId: patientId, bucket: bucket, window: window, zone: zone,
                episodes: try repository.episodes(
                    patientId: patientId, from: (window.from - 16) * day, to: (window.to + 1) * day),
                sessions: try repository.sessions(
                    patientId: patientId, from: (window.from - 1) * day, to: (window.to + 1) * day),
                context: try warningContext(patientId: patientId, zone: zone, today: today, repository))
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

    /// Today and the local date of the patient's first entry: a change to the latter is a
    /// write to the patient's data, so it bumps the version the cached result is kept under.
    private static func warningContext(
        patientId: Int64, zone: Zone, today: LocalDay, _ repository: AnalyticsRepository
    ) throws -> WindowWarning.Context {
        WindowWarning.Context(
            today: today, firstEntryDay: try repository.firstEntryAt(patientId: patientId).map { zone.day($0) })
    }

    // MARK: Clinic-wide

    enum ClinicEndpoint: String, Sendable {
        case overview, techniques, therapists
    }

    /// A clinic-wide result.
    func clinic(_ query: ClinicAnalyticsRequest, endpoint: ClinicEndpoint) async throws -> Result {
        let now = clock()
        let window = try query.resolve(now: now)
        let today = Days.utc(now)
        let version = versions.global
        // Of "today", the result depends only on whether the window reaches past it (`future-days`).
        let canonical = "from=\(window.from) to=\(window.to) future=\(window.to > today + 1)"
        let key = "\(endpoint.rawValue) \(canonical)"
        if let entry = cache.get(key), entry.version == version { return Result(etag: entry.etag, body: entry.body) }
        let body = try await database.read { [self] connection -> [UInt8] in
            computed.add(1, ordering: .relaxed)
            return JSON.serialize(
                try Self.compute(endpoint, window: window, today: today, AnalyticsRepository(connection)))
        }
        let entry = AnalyticsCache.Entry(
            version: version, timezone: "UTC", resolved: canonical, etag: ContentTag.of(body), body: body)
        cache.put(key, entry)
        return Result(etag: entry.etag, body: body)
    }

    private static func compute(
        _ endpoint: ClinicEndpoint, window: DayWindow, today: LocalDay, _ repository: AnalyticsRepository
    ) throws -> JSONValue {
        let day = Timestamp.millisecondsPerDay
        let from = window.from * day
        let to = window.to * day
        // Any write bumps the global version the result is cached under, the first entry included.
        let context = WindowWarning.Context(today: today, firstEntryDay: try repository.firstEntryAt().map(Days.utc))
        switch endpoint {
        case .overview:
            return ClinicAnalysis.overview(
                window: window, patients: try repository.patientCount(),
                activeTherapists: try repository.activeTherapistCount(),
                current: try repository.totals(from: from, to: to),
                previous: try repository.totals(from: from - window.days * day, to: from), context: context)
        case .techniques:
            return ClinicAnalysis.techniques(
                window: window, groups: try repository.techniqueGroups(from: from, to: to), context: context)
        case .therapists:
            return ClinicAnalysis.therapists(
                window: window, groups: try repository.therapistGroups(from: from, to: to), context: context)
        }
    }
}
