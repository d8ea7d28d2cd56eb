import Foundation
import HTTP
import Logging
import SQLite
import Synchronization
import ThreadSupport

/// Delivers the outbox to webhooks: at least once, in commit order per webhook, with retries on
/// the configured schedule.
///
/// One coordinating loop finds each active webhook's oldest pending delivery and, when it is
/// due, starts a drain task for that webhook; a webhook has at most one drain task, so its
/// events go out one after another in commit order, while every other webhook has its own
/// task and is never held up by a slow or failing one. A drain task sends the head delivery,
/// records the outcome, and continues with the next until the queue is empty or an attempt
/// fails (the failed delivery then waits for its retry and blocks the later ones of the same
/// webhook, which keeps the order). The loop sleeps until the next retry is due, a commit
/// wakes it (`wake()`, an after-commit hook), or `pollInterval` passes (events written by
/// another process, such as a command-line import).
final class WebhookDispatcher: Sendable {
    private let database: DatabasePool
    private let settings: WebhookSettings
    private let sealer: SecretSealer
    private let client: HTTPClient
    private let clock: @Sendable () -> Int64
    private let metrics: WebhookMetrics
    private let logger: Logger
    private let retentionMilliseconds: Int64?
    private let signal = WakeSignal()

    private struct State {
        var running: Set<Int64> = []
        var stopped = false
        var loop: Task<Void, Never>?
        var lastPrune: Int64?
    }
    private let state = Locked(State())

    /// Webhooks delivered to at once; beyond this, due webhooks wait for a free slot.
    static let maxConcurrentWebhooks = 32
    static let pollInterval: Int64 = 2_000
    static let minimumLoopInterval: Duration = .milliseconds(10)
    static let pruneInterval: Int64 = 3_600_000
    /// A receiver's Retry-After is honoured up to this many seconds.
    static let maxRetryAfterSeconds: Double = 86_400

    init(
        database: DatabasePool, settings: WebhookSettings, sealer: SecretSealer, client: HTTPClient,
        clock: @escaping @Sendable () -> Int64, metrics: WebhookMetrics, retentionDays: Int, logger: Logger
    ) {
        self.database = database
        self.settings = settings
        self.sealer = sealer
        self.client = client
        self.clock = clock
        self.metrics = metrics
        self.retentionMilliseconds = retentionDays > 0 ? Int64(retentionDays) * Timestamp.millisecondsPerDay : nil
        self.logger = logger
    }

    func start() {
        let task = Task.detached { [self] in await self.run() }
        state.withLock { $0.loop = task }
    }

    /// Something was committed: look for due deliveries now.
    func wake() { signal.signal() }

    /// Stops the loop. Attempts in flight are abandoned: their deliveries stay pending and are
    /// sent again after the next start (at least once).
    func stop() async {
        let loop = state.withLock { state -> Task<Void, Never>? in
            state.stopped = true
            return state.loop
        }
        signal.signal()
        await loop?.value
        client.closeIdleConnections()
    }

    private var isStopped: Bool { state.withLock { $0.stopped } }

    private func run() async {
        while !isStopped {
            let now = clock()
            var nextDue = now + Self.pollInterval
            do {
                let heads = try await database.read { connection in try DeliveryRepository(connection).heads() }
                for head in heads {
                    if head.dueAt > now {
                        nextDue = min(nextDue, head.dueAt)
                        continue
                    }
                    let launch = state.withLock { state -> Bool in
                        guard !state.stopped, !state.running.contains(head.webhookId),
                            state.running.count < Self.maxConcurrentWebhooks
                        else { return false }
                        state.running.insert(head.webhookId)
                        return true
                    }
                    if launch {
                        Task.detached { [self] in
                            await self.drain(webhookId: head.webhookId)
                            self.state.withLock { _ = $0.running.remove(head.webhookId) }
                            self.signal.signal()
                        }
                    }
                }
            } catch {
                if isStopped { return }
                logger.error("webhook queue unavailable", metadata: ["error": "\(type(of: error))"])
            }
            await pruneIfDue(now: now)
            let wait = max(0, min(nextDue - now, Self.pollInterval))
            await signal.wait(upTo: .milliseconds(wait))
            // Under a stream of commits every one wakes the loop: look at most every few
            // milliseconds, so the queue query never competes with the writes it follows.
            try? await Task.sleep(for: Self.minimumLoopInterval)
        }
    }

