import Dispatch
import Synchronization

/// Token buckets keyed by client (an address, a credential): each key may spend `burst`
/// requests at once and earns `ratePerSecond` back, continuously.
///
/// Time is injected (monotonic nanoseconds), so the arithmetic is tested without sleeping.
/// Memory is bounded: past `maxKeys` buckets, those that have refilled completely (and so
/// carry no information) are dropped; if all are still draining, the oldest-touched half goes.
public final class RateLimiter<Key: Hashable & Sendable>: Sendable {
    public struct Rule: Sendable, Hashable {
        public var ratePerSecond: Double
        public var burst: Double

        public init(ratePerSecond: Double, burst: Double) {
            precondition(ratePerSecond > 0 && burst >= 1, "a rate limit needs a positive rate and a burst of at least 1")
            self.ratePerSecond = ratePerSecond
            self.burst = burst
        }
    }

    public enum Decision: Sendable, Equatable {
        case allowed
        /// Refused; a request may succeed again after this many whole seconds (`Retry-After`).
        case limited(retryAfterSeconds: Int)
    }

    private struct Bucket {
        var tokens: Double
        var updatedAt: UInt64
    }

    public let rule: Rule
    private let maxKeys: Int
    private let now: @Sendable () -> UInt64
    private let buckets = Mutex<[Key: Bucket]>([:])

    public init(rule: Rule, maxKeys: Int = 10_000, now: @escaping @Sendable () -> UInt64 = RateLimiter.monotonicNanoseconds) {
        self.rule = rule
        self.maxKeys = maxKeys
        self.now = now
    }

    /// Spends one request of `key`'s bucket, or says how long until one is available.
    public func take(_ key: Key) -> Decision {
        spend(key, cost: 1, peekOnly: false)
    }

    /// Whether `key` could spend a request now, without spending it.
    public func check(_ key: Key) -> Decision {
        spend(key, cost: 1, peekOnly: true)
    }

    /// Number of keys tracked (for tests and metrics).
    public var trackedKeys: Int { buckets.withLock { $0.count } }

    private func spend(_ key: Key, cost: Double, peekOnly: Bool) -> Decision {
        let time = now()
        return buckets.withLock { buckets -> Decision in
            var bucket = buckets[key].map { refilled($0, at: time) } ?? Bucket(tokens: rule.burst, updatedAt: time)
            guard bucket.tokens >= cost else {
                if !peekOnly { buckets[key] = bucket }
                let seconds = (cost - bucket.tokens) / rule.ratePerSecond
                return .limited(retryAfterSeconds: max(1, Int(seconds.rounded(.up))))
            }
            if peekOnly { return .allowed }
            bucket.tokens -= cost
            if buckets[key] == nil && buckets.count >= maxKeys { prune(&buckets, at: time) }
            buckets[key] = bucket
            return .allowed
        }
    }

    private func refilled(_ bucket: Bucket, at time: UInt64) -> Bucket {
        let elapsed = Double(time &- bucket.updatedAt) / 1_000_000_000
        guard time > bucket.updatedAt else { return bucket }
        return Bucket(tokens: min(rule.burst, bucket.tokens + elapsed * rule.ratePerSecond), updatedAt: time)
    }

    private func prune(_ buckets: inout [Key: Bucket], at time: UInt64) {
        buckets = buckets.filter { refilled($0.value, at: time).tokens < rule.burst }
        if buckets.count >= maxKeys {
            let keep = buckets.sorted { $0.value.updatedAt > $1.value.updatedAt }.prefix(maxKeys / 2)
            buckets = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }

    @Sendable public static func monotonicNanoseconds() -> UInt64 {
        DispatchTime.now().uptimeNanoseconds
    }
}
