import Logging
import SQLite
import Synchronization

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
///   a read never waits for a disk sync. The buffer is written as one group-committed
///   transaction every `flushInterval` (500 ms) and on shutdown, so a crash can lose at most
///   the reads of the last interval plus the commit in progress — under one second.
/// - Rows older than the retention are deleted hourly.
final class AuditTrail: Sendable {
    private let database: DatabasePool
    private let clock: @Sendable () -> Int64
    private let retentionMilliseconds: Int64?
    private let logger: Logger
    private let pending = Mutex<[AuditEntry]>([])
    private let flusher = Mutex<Task<Void, Never>?>(nil)
    /// Past this many unwritten entries (the database refusing writes for a long time), new
    /// ones are dropped with a warning rather than exhausting memory.
    static let maxPending = 100_000
    static let flushInterval: Duration = .milliseconds(500)
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

    private static let insertSQL = """
        INSERT INTO audit_log (at_ms, token_id, role, method, route, resource_id, patient_id, status, request_id)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// Writes an entry inside the caller's transaction (for changes).
    static func insert(_ entry: AuditEntry, _ connection: Connection) throws {
        try insert([entry], connection)
    }

    /// Writes entries with one prepared statement, binding each value in place: a batch holds
    /// every read of the last half second, so the per-row cost is what the audit log costs.
    static func insert(_ entries: some Collection<AuditEntry>, _ connection: Connection) throws {
        let statement = try connection.statement(insertSQL)
        defer {
            statement.reset()
            statement.clearBindings()
        }
        for entry in entries {
            try statement.bind(.integer(entry.at), at: 1)
            try statement.bind(entry.tokenId.map(SQLiteValue.integer) ?? .null, at: 2)
            try statement.bind(entry.role.map { .text($0.rawValue) } ?? .null, at: 3)
            try statement.bind(.text(entry.method), at: 4)
            try statement.bind(.text(entry.route), at: 5)
            try statement.bind(entry.resourceId.map(SQLiteValue.integer) ?? .null, at: 6)
            try statement.bind(entry.patientId.map(SQLiteValue.integer) ?? .null, at: 7)
            try statement.bind(.integer(Int64(entry.status)), at: 8)
            try statement.bind(entry.requestId.map(SQLiteValue.text) ?? .null, at: 9)
            _ = try statement.step()
            statement.reset()
        }
    }

    /// Writes the buffered entries now, in one transaction; on failure they stay buffered.
    func flush() async {
        // Swapped out, not copied: the buffer can hold half a second of every request.
        let batch = pending.withLock { pending -> [AuditEntry] in
            var batch: [AuditEntry] = []
            swap(&batch, &pending)
            return batch
        }
        guard !batch.isEmpty else { return }
        do {
            try await database.write { connection in try AuditTrail.insert(batch, connection) }
        } catch {
            pending.withLock { $0.insert(contentsOf: batch.prefix(AuditTrail.maxPending - $0.count), at: 0) }
            logger.warning("audit entries not written; will retry", metadata: ["count": "\(batch.count)", "error": "\(error)"])
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

    private func prune(now: Int64) async {
        guard let retentionMilliseconds else { return }
        let cutoff = now - retentionMilliseconds
        do {
            // In slices, so a first prune of a large backlog never holds the writer for long.
            while try await database.write({ connection -> Bool in
                try connection.run(
                    "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at_ms < ? LIMIT 5000)",
                    [.integer(cutoff)])
                return connection.changes == 5000
            }) {}
        } catch {
            logger.warning("audit retention prune failed", metadata: ["error": "\(error)"])
        }
    }
}