    private func pruneIfDue(now: Int64) async {
        guard let retentionMilliseconds else { return }
        let due = state.withLock { state -> Bool in
            guard state.lastPrune.map({ now - $0 >= Self.pruneInterval }) ?? true else { return false }
            state.lastPrune = now
            return true
        }
        guard due else { return }
        let cutoff = now - retentionMilliseconds
        _ = try? await database.write { connection in try EventRepository(connection).prune(before: cutoff) }
    }

    /// Sends one webhook's due deliveries in order until its queue is empty or one fails.
    private func drain(webhookId: Int64) async {
        while !isStopped {
            let loaded = try? await database.read { connection -> (WebhookTarget, DueDelivery)? in
                let repository = DeliveryRepository(connection)
                guard let target = try repository.target(webhookId: webhookId), target.active,
                    let head = try repository.head(webhookId: webhookId)
                else { return nil }
                return (target, head)
            }
            guard let (target, head) = loaded ?? nil, head.nextAttemptAt <= clock() else { return }
            let outcome = await attempt(target, head)
            let recorded: Bool? = try? await database.write { connection in
                let repository = DeliveryRepository(connection)
                try repository.recordAttempt(
                    deliveryId: head.deliveryId, state: outcome.state, status: outcome.status, error: outcome.error,
                    nextAttemptAt: outcome.nextAttemptAt, now: outcome.at)
                if outcome.disable {
                    try repository.disable(
                        webhookId: webhookId, reason: "The receiver answered 410 Gone.", now: outcome.at)
                }
                return true
            }
            guard recorded == true else { return }
            metrics.count(outcome.state == .pending ? "retrying" : outcome.state.rawValue)
            if outcome.state == .delivered {
                metrics.observeLag(seconds: Double(max(0, outcome.at - head.event.createdAt)) / 1000)
            } else {
                logger.notice(
                    "webhook delivery attempt failed",
                    metadata: [
                        "webhook": "\(webhookId)", "delivery": "\(head.deliveryId)",
                        "status": "\(outcome.status.map(String.init) ?? "none")", "error": "\(outcome.error ?? "")",
                        "state": "\(outcome.state.rawValue)",
                    ])
                return
            }
        }
    }

    private struct Outcome {
        var state: DeliveryState
        var status: Int?
        var error: String?
        var nextAttemptAt: Int64?
        var disable = false
        var at: Int64
    }

    private func attempt(_ target: WebhookTarget, _ head: DueDelivery) async -> Outcome {
        let started = ContinuousClock.now
        let result = await send(target, head)
        metrics.observeAttempt(seconds: (ContinuousClock.now - started).seconds)
        let now = clock()
        switch result {
        case .success(let response) where (200..<300).contains(response.status):
            return Outcome(state: .delivered, status: response.status, at: now)
        case .success(let response) where response.status == 410:
            return Outcome(state: .failed, status: 410, disable: true, at: now)
        case .success(let response):
            let retryAfter = response.header("Retry-After").flatMap { Self.retryAfterSeconds($0, now: now) }
            return failure(head, status: response.status, error: nil, retryAfter: retryAfter, now: now)
        case .failure(let error):
            return failure(head, status: nil, error: error.text, retryAfter: nil, now: now)
        }
    }

