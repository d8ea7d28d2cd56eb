// # Threading model
//
// SQLite connections here are opened with SQLITE_OPEN_NOMUTEX: SQLite does no
// locking of its own, so a connection (and its statements) must only ever be used
// by one thread at a time (https://www.sqlite.org/threadsafe.html). Rather than
// guard connections with locks, the pool gives every connection its own thread:
//
// - One writer thread owns the single read-write connection. In WAL mode there is
//   only ever one writer per database anyway (https://www.sqlite.org/wal.html), so
//   funnelling writes through one thread costs nothing and lets the pool batch
//   them: the writer takes up to `maxBatchSize` queued `write` bodies, runs each in
//   its own SAVEPOINT (https://www.sqlite.org/lang_savepoint.html) inside one
//   BEGIN IMMEDIATE transaction, and COMMITs once. With synchronous=FULL every
//   COMMIT is an fsync, so sharing it between callers ("group commit") is what makes
//   many concurrent small writes fast. No caller is resumed before the COMMIT that
//   contains its work has returned. After a batch, the writer waits briefly (at
//   most half a commit, 0.5 ms cap) for the callers it just resumed to queue their
//   next writes, so they share the next fsync instead of trickling in one by one.
// - `readerCount` reader threads each own a read-only connection (query_only).
//   They all pull from one shared job queue, so a long analytics query occupies
//   one reader while the others keep serving; and since WAL readers work from a
//   snapshot, reads never wait for the writer nor the writer for them.
//
// Connections are opened on their own threads and never leave them, which is why
// `Connection` is not `Sendable`. Jobs travel to the threads through `JobQueue`
// (a `Synchronization.Mutex`-protected FIFO, see `Locked`, plus a semaphore per
// idle thread; an idle thread sleeps, it does not spin: on two cores spinning
// slowed round trips down), and
// results come back through checked continuations (async API) or a blocking hand-off
// (`readSync`/`writeSync`/`withWriterConnection`, the only place that needs an
// `@unchecked Sendable`; see `SyncCall`).

import CSQLite
import Dispatch
import Foundation
import Synchronization
import ThreadSupport

/// A WAL database shared by the whole process: one writer connection on its own
/// thread, `readerCount` reader connections each on its own thread, and group
/// commit for writes. See the threading model at the top of this file.
///
/// All methods may be called from any thread or task. The blocking variants
/// (`readSync`, `writeSync`, `withWriterConnection`, `backup`) must not be called
/// from inside a pool job (they would wait for themselves) and throw if they are.
public final class DatabasePool: Sendable {
    /// Pool settings.
    public struct Configuration: Sendable {
        /// Number of reader connections and threads (at least 1).
        public var readerCount: Int
        /// How long a connection waits for another process's lock before failing
        /// with `SQLITE_BUSY` (https://www.sqlite.org/c3ref/busy_timeout.html).
        public var busyTimeoutMilliseconds: Int32
        /// Most `write` bodies committed together in one transaction (at least 1).
        public var maxBatchSize: Int

        /// Four readers, a 5 s busy timeout and batches of up to 64 writes by default.
        public init(readerCount: Int = 4, busyTimeoutMilliseconds: Int32 = 5000, maxBatchSize: Int = 64) {
            self.readerCount = readerCount
            self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
            self.maxBatchSize = maxBatchSize
        }
    }

    /// The database file.
    public let path: String
    /// The settings the pool was opened with.
    public let configuration: Configuration

    private let core: PoolCore

