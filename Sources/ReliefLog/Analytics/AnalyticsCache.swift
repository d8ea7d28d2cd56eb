import Synchronization
import ThreadSupport

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

    private let generations = Locked(Generations())
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
