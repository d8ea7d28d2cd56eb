import Foundation
import ReliefLog
import Synchronization
import TestSupport
import Testing

/// A clock the test moves by hand, in epoch milliseconds.
final class ManualClock: Sendable {
    private let milliseconds: Mutex<Int64>

    init(_ start: Int64) { milliseconds = Mutex(start) }

    var now: Int64 { milliseconds.withLock { $0 } }

    func advance(by delta: Int64) { milliseconds.withLock { $0 += delta } }

    /// The clock as the configuration takes it.
    var reader: @Sendable () -> Int64 { { [self] in now } }
}

@Suite("Idempotency-Key expiry with an injected clock")
struct IdempotencyExpiryTests {
    @Test("an idempotency key expires after 24 hours")
    func keyExpires() async throws {
        let clock = ManualClock(1_790_000_000_000)
        let app = try TestApp { $0.clock = clock.reader }
        do {
            let client = try app.client()
            let patientId = try await client.createPatient()
            // One hour before the controlled "now", rendered in UTC.
            let startedAt = PropertyTimestamp.format(clock.now - 3_600_000, offsetMinutes: 0, fractionDigits: 0)
            let body = #"{"patientId": \#(patientId), "startedAt": "\#(startedAt)", "intensity": 6}"#
            let key = [("Idempotency-Key", "k1")]

            let first = try await client.post("/v1/episodes", body, headers: key)
            try #require(first.status == 201, "\(first.text)")
            let a = try #require(first.object["id"] as? Int)

            let replay = try await client.post("/v1/episodes", body, headers: key)
            #expect(replay.status == 201)
            #expect(replay.object["id"] as? Int == a)
            #expect(replay.header("Idempotent-Replayed") == "true")
            #expect(try await client.listIds("/v1/episodes?limit=500").ids == [a], "a replay adds no row")

            // Before expiry, the same key with another body is refused.
            clock.advance(by: 24 * 3_600_000 - 1)
            let otherBody = #"{"patientId": \#(patientId), "startedAt": "\#(startedAt)", "intensity": 7}"#
            let reused = try await client.post("/v1/episodes", otherBody, headers: key)
            #expect(reused.status == 422)
            #expect(reused.header("Content-Type") == "application/problem+json")
            #expect(try await client.listIds("/v1/episodes?limit=500").ids == [a])

            // 24 hours and 1 millisecond after the first request the key is forgotten.
            clock.advance(by: 2)
            let later = try await client.post("/v1/episodes", body, headers: key)
            #expect(later.status == 201, "\(later.text)")
            #expect(later.header("Idempotent-Replayed") == nil)
            let b = try #require(later.object["id"] as? Int)
            #expect(b != a)
            #expect(Set(try await client.listIds("/v1/episodes?limit=500").ids) == [a, b])
        } catch {
            await app.stop()
            throw error
        }
        await app.stop()
    }
}