    /// Opens the writer connection (creating the file if missing, but not its
    /// directory) and the reader connections, each on its own thread. Throws a
    /// `SQLiteError` naming the path if the database cannot be opened.
    public init(path: String, configuration: Configuration = .init()) throws {
        guard configuration.readerCount >= 1, configuration.maxBatchSize >= 1 else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "readerCount and maxBatchSize must be at least 1")
        }
        self.path = path
        self.configuration = configuration
        let core = PoolCore(maxBatchSize: configuration.maxBatchSize)
        self.core = core
        let timeout = configuration.busyTimeoutMilliseconds
        // The writer first: it creates the file and switches it to WAL, which
        // read-only connections cannot do.
        try core.startWorker(name: "sqlite-writer", group: core.writerExited) {
            try Connection(path: path, mode: .readWrite, busyTimeoutMilliseconds: timeout)
        } run: { connection in
            core.runWriter(connection)
        }
        do {
            try core.startWorkers(count: configuration.readerCount, name: "sqlite-reader", group: core.readersExited) {
                try Connection(path: path, mode: .readOnly, busyTimeoutMilliseconds: timeout)
            } run: { connection in
                core.runReader(connection)
            }
        } catch {
            core.shutdown(wait: true)
            throw error
        }
    }

    deinit {
        core.shutdown(wait: !core.isCurrentThreadWorker)
    }

    // MARK: Async access

    /// Runs `body` on a reader connection, on a reader thread (never the caller's),
    /// and returns its result.
    ///
    /// The connection is read-only (`query_only`), and each call sees the latest
    /// committed data as of its first statement. Do not keep the connection or its
    /// statements beyond `body`. Cancellation does not interrupt `body`.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = core.readers.submit { connection in
                continuation.resume(with: Result { try body(connection) })
            }
            if !accepted {
                continuation.resume(throwing: PoolCore.closedError)
            }
        }
    }

    /// Runs `body` on the writer connection as part of a group commit and returns
    /// its result once the transaction containing it is durably committed.
    ///
    /// `body` runs inside `SAVEPOINT` within a `BEGIN IMMEDIATE` transaction shared
    /// with other callers' bodies. If `body` throws, only its savepoint is rolled back
    /// and the error is rethrown here; the other bodies are unaffected (a body that
    /// leaves deferred foreign key violations counts as throwing). If the COMMIT fails,
    /// every body of the batch gets that error. `body` must not run BEGIN, COMMIT,
    /// ROLLBACK, or release savepoints it did not create: if the shared transaction
    /// ends early (that, or SQLite rolling it back after an I/O error), the bodies
    /// already run get an `SQLITE_ABORT` error and the rest run in a new transaction.
    /// Cancellation does not interrupt `body`.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let job = BatchedWrite(
                run: { connection in
                    let result = Result { try body(connection) }
                    let failed = if case .failure = result { true } else { false }
                    return WriteOutcome(failed: failed) { batchError in
                        if let batchError {
                            continuation.resume(throwing: batchError)
                        } else {
                            continuation.resume(with: result)
                        }
                    }
                },
                fail: { error in continuation.resume(throwing: error) })
            if !core.writer.submit(.batched(job)) {
                continuation.resume(throwing: PoolCore.closedError)
            }
        }
    }

    // MARK: Blocking access (command line, start-up, maintenance)

    /// Runs `body` in its own `BEGIN IMMEDIATE` transaction on the writer thread
    /// (not batched), blocking the caller until it has committed or rolled back.
    /// Meant for migrations and the command line, not for request handling.
    public func writeSync<T>(_ body: (Connection) throws -> T) throws -> T {
        try core.runSync(onWriter: true) { connection in
            try connection.transaction(.immediate, body)
        }
    }

    /// Runs `body` on a reader connection on a reader thread, blocking the caller.
    public func readSync<T>(_ body: (Connection) throws -> T) throws -> T {
        try core.runSync(onWriter: false, body)
    }

    /// Runs `body` on the writer connection, on the writer thread, outside any
    /// transaction: for statements that cannot run inside one, such as `VACUUM`,
    /// `VACUUM INTO` or `PRAGMA wal_checkpoint`. Blocks the caller. A transaction
    /// `body` leaves open is rolled back and reported as an error.
    public func withWriterConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        try core.runSync(onWriter: true) { connection in
            let result: T
            do {
                result = try body(connection)
            } catch {
                connection.rollbackIfNeeded()
                throw error
            }
            if connection.isInTransaction {
                connection.rollbackIfNeeded()
                throw SQLiteError(
                    code: SQLITE_MISUSE,
                    message: "withWriterConnection body left a transaction open; it was rolled back")
            }
            return result
        }
    }

    /// Writes a consistent copy of the database to `destinationPath` with
    /// `VACUUM INTO` (https://www.sqlite.org/lang_vacuum.html#vacuuminto), then
    /// fsyncs it, because SQLite does not sync the file it generates.
    ///
    /// Runs on the writer connection outside a transaction, so queued writes wait
    /// until the copy is done; readers are not affected. Refuses to overwrite an
    /// existing file. The directory must exist.
    public func backup(to destinationPath: String) throws {
        try withWriterConnection { connection in
            if FileManager.default.fileExists(atPath: destinationPath) {
                throw SQLiteError(
                    code: SQLITE_CANTOPEN,
                    message: "backup destination \(destinationPath) already exists; refusing to overwrite it")
            }
            try connection.run("VACUUM INTO ?", [.text(destinationPath)])
            try synchronize(path: destinationPath, directory: false)
            try synchronize(
                path: URL(fileURLWithPath: destinationPath).deletingLastPathComponent().path, directory: true)
        }
    }

    // MARK: Shutdown

    /// Lets queued work finish, stops the threads, runs
    /// `PRAGMA wal_checkpoint(TRUNCATE)` (https://www.sqlite.org/pragma.html#pragma_wal_checkpoint;
    /// a checkpoint that cannot complete is not an error) and closes every
    /// connection. Blocks until done, except when called from inside a pool job,
    /// where it only stops the pool from accepting work.
    ///
    /// Idempotent; also done when the pool is deallocated. Afterwards every call
    /// throws an `SQLiteError` with code `SQLITE_MISUSE` (`isMisuse`) and the message
    /// "database pool is closed".
    public func close() {
        core.shutdown(wait: !core.isCurrentThreadWorker)
    }

    /// Whether `close()` has been called.
    public var isClosed: Bool { core.writer.isClosed }

    /// Keeps `reader` to be closed with the pool; `false` if the pool is already closed.
    /// What confined readers compare their snapshots with (`PoolCore.writes`).
    var writeCounter: PoolCore { core }

    func registerConfinedReader(_ reader: ConfinedReader) -> Bool {
        core.confinedReaders.withLock { readers in
            guard readers != nil else { return false }
            readers!.append(reader)
            return true
        }
    }
}

