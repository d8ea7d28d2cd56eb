import HTTP
import Testing

@Suite("Connection timing rules, without sockets or sleeping")
struct ConnectionClockTests {
    static let limits = ConnectionClock.Limits(
        header: .seconds(10), body: .seconds(30), idle: .seconds(15), write: .seconds(20), linger: .seconds(2))
    static let second: UInt64 = 1_000_000_000

    @Test("a new connection must send its head within the header limit")
    func newConnection() {
        let clock = ConnectionClock(limits: Self.limits, acceptedAt: 0)
        #expect(clock.expired(at: 9 * Self.second) == nil)
        #expect(clock.expired(at: 10 * Self.second) == .header)
    }

    @Test("an idle connection expires on the idle limit, and a new request restarts the header clock")
    func idleThenRequest() {
        var clock = ConnectionClock(limits: Self.limits, acceptedAt: 0)
        clock.processingStarted()
        #expect(clock.expired(at: 1000 * Self.second) == nil, "the handler's time is not the client's fault")
        clock.responseCompleted(at: 100 * Self.second)
        #expect(clock.expired(at: 114 * Self.second) == nil)
        #expect(clock.expired(at: 115 * Self.second) == .idle)
        clock.requestStarted(at: 110 * Self.second)
        #expect(clock.phase == .readingHead)
        #expect(clock.expired(at: 115 * Self.second) == nil)
        #expect(clock.expired(at: 120 * Self.second) == .header)
    }

    @Test("the body limit starts when the head is complete")
    func body() {
        var clock = ConnectionClock(limits: Self.limits, acceptedAt: 0)
        clock.bodyStarted(at: 5 * Self.second)
        #expect(clock.expired(at: 34 * Self.second) == nil)
        #expect(clock.expired(at: 35 * Self.second) == .body)
    }

    @Test("requestStarted only matters between requests")
    func requestStartedIgnoredMidRequest() {
        var clock = ConnectionClock(limits: Self.limits, acceptedAt: 0)
        clock.bodyStarted(at: 1 * Self.second)
        clock.requestStarted(at: 2 * Self.second)
        #expect(clock.phase == .readingBody)
    }

    @Test("a blocked write expires on the write limit, restarted by progress")
    func write() {
        var clock = ConnectionClock(limits: Self.limits, acceptedAt: 0)
        clock.processingStarted()
        clock.writeBlocked(at: 1 * Self.second)
        clock.writeBlocked(at: 15 * Self.second)
        #expect(clock.expired(at: 34 * Self.second) == nil)
        #expect(clock.expired(at: 35 * Self.second) == .write)
    }

    @Test("lingering after the final response is bounded and not reset by writes")
    func linger() {
        var clock = ConnectionClock(limits: Self.limits, acceptedAt: 0)
        clock.lingerStarted(at: 10 * Self.second)
        clock.writeBlocked(at: 11 * Self.second)
        #expect(clock.phase == .lingering)
        #expect(clock.expired(at: 12 * Self.second) == .linger)
    }

    @Test("a pipelined request already buffered runs on the header limit")
    func pipelined() {
        var clock = ConnectionClock(limits: Self.limits, acceptedAt: 0)
        clock.processingStarted()
        clock.pipelinedRequestStarted(at: 50 * Self.second)
        #expect(clock.expired(at: 60 * Self.second) == .header)
    }
}
