import Logging
import SQLite
import Synchronization
import ThreadSupport

/// One line of the audit log: who (token, role) did what (method, route template, resource,
/// patient) with what outcome (status), and when. Ids only: never names, notes or tokens.
struct AuditEntry: Sendable, Hashable {
    var at: Int64
    var tokenId: Int64?
    var role: Role?
    var method: String
    var route: String
    var resourceId: Int64?
    var patientId: Int64?
    var status: Int
    var requestId: String?
}

/// The audit log's writer.
///
/// - Changes are recorded by `insert(_:_:)` inside the transaction that makes them, so a change
///   and its audit line commit (or vanish) together.
/// - Reads (and refused requests) go through `record(_:)`, which only appends to a buffer:
///   a read never waits for a disk sync. The buffer is written every `flushInterval` (100 ms)
///   and on shutdown, in group-committed transactions of at most `rowsPerTransaction` rows
///   each, one after the other, so a crash can lose at most the reads of the last interval plus
///   the commit in progress (well under a second), and no single flush holds the writer (or
///   the core it runs on) for more than a few milliseconds: a request's latency never waits
///   behind a whole interval's rows.
/// - Rows older than the retention are deleted hourly.
final class AuditTrail: Sendable {
    private let database: DatabasePool
    private let clock: @Sendable () -> Int64
    private let retentionMilliseconds: Int64?
    private let logger: Logger
    private let pending = Locked<[AuditEntry]>([])
    private let flusher = Locked<Task<Void, Never>?>(nil)
    /// Past this many unwritten entries (the database refusing writes for a long time), new
    /// ones are dropped with a warning rather than exhausting memory.
    static let maxPending = 100_000
    static let flushInterval: Duration = .milliseconds(100)
    /// Bounds one flush transaction: about 2 ms of the writer's time (bench/README.md).
    static let rowsPerTransaction = 1_000
    static let pruneIntervalMilliseconds: Int64 = 3_600_000

    /// `retentionDays` nil or 0 keeps rows forever.
    init(database: DatabasePool, retentionDays: Int?, clock: @escaping @Sendable () -> Int64, logger: Logger) {
        self.database = database
        self.clock = clock
        self.retentionMilliseconds = retentionDays.flatMap { $0 > 0 ? Int64($0) * Timestamp.millisecondsPerDay : nil }
        self.logger = logger
    }

    /// Starts the periodic writer.
    func start() {
        let task = Task.detached { [weak self] in
            var lastPrune: Int64?
            while !Task.isCancelled {
                try? await Task.sleep(for: AuditTrail.flushInterval)
                guard let self else { return }
                await self.flush()
                let now = self.clock()
                if lastPrune.map({ now - $0 >= AuditTrail.pruneIntervalMilliseconds }) ?? true {
                    lastPrune = now
                    await self.prune(now: now)
                }
            }
        }
        flusher.withLock { $0 = task }
    }

    /// Buffers an entry for the next periodic write.
    func record(_ entry: AuditEntry) {
        let accepted = pending.withLock { pending -> Bool in
            guard pending.count < AuditTrail.maxPending else { return false }
            pending.append(entry)
            return true
        }
        if !accepted { logger.warning("audit buffer full; entry dropped", metadata: ["route": "\(entry.route)"]) }
    }

    /// Writes the buffered entries now, `rowsPerTransaction` at a time, each slice committed
    /// before the next is queued (so writes of requests interleave with them); on failure the
    /// unwritten entries stay buffered, in order.
    ///
    /// The whole flush is sorted by patient before it is sliced: each transaction then holds
    /// the rows of a few patients, and rewrites a few pages of the patient index, not one page
    /// per patient in every transaction. Ids still follow the requests' order: the first
    /// transaction sets aside one id per entry of the flush, and each row takes its own.
    func flush() async {
        // Swapped out, not copied: the buffer can hold a whole interval of every request.
        let batch = pending.withLock { pending -> [AuditEntry] in
            var batch: [AuditEntry] = []
            swap(&batch, &pending)
            return batch
        }
        guard !batch.isEmpty else { return }
        let sorted = batch.indices.sorted { left, right in
            let a = batch[left].patientId ?? -1, b = batch[right].patientId ?? -1
            return a != b ? a < b : left < right
        }
        var firstId: Int64?
        var start = sorted.startIndex
        while start < sorted.endIndex {
            let end = min(start + Self.rowsPerTransaction, sorted.endIndex)
            let rows = sorted[start..<end].map { (index: $0, entry: batch[$0]) }
            do {
                firstId = try await database.write { [firstId] connection in
                    let audit = AuditRepository(connection)
                    let first = try firstId ?? audit.reserveIds(batch.count)
                    try audit.insert(rows, firstId: first)
                    return first
                }
            } catch {
                // In the requests' order again; their set-aside ids stay unused.
                let unwritten = sorted[start...].sorted().map { batch[$0] }
                pending.withLock { $0.insert(contentsOf: unwritten.prefix(AuditTrail.maxPending - $0.count), at: 0) }
                logger.warning(
                    "audit entries not written; will retry",
                    metadata: ["count": "\(unwritten.count)", "error": "\(error)"])
                return
            }
            start = end
        }
    }

    /// Stops the periodic writer and writes what is buffered (before the database closes).
    func close() async {
        let task = flusher.withLock { task -> Task<Void, Never>? in
            defer { task = nil }
            return task
        }
        task?.cancel()
        await flush()
    }

    /// Deletes the rows older than the retention, in slices so that a first prune of a large
    /// backlog never holds the writer for long. Returns how many rows went.
    @discardableResult
    func prune(now: Int64) async -> Int {
        guard let retentionMilliseconds else { return 0 }
        let cutoff = now - retentionMilliseconds
        var deleted = 0
        do {
            // There is no index on `at_ms` (every request would pay for it): ids ascend with
            // time, so the rows to delete are the ids below a boundary found by bisection. A
            // read row reaches the table up to a second after a newer change's row, so the
            // boundary can be off by a second's worth of rows; the `at_ms` test keeps a row of
            // that second that is not yet due, and one left behind goes at the next prune.
            let boundary = try await database.read { connection in
                try AuditRepository(connection).firstId(atOrAfter: cutoff)
            }
            guard let boundary else { return 0 }
            while true {
                let changes = try await database.write { connection -> Int in
                    try AuditRepository(connection).deleteOlder(than: cutoff, below: boundary, limit: Self.pruneSlice)
                }
                deleted += changes
                if changes < Self.pruneSlice { break }
            }
        } catch {
            logger.warning("audit retention prune failed", metadata: ["error": "\(error)"])
        }
        return deleted
    }

    static let pruneSlice = 5_000
}