// MARK: - Jobs

/// A reader job: runs on a reader thread with that thread's connection.
typealias ReadJob = @Sendable (Connection) -> Void

/// A `write` body wrapped for the writer: runs the body and reports whether it failed,
/// plus how to resume its caller once the batch's fate is known.
struct BatchedWrite: Sendable {
    /// Runs the body; the caller is resumed later through the outcome.
    let run: @Sendable (Connection) -> WriteOutcome
    /// Resumes the caller with an error instead (the body did not run, or its
    /// outcome cannot be trusted).
    let fail: @Sendable (any Error) -> Void
}

struct WriteOutcome: Sendable {
    /// The body threw; its savepoint must be rolled back.
    let failed: Bool
    /// Resumes the caller: with the body's own result when passed `nil`, otherwise
    /// with the given batch-level error (failed BEGIN or COMMIT).
    let complete: @Sendable ((any Error)?) -> Void
}

enum WriterJob: Sendable {
    /// A `write` body, batched with its neighbours.
    case batched(BatchedWrite)
    /// Runs alone, outside any batch (`writeSync`, `withWriterConnection`).
    case exclusive(@Sendable (Connection) -> Void)

    var batched: BatchedWrite? {
        if case .batched(let job) = self { return job }
        return nil
    }
}

/// Marks the current thread as a worker of a given pool, so blocking calls made
/// from inside a job can be refused instead of deadlocking.
private let workerThreadKey: pthread_key_t = {
    var key = pthread_key_t()
    let status = pthread_key_create(&key, nil)
    precondition(status == 0, "pthread_key_create failed: \(status)")
    return key
}()