    /// A failed attempt: pending again after the schedule's next delay (or the receiver's
    /// Retry-After), or failed for good once the schedule is used up.
    private func failure(_ head: DueDelivery, status: Int?, error: String?, retryAfter: Double?, now: Int64) -> Outcome
    {
        let retryIndex = head.attempts  // attempts before this one: after the first, schedule[0]
        guard retryIndex < settings.retrySchedule.count else {
            return Outcome(state: .failed, status: status, error: error, at: now)
        }
        let delay = retryAfter ?? settings.retrySchedule[retryIndex]
        return Outcome(
            state: .pending, status: status, error: error, nextAttemptAt: now + Int64((delay * 1000).rounded(.up)),
            at: now)
    }

    private enum SendError: Error {
        case client(HTTPClientError)
        case configuration(String)

        var text: String {
            switch self {
            case .client(let error): error.description
            case .configuration(let message): message
            }
        }
    }

    private func send(_ target: WebhookTarget, _ head: DueDelivery) async -> Result<HTTPClientResponse, SendError> {
        guard let url = HTTPClientURL(target.url) else { return .failure(.configuration("the URL is not valid")) }
        let now = clock()
        var keys: [[UInt8]] = []
        for sealed in [target.secretSealed]
            + (target.previousSecretUntil.map { $0 > now } == true
                ? [target.previousSecretSealed].compactMap { $0 } : [])
        {
            guard let secret = sealer.open(sealed), let key = WebhookSignature.keyBytes(ofSecret: secret) else {
                return .failure(.configuration("the secret cannot be opened with the configured webhook key file"))
            }
            keys.append(key)
        }
        var host = url.host
        var port = url.port
        var requestTarget = url.target
        if url.scheme == "https" {
            guard let proxy = settings.httpsProxy.flatMap(HTTPClientURL.init) else {
                return .failure(
                    .configuration("https:// receivers need webhooks.httpsProxy (a local TLS-originating proxy)"))
            }
            // Absolute form: the proxy opens the TLS connection to the receiver named here.
            (host, port, requestTarget) = (proxy.host, proxy.port, "https://\(url.authority)\(url.target)")
        }
        let body = head.event.body
        let timestamp = now / 1000
        let headers: [(String, String)] = [
            ("Host", url.authority),
            ("User-Agent", "ReliefLog-Webhooks/\(reliefLogVersion)"),
            ("Content-Type", "application/json"),
            ("webhook-id", head.event.publicId),
            ("webhook-timestamp", String(timestamp)),
            (
                "webhook-signature",
                WebhookSignature.header(id: head.event.publicId, timestamp: timestamp, body: body, keys: keys)
            ),
        ]
        do {
            let response = try await client.send(
                method: "POST", host: host, port: port, target: requestTarget, headers: headers, body: body,
                timeout: .milliseconds(Int64(settings.timeoutSeconds * 1000)))
            return .success(response)
        } catch {
            return .failure(.client(error))
        }
    }

    /// `Retry-After` as seconds from now: a number of seconds or an HTTP date; nil otherwise.
    static func retryAfterSeconds(_ value: String, now: Int64) -> Double? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(trimmed), seconds >= 0 { return min(Double(seconds), maxRetryAfterSeconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: trimmed) else { return nil }
        let seconds = date.timeIntervalSince1970 - Double(now) / 1000
        return min(max(0, seconds), maxRetryAfterSeconds)
    }
}

extension Duration {
    fileprivate var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

/// A wake-up call that is never lost: a signal with nobody waiting is kept for the next wait.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
        var generation = 0
    }
    private let state = Locked(State())

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns at the next signal (or at once if one is pending), or after `duration`.
    func wait(upTo duration: Duration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let generation = state.withLock { state -> Int? in
                if state.pending {
                    state.pending = false
                    return nil
                }
                state.generation += 1
                state.waiter = continuation
                return state.generation
            }
            guard let generation else {
                continuation.resume()
                return
            }
            Task.detached { [self] in
                try? await Task.sleep(for: duration)
                let waiter = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
                    guard state.generation == generation, let waiter = state.waiter else { return nil }
                    state.waiter = nil
                    return waiter
                }
                waiter?.resume()
            }
        }
    }
}
