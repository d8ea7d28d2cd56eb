import Synchronization
import ThreadSupport

/// Request counters, a latency histogram and the open-connection gauge, rendered in the
/// Prometheus text exposition format (version 0.0.4).
///
/// Labels are the route *template*, method and status, so the number of series stays bounded
/// whatever paths clients send.
public final class HTTPMetrics: HTTPServerObserver {
    /// Upper bounds of the latency histogram buckets, in seconds.
    public static let latencyBuckets: [Double] = [
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]

    private struct RequestKey: Hashable {
        let method: String
        let route: String
        let status: Int
    }

    private struct Histogram {
        var buckets = [Int](repeating: 0, count: HTTPMetrics.latencyBuckets.count)
        var count = 0
        var sumSeconds = 0.0
    }

    private struct Storage {
        var requests: [RequestKey: Int] = [:]
        var latency: [String: Histogram] = [:]
    }

    private let storage = Locked(Storage())
    private let openConnections = Atomic<Int>(0)
    private let acceptedConnections = Atomic<Int>(0)

    public init() {}

    public func requestCompleted(_ record: HTTPRequestRecord) {
        let seconds = Double(record.durationNanoseconds) / 1e9
        let bucket = HTTPMetrics.latencyBuckets.firstIndex { seconds <= $0 }
        storage.withLock { storage in
            storage.requests[
                RequestKey(method: record.method, route: record.route, status: record.status), default: 0] += 1
            var histogram = storage.latency[record.route] ?? Histogram()
            if let bucket { histogram.buckets[bucket] += 1 }
            histogram.count += 1
            histogram.sumSeconds += seconds
            storage.latency[record.route] = histogram
        }
    }

    public func connectionOpened() {
        openConnections.add(1, ordering: .relaxed)
        acceptedConnections.add(1, ordering: .relaxed)
    }

    public func connectionClosed() {
        openConnections.subtract(1, ordering: .relaxed)
    }

    /// The exposition text; `extra` is appended as-is (application gauges).
    public func render(extra: String = "") -> String {
        let snapshot = storage.withLock { $0 }
        var text = ""
        text += "# HELP relieflog_http_requests_total HTTP requests by method, route template and status.\n"
        text += "# TYPE relieflog_http_requests_total counter\n"
        for (key, count) in snapshot.requests.sorted(by: {
            ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status)
        }) {
            text +=
                "relieflog_http_requests_total{method=\"\(escape(key.method))\",route=\"\(escape(key.route))\",status=\"\(key.status)\"} \(count)\n"
        }
        text +=
            "# HELP relieflog_http_request_duration_seconds Time from a complete request to its response, by route template.\n"
        text += "# TYPE relieflog_http_request_duration_seconds histogram\n"
        for (route, histogram) in snapshot.latency.sorted(by: { $0.key < $1.key }) {
            var cumulative = 0
            for (index, bound) in HTTPMetrics.latencyBuckets.enumerated() {
                cumulative += histogram.buckets[index]
                text +=
                    "relieflog_http_request_duration_seconds_bucket{route=\"\(escape(route))\",le=\"\(bound)\"} \(cumulative)\n"
            }
            text +=
                "relieflog_http_request_duration_seconds_bucket{route=\"\(escape(route))\",le=\"+Inf\"} \(histogram.count)\n"
            text += "relieflog_http_request_duration_seconds_sum{route=\"\(escape(route))\"} \(histogram.sumSeconds)\n"
            text += "relieflog_http_request_duration_seconds_count{route=\"\(escape(route))\"} \(histogram.count)\n"
        }
        text += "# HELP relieflog_http_open_connections Client connections open now.\n"
        text += "# TYPE relieflog_http_open_connections gauge\n"
        text += "relieflog_http_open_connections \(openConnections.load(ordering: .relaxed))\n"
        text += "# HELP relieflog_http_connections_total Client connections accepted since start.\n"
        text += "# TYPE relieflog_http_connections_total counter\n"
        text += "relieflog_http_connections_total \(acceptedConnections.load(ordering: .relaxed))\n"
        return text + extra
    }

    private func escape(_ value: String) -> String {
        value.replacingBytes { byte in
            switch byte {
            case UInt8(ascii: "\\"): "\\\\"
            case UInt8(ascii: "\""): "\\\""
            case 0x0A: "\\n"
            default: nil
            }
        }
    }
}

/// Fans events out to several observers (access log and metrics).
public struct ObserverGroup: HTTPServerObserver {
    private let observers: [any HTTPServerObserver]

    public init(_ observers: [any HTTPServerObserver]) {
        self.observers = observers
    }

    public func requestCompleted(_ record: HTTPRequestRecord) {
        for observer in observers { observer.requestCompleted(record) }
    }

    public func connectionOpened() {
        for observer in observers { observer.connectionOpened() }
    }

    public func connectionClosed() {
        for observer in observers { observer.connectionClosed() }
    }
}

extension String {
    /// Replaces single ASCII bytes with escape text; other bytes (including UTF-8 sequences) are kept.
    func replacingBytes(_ replacement: (UInt8) -> String?) -> String {
        guard utf8.contains(where: { replacement($0) != nil }) else { return self }
        var bytes: [UInt8] = []
        for byte in utf8 {
            if let text = replacement(byte) { bytes.append(contentsOf: text.utf8) } else { bytes.append(byte) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