// MARK: - Pool internals

/// Everything the worker threads share with the pool; outlives the `DatabasePool`
/// object until the last thread exits.
final class PoolCore: Sendable {
    let readers = JobQueue<ReadJob>()
    let writer = JobQueue<WriterJob>()
    let readersExited = DispatchGroup()
    let writerExited = DispatchGroup()
    let maxBatchSize: Int
    /// Readers lent to serial contexts (`makeConfinedReader`); `nil` once the pool is closed.
    let confinedReaders = Locked<[ConfinedReader]?>([])
    /// Counts the writer's transactions that may have changed the database, bumped after each
    /// one ends and before its callers are resumed: a confined reader holding a snapshot
    /// compares it to know the snapshot is still the latest (`ConfinedReader`).
    let writes = Atomic<UInt64>(0)

    /// Marks that the writer may have changed the database; before any caller learns of it.
    func noteWrite() {
        writes.wrappingAdd(1, ordering: .releasing)
    }

    static let closedError = SQLiteError.closed("database pool")

    init(maxBatchSize: Int) {
        self.maxBatchSize = maxBatchSize
    }

    private var identity: UnsafeMutableRawPointer {
        Unmanaged.passUnretained(self).toOpaque()
    }

    var isCurrentThreadWorker: Bool {
        let marker: UnsafeMutableRawPointer? = pthread_getspecific(workerThreadKey)
        return marker == identity
    }

    // MARK: Threads

    func startWorker(
        name: String, group: DispatchGroup, open: @escaping @Sendable () throws -> Connection,
        run: @escaping @Sendable (Connection) -> Void
    ) throws {
        try startWorkers(count: 1, name: name, group: group, open: open, run: run)
    }

    /// Starts `count` threads that each open their own connection and then `run` it;
    /// waits until every thread has opened (or failed to open) its connection and
    /// throws the first failure.
    func startWorkers(
        count: Int, name: String, group: DispatchGroup, open: @escaping @Sendable () throws -> Connection,
        run: @escaping @Sendable (Connection) -> Void
    ) throws {
        let opened = DispatchSemaphore(value: 0)
        let failure = Locked<(any Error)?>(nil)
        for index in 0..<count {
            group.enter()
            // At most 15 characters (the kernel's limit), e.g. "sqlite-reader-4".
            let threadName = count == 1 ? name : "\(name)-\(index + 1)"
            let thread = Thread { [self] in
                defer { group.leave() }
                nameCurrentThread(threadName)
                pthread_setspecific(workerThreadKey, identity)
                let connection: Connection
                do {
                    connection = try open()
                } catch {
                    failure.withLock { if $0 == nil { $0 = error } }
                    opened.signal()
                    return
                }
                opened.signal()
                run(connection)
                connection.close()
            }
            thread.start()
        }
        for _ in 0..<count {
            opened.wait()
        }
        if let error = failure.withLock({ $0 }) {
            throw error
        }
    }

    func shutdown(wait: Bool) {
        let confined = confinedReaders.withLock { readers -> [ConfinedReader] in
            defer { readers = nil }
            return readers ?? []
        }
        for reader in confined { reader.close() }
        readers.close()
        writer.close()
        if wait {
            readersExited.wait()
            writerExited.wait()
        }
    }

    // MARK: Readers

    func runReader(_ connection: Connection) {
        let parker = Parker()
        while let job = readers.next(parker: parker, take: { $0.popFirst()! }) {
            job(connection)
            // A body may leave a statement mid-way or a transaction open; either would
            // pin an old snapshot for the next job and hold back checkpoints.
            connection.rollbackIfNeeded()
            connection.resetActiveStatements()
        }
    }

    // MARK: Writer

