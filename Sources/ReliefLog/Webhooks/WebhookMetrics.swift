import Synchronization
import ThreadSupport

/// Delivery counters and histograms for `/metrics`. Labels are fixed words (the outcome), never
/// webhook URLs, event contents or patient ids.
final class WebhookMetrics: Sendable {
    static let attemptBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30]
    static let lagBuckets: [Double] = [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300, 1800, 7200, 36000, 86400]

    private struct Histogram {
        var buckets: [Int]
        var count = 0
        var sum = 0.0

        init(_ bounds: [Double]) { buckets = Array(repeating: 0, count: bounds.count) }

        mutating func observe(_ value: Double, _ bounds: [Double]) {
            if let index = bounds.firstIndex(where: { value <= $0 }) { buckets[index] += 1 }
            count += 1
            sum += value
        }
    }

    private struct Storage {
        var outcomes: [String: Int] = ["delivered": 0, "retrying": 0, "failed": 0]
        var attempts = Histogram(WebhookMetrics.attemptBuckets)
        var lag = Histogram(WebhookMetrics.lagBuckets)
    }

    private let storage = Locked(Storage())

    /// One attempt's outcome: `delivered`, `retrying` (failed, another attempt is scheduled) or
    /// `failed` (no further automatic attempt).
    func count(_ outcome: String) {
        storage.withLock { $0.outcomes[outcome, default: 0] += 1 }
    }

    /// The time one HTTP attempt took.
    func observeAttempt(seconds: Double) {
        storage.withLock { $0.attempts.observe(seconds, Self.attemptBuckets) }
    }

    /// The time from the event's commit to its successful delivery.
    func observeLag(seconds: Double) {
        storage.withLock { $0.lag.observe(seconds, Self.lagBuckets) }
    }

    /// The exposition text; `queueDepth` is the number of pending deliveries.
    func render(queueDepth: Int?) -> String {
        let snapshot = storage.withLock { $0 }
        var text = "# HELP relieflog_webhook_deliveries_total Webhook delivery attempts by outcome.\n"
        text += "# TYPE relieflog_webhook_deliveries_total counter\n"
        for (state, count) in snapshot.outcomes.sorted(by: { $0.key < $1.key }) {
            text += "relieflog_webhook_deliveries_total{state=\"\(state)\"} \(count)\n"
        }
        if let queueDepth {
            text += "# HELP relieflog_webhook_queue_depth Pending webhook deliveries of active webhooks.\n"
            text += "# TYPE relieflog_webhook_queue_depth gauge\n"
            text += "relieflog_webhook_queue_depth \(queueDepth)\n"
        }
        text += Self.render(
            "relieflog_webhook_attempt_duration_seconds", "Time of one webhook HTTP attempt, success or not.",
            snapshot.attempts, Self.attemptBuckets)
        text += Self.render(
            "relieflog_webhook_delivery_latency_seconds", "Time from an event's commit to its successful delivery.",
            snapshot.lag, Self.lagBuckets)
        return text
    }

    private static func render(_ name: String, _ help: String, _ histogram: Histogram, _ bounds: [Double]) -> String {
        var text = "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
        var cumulative = 0
        for (index, bound) in bounds.enumerated() {
            cumulative += histogram.buckets[index]
            text += "\(name)_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        text += "\(name)_bucket{le=\"+Inf\"} \(histogram.count)\n"
        text += "\(name)_sum \(histogram.sum)\n"
        text += "\(name)_count \(histogram.count)\n"
        return text
    }
}
