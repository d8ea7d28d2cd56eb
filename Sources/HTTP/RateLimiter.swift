import Dispatch
// Public: the inlinable per-request path below locks a Mutex in the caller's module.
public import Synchronization

/// Token buckets keyed by client (an address, a credential): each key may spend `burst`
/// requests at once and earns `ratePerSecond` back, continuously.
///
/// Time is injected (monotonic nanoseconds), so the arithmetic is tested without sleeping.
/// Memory is bounded: past `maxKeys` buckets, those that have refilled completely (and so
/// carry no information) are dropped; if all are still draining, the oldest-touched half goes.
///
/// The per-request path is `@inlinable` so that callers in other modules get it specialized
/// for their key type: unspecialized, every call looked up generic metadata at run time, which
/// a profile showed costing more than the bucket arithmetic itself.
public final class RateLimiter<Key: Hashable & Sendable>: Sendable {
    public struct Rule: Sendable, Hashable {
        public var ratePerSecond: Double
        public var burst: Double

        public init(ratePerSecond: Double, burst: Double) {
            precondition(
                ratePerSecond > 0 && burst >= 1, "a rate limit needs a positive rate and a burst of at least 1")
            self.ratePerSecond = ratePerSecond
            self.burst = burst
        }
    }

    public enum Decision: Sendable, Equatable {
        case allowed
        /// Refused; a request may succeed again after this many whole seconds (`Retry-After`).
        case limited(retryAfterSeconds: Int)
    }

    @usableFromInline
    struct Bucket {
        @usableFromInline var tokens: Double
        @usableFromInline var updatedAt: UInt64

        @inlinable
        init(tokens: Double, updatedAt: UInt64) {
            self.tokens = tokens
            self.updatedAt = updatedAt
        }
    }

    public let rule: Rule
    @usableFromInline let maxKeys: Int
    /// The limiter's clock; callers that consult several limiters read it once and pass the
    /// time to `take(_:at:)` and `check(_:at:)`.
    public let now: @Sendable () -> UInt64
    @usableFromInline let buckets = Mutex<[Key: Bucket]>([:])

    public init(
        rule: Rule, maxKeys: Int = 10_000, now: @escaping @Sendable () -> UInt64 = RateLimiter.monotonicNanoseconds
    ) {
        self.rule = rule
        self.maxKeys = maxKeys
        self.now = now
    }

    /// Spends one request of `key`'s bucket, or says how long until one is available.
    @inlinable
    public func take(_ key: Key) -> Decision {
        spend(key, cost: 1, peekOnly: false, at: now())
    }

    /// `take(_:)` at a time the caller read from `now`.
    @inlinable
    public func take(_ key: Key, at time: UInt64) -> Decision {
        spend(key, cost: 1, peekOnly: false, at: time)
    }

    /// Whether `key` could spend a request now, without spending it.
    @inlinable
    public func check(_ key: Key) -> Decision {
        spend(key, cost: 1, peekOnly: true, at: now())
    }

    /// `check(_:)` at a time the caller read from `now`.
    @inlinable
    public func check(_ key: Key, at time: UInt64) -> Decision {
        spend(key, cost: 1, peekOnly: true, at: time)
    }

    /// Number of keys tracked (for tests and metrics).
    public var trackedKeys: Int { buckets.withLock { $0.count } }

    @inlinable
    func spend(_ key: Key, cost: Double, peekOnly: Bool, at time: UInt64) -> Decision {
        buckets.withLock { buckets -> Decision in
            // One hash of the key on the common path: a known key's bucket is updated in place.
            guard let index = buckets.index(forKey: key) else {
                let bucket = Bucket(tokens: rule.burst - (peekOnly ? 0 : cost), updatedAt: time)
                guard bucket.tokens >= 0 else { return limited(needing: cost, having: rule.burst) }
                if !peekOnly {
                    if buckets.count >= maxKeys { prune(&buckets, at: time) }
                    buckets[key] = bucket
                }
                return .allowed
            }
            var bucket = refilled(buckets.values[index], at: time)
            guard bucket.tokens >= cost else {
                if !peekOnly { buckets.values[index] = bucket }
                return limited(needing: cost, having: bucket.tokens)
            }
            if peekOnly { return .allowed }
            bucket.tokens -= cost
            buckets.values[index] = bucket
            return .allowed
        }
    }

    @inlinable
    func limited(needing cost: Double, having tokens: Double) -> Decision {
        let seconds = (cost - tokens) / rule.ratePerSecond
        return .limited(retryAfterSeconds: max(1, Int(seconds.rounded(.up))))
    }

    @inlinable
    func refilled(_ bucket: Bucket, at time: UInt64) -> Bucket {
        let elapsed = Double(time &- bucket.updatedAt) / 1_000_000_000
        guard time > bucket.updatedAt else { return bucket }
        return Bucket(tokens: min(rule.burst, bucket.tokens + elapsed * rule.ratePerSecond), updatedAt: time)
    }

    @usableFromInline
    func prune(_ buckets: inout [Key: Bucket], at time: UInt64) {
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