    func runWriter(_ connection: Connection) {
        let parker = Parker()
        let maxBatchSize = maxBatchSize
        while let jobs = writer.next(
            parker: parker,
            take: { queue -> [WriterJob] in
                guard let first = queue.popFirst() else { return [] }
                guard first.batched != nil else { return [first] }
                var jobs = [first]
                while jobs.count < maxBatchSize, queue.first?.batched != nil {
                    jobs.append(queue.popFirst()!)
                }
                return jobs
            })
        {
            if jobs.count == 1, case .exclusive(let job) = jobs[0] {
                job(connection)
                connection.rollbackIfNeeded()
                connection.resetActiveStatements()
                continue
            }
            var batch = jobs.compactMap(\.batched)
            let started = DispatchTime.now().uptimeNanoseconds
            while !batch.isEmpty {
                batch = commitBatch(batch, on: connection)
            }
            connection.resetActiveStatements()
            if jobs.count > 1 {
                gather(expected: jobs.count, commitNanoseconds: DispatchTime.now().uptimeNanoseconds - started)
            }
        }
        // Let the readers finish first: a reader still inside a transaction would keep
        // the checkpoint from resetting the WAL.
        readersExited.wait()
        // Another process may hold a read transaction for good: Litestream keeps one open
        // while it replicates. TRUNCATE would then wait the whole busy timeout and still
        // fail; with a short wait it does what it can (as PASSIVE would) and returns, and the
        // WAL is left for that process to checkpoint.
        try? connection.execute("PRAGMA busy_timeout=100")
        try? connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// After a batch of `expected` writes, the callers just resumed are likely to
    /// write again within microseconds; taking the queue at once would commit the
    /// first one or two alone and leave the rest for the next fsync. So wait until as
    /// many writes are queued again, but never longer than half a commit's duration
    /// (at most 0.5 ms): a lone writer never waits here, and stragglers lose far less
    /// than a whole extra commit.
    private func gather(expected: Int, commitNanoseconds: UInt64) {
        let window = min(commitNanoseconds / 2, 500_000)
        let deadline = DispatchTime.now().uptimeNanoseconds + window
        while writer.count < min(expected, maxBatchSize), DispatchTime.now().uptimeNanoseconds < deadline {
            usleep(20)
        }
    }

    private static let savepoint = "relieflog_batched_write"

    /// Runs `batch` in one transaction, each body in its own savepoint, commits, then
    /// resumes the callers. Returns the bodies that did not get to run because SQLite
    /// abandoned the transaction (see below); the caller runs them in a new batch.
    private func commitBatch(_ batch: [BatchedWrite], on connection: Connection) -> [BatchedWrite] {
        do {
            try connection.run("BEGIN IMMEDIATE")
        } catch {
            for job in batch {
                job.fail(error)
            }
            return []
        }
        var outcomes: [WriteOutcome] = []
        outcomes.reserveCapacity(batch.count)
        for (index, job) in batch.enumerated() {
            var outcome: WriteOutcome
            do {
                try connection.run("SAVEPOINT \(PoolCore.savepoint)")
                outcome = job.run(connection)
                // A body that hit SQLITE_FULL or an I/O error may have had SQLite roll back the
                // whole transaction, savepoint included: then its own error is the one to report
                // (not "no such savepoint"), and the check below deals with the rest.
                guard connection.isInTransaction else {
                    outcomes.append(outcome)
                    return abandoned(outcomes, rest: batch[(index + 1)...])
                }
                if !outcome.failed && connection.hasDeferredForeignKeyViolations {
                    // Would make the shared COMMIT fail for everyone: fail this body alone.
                    let original = outcome
                    let violation = SQLiteError(
                        code: SQLiteError.constraintForeignKey,
                        message: "FOREIGN KEY constraint failed (a deferred constraint was left unresolved)")
                    outcome = WriteOutcome(failed: true) { batchError in
                        original.complete(batchError ?? violation)
                    }
                }
                if outcome.failed {
                    try? connection.run("ROLLBACK TO \(PoolCore.savepoint)")
                }
                try connection.run("RELEASE \(PoolCore.savepoint)")
            } catch {
                // SAVEPOINT or RELEASE failed: the body broke the transaction itself.
                let reason = error
                outcome = WriteOutcome(failed: true) { batchError in job.fail(batchError ?? reason) }
            }
            outcomes.append(outcome)
            if !connection.isInTransaction {
                return abandoned(outcomes, rest: batch[(index + 1)...])
            }
        }
        do {
            try connection.run("COMMIT")
        } catch {
            connection.rollbackIfNeeded()
            for outcome in outcomes {
                outcome.complete(error)
            }
            return []
        }
        noteWrite()
        for outcome in outcomes {
            outcome.complete(nil)
        }
        return []
    }

    /// Some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM, SQLITE_BUSY…) make SQLite roll
    /// back the whole transaction
    /// (https://www.sqlite.org/lang_transaction.html#response_to_errors_within_a_transaction),
    /// undoing the earlier bodies too. Tells them (a failed body gets its own error), and
    /// returns the bodies not run yet, to be run in a new transaction.
    private func abandoned(_ outcomes: [WriteOutcome], rest: ArraySlice<BatchedWrite>) -> [BatchedWrite] {
        // A body that ended the transaction itself may have committed part of the batch.
        noteWrite()
        let lost = SQLiteError(
            code: SQLITE_ABORT,
            message: "the batched write transaction ended before COMMIT (rolled back by SQLite "
                + "after an error in another write, or ended by a write body); this write may not be saved")
        for outcome in outcomes {
            outcome.complete(outcome.failed ? nil : lost)
        }
        return Array(rest)
    }

    // MARK: Blocking calls

    /// Runs `body` on a worker thread and blocks until it has finished.
    func runSync<T>(onWriter: Bool, _ body: (Connection) throws -> T) throws -> T {
        if isCurrentThreadWorker {
            throw SQLiteError(
                code: SQLITE_MISUSE,
                message: "blocking pool call from inside a pool job would deadlock; use the job's connection")
        }
        return try withoutActuallyEscaping(body) { body in
            let call = SyncCall(body)
            let accepted =
                onWriter
                ? writer.submit(.exclusive { call.run($0, beforeAnswering: self.noteWrite) })
                : readers.submit { call.run($0) }
            guard accepted else { throw PoolCore.closedError }
            return try call.wait()
        }
    }
}

/// Carries a blocking call's closure to a worker thread and its result back.
///
/// `@unchecked Sendable` because neither the closure nor `T` need be `Sendable`:
/// this is sound because the calling thread blocks in `wait()` from `submit` until
/// `run` has signalled, so the closure, its captures and the result are only ever
/// touched by one thread at a time, and the semaphore orders the hand-over. `run`
/// drops the closure before signalling, as `withoutActuallyEscaping` requires.
private final class SyncCall<T>: @unchecked Sendable {
    private var body: ((Connection) throws -> T)?
    private var result: Result<T, any Error>?
    private let done = DispatchSemaphore(value: 0)

    init(_ body: @escaping (Connection) throws -> T) {
        self.body = body
    }

    func run(_ connection: Connection, beforeAnswering: () -> Void = {}) {
        do {
            let body = self.body.take()!
            result = Result { try body(connection) }
        }
        beforeAnswering()
        done.signal()
    }

    func wait() throws -> T {
        done.wait()
        return try result.take()!.get()
    }
}

/// fsyncs a file or directory so a finished backup survives power loss.
private func synchronize(path: String, directory: Bool) throws {
    let descriptor = open(path, directory ? O_RDONLY | O_DIRECTORY : O_RDONLY)
    guard descriptor >= 0 else {
        throw SQLiteError(code: SQLITE_IOERR, message: "cannot open \(path) to sync it (errno \(errno))")
    }
    defer { _ = close(descriptor) }
    guard fsync(descriptor) == 0 else {
        throw SQLiteError(code: SQLITE_IOERR, message: "cannot fsync \(path) (errno \(errno))")
    }
}
