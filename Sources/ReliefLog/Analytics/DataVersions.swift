import Synchronization

/// In-memory version numbers of the data the analytics read, so that a cached analytics
/// result can be reused (and a poll answered 304) without touching the database.
///
/// Every committed write that can change an analytics result bumps a version *after* its
/// transaction committed. A request reads the version *before* it reads the database, so
/// what it computes is at least as new as the version it is filed under: a stale result can
/// never outlive the bump (at worst a result newer than its version is retired early).
/// Versions come from one monotonic counter, so the maximum of two versions is a version.
///
/// - patient *p*: their episodes, sessions, time zone or existence changed (a record moved
///   between patients changes both);
/// - global: anything at all (clinic-wide results depend on every record).
///
/// Only writes through this process are seen: another process writing the same database
/// file would leave cached analytics stale until this process writes or restarts.
final class DataVersions: Sendable {
    private struct State {
        var clock: UInt64 = 0
        var global: UInt64 = 0
        var patients: [Int64: UInt64] = [:]
    }

    private let state = Mutex(State())

    init() {}

    /// The version of one patient's analytics.
    func patient(_ id: Int64) -> UInt64 {
        state.withLock { $0.patients[id] ?? 0 }
    }

    /// The version of the clinic-wide analytics.
    var global: UInt64 { state.withLock { $0.global } }

    /// After a committed write of a patient record or of episodes/sessions of these patients.
    func patientsChanged(_ ids: some Sequence<Int64>) {
        state.withLock { state in
            state.clock += 1
            for id in ids { state.patients[id] = state.clock }
            state.global = state.clock
        }
    }

    /// After a committed write that only clinic-wide results read (therapists).
    func clinicChanged() {
        state.withLock { state in
            state.clock += 1
            state.global = state.clock
        }
    }
}

/// Recent analytics responses, keyed by endpoint, patient and raw query string.
///
/// Bounded and LRU-ish at O(1): two generations of at most `capacity / 2` entries each; a
/// hit in the old generation is promoted, and when the young one fills up it becomes the
/// old one (dropping the previous old one).
final class AnalyticsCache: Sendable {
    struct Entry: Sendable {
        /// The data version the body was computed at.
        var version: UInt64
        /// The patient's time zone (per-patient endpoints), needed to resolve "today".
        var timezone: String
        /// The resolved parameters (windows included), which also went into the ETag.
        var resolved: String
        var etag: String
        var body: [UInt8]
    }

    private struct Generations {
        var young: [String: Entry] = [:]
        var old: [String: Entry] = [:]
    }

    private let generations = Mutex(Generations())
    let capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = max(2, capacity)
    }

    func get(_ key: String) -> Entry? {
        generations.withLock { g in
            if let entry = g.young[key] { return entry }
            guard let entry = g.old.removeValue(forKey: key) else { return nil }
            Self.insert(key, entry, into: &g, limit: capacity / 2)
            return entry
        }
    }

    func put(_ key: String, _ entry: Entry) {
        generations.withLock { Self.insert(key, entry, into: &$0, limit: capacity / 2) }
    }

    private static func insert(_ key: String, _ entry: Entry, into g: inout Generations, limit: Int) {
        if g.young[key] == nil, g.young.count >= limit {
            g.old = g.young
            g.young = [:]
        }
        g.young[key] = entry
    }

    var count: Int { generations.withLock { $0.young.count + $0.old.count } }
}

extension DataVersions {
    /// After a committed create, change or delete of a record of type `R` that concerned
    /// these patients (for a change: its patient before and after).
    func recordChanged<R: RecordResource>(_ type: R.Type, patients: [Int64?]) {
        if R.self == Therapist.self { return clinicChanged() }
        patientsChanged(patients.compactMap { $0 })
    }
}
