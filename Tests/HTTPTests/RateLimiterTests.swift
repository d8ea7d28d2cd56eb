import HTTP
import Synchronization
import Testing

@Suite("Token bucket rate limiter (injected clock)")
struct RateLimiterTests {
    final class FakeTime: Sendable {
        let nanoseconds = Atomic<UInt64>(1_000_000_000)
        func advance(milliseconds: UInt64) { nanoseconds.add(milliseconds * 1_000_000, ordering: .relaxed) }
        var reader: @Sendable () -> UInt64 { { [self] in nanoseconds.load(ordering: .relaxed) } }
    }

    @Test("spends the burst, refuses with the seconds until the next request, and refills at the rate")
    func burstAndRefill() {
        let time = FakeTime()
        let limiter = RateLimiter<String>(rule: .init(ratePerSecond: 2, burst: 3), now: time.reader)
        #expect((0..<3).allSatisfy { _ in limiter.take("a") == .allowed })
        #expect(limiter.take("a") == .limited(retryAfterSeconds: 1))
        time.advance(milliseconds: 499)
        #expect(limiter.take("a") == .limited(retryAfterSeconds: 1))
        time.advance(milliseconds: 2)
        #expect(limiter.take("a") == .allowed)
        time.advance(milliseconds: 60_000)
        #expect((0..<3).allSatisfy { _ in limiter.take("a") == .allowed }, "refills up to the burst, no further")
        #expect(limiter.take("a") != .allowed)
    }

    @Test("keys are independent, and check does not spend")
    func independentKeys() {
        let time = FakeTime()
        let limiter = RateLimiter<Int>(rule: .init(ratePerSecond: 1.0 / 60, burst: 1), now: time.reader)
        #expect(limiter.check(1) == .allowed)
        #expect(limiter.take(1) == .allowed)
        #expect(limiter.check(1) == .limited(retryAfterSeconds: 60))
        #expect(limiter.take(2) == .allowed)
    }

    @Test("memory stays bounded: refilled buckets are dropped first")
    func bounded() {
        let time = FakeTime()
        let limiter = RateLimiter<Int>(rule: .init(ratePerSecond: 1, burst: 2), maxKeys: 100, now: time.reader)
        for key in 0..<1000 {
            _ = limiter.take(key)
            time.advance(milliseconds: 10)
        }
        #expect(limiter.trackedKeys <= 100)
        #expect(limiter.take(999) == .allowed, "a recent key keeps its state")
        #expect(limiter.take(999) != .allowed)
    }
}
