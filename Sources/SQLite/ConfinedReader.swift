import CSQLite
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A read-only connection used synchronously by one serial context at a time: an HTTP event
/// loop answering a point read on its own thread, instead of handing it to a reader thread and
/// waiting for the answer (two thread hand-offs for a read that takes microseconds).
///
/// The pool's reader threads stay the place for reads that can take long (lists, analytics,
/// exports); a confined reader blocks its caller for as long as the read takes.
///
/// **One snapshot for a run of reads.** Each read transaction costs SQLite two `fcntl` locks on
/// the WAL index and a pass through its shared-memory mutex, more than a point read itself. So
/// the transaction a read opens is kept for the reads after it until `endSnapshot()`, which the
/// owner calls at the end of each turn of its work (an event loop: before it waits for its
/// sockets again), or until this pool's writer changes the database: every write transaction
/// bumps a counter before its caller is resumed, and a read that finds the counter moved starts
/// a new snapshot. So a read never misses a write of this process that completed before it
/// began; a write by another process (the command line, a backup tool) is seen from the next
/// turn on, the same as if the read had started at the beginning of the turn.
///
/// `@unchecked Sendable` because the connection is not: every use goes through `read` or
/// `endSnapshot`, which take an atomic flag with acquire ordering and give it back with release
/// ordering. Two callers at once stop the process (a programming error, not a data race), and
/// successive callers on different threads see each other's effects through the flag.
public final class ConfinedReader: @unchecked Sendable {
    private let connection: Connection
    private let busy = Atomic<Bool>(false)
    private var isClosed = false
    private let pool: PoolCore
    /// The writer's counter when the open snapshot began; nil when none is open.
    private var snapshotWrites: UInt64?

    init(path: String, busyTimeoutMilliseconds: Int32, writes: PoolCore) throws {
        connection = try Connection(path: path, mode: .readOnly, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        self.pool = writes
    }

    /// Runs `body` on this reader's connection, on the calling thread, and returns its result.
    /// It sees every write of this pool that completed before the call (and, from the next
    /// turn on, other processes' writes). Do not keep the connection or its statements beyond
    /// `body`, and do not call `read` again from inside it.
    public func read<T>(_ body: (Connection) throws -> T) throws -> T {
        acquire()
        defer {
            connection.resetActiveStatements()
            busy.store(false, ordering: .releasing)
        }
        guard !isClosed else { throw SQLiteError.closed("confined reader") }
        let current = pool.writes.load(ordering: .acquiring)
        if let began = snapshotWrites, began != current || !connection.isInTransaction {
            endTransaction()
        }
        if snapshotWrites == nil {
            // Deferred: the snapshot is taken by the first read inside, after `current` was
            // read, so it holds at least every write counted so far.
            try connection.run("BEGIN DEFERRED")
            snapshotWrites = current
        }
        do {
            return try body(connection)
        } catch {
            endTransaction()
            throw error
        }
    }

    /// Ends the snapshot the reads since the last call shared, so that it pins no WAL frames
    /// while the owner waits. Cheap when none is open; call it from the owner's context.
    public func endSnapshot() {
        guard snapshotWrites != nil else { return }
        acquire()
        defer { busy.store(false, ordering: .releasing) }
        endTransaction()
    }

    private func endTransaction() {
        connection.resetActiveStatements()
        connection.rollbackIfNeeded()
        snapshotWrites = nil
    }

    /// Closes the connection; later reads throw. Waits for a read in progress to end.
    public func close() {
        while busy.exchange(true, ordering: .acquiring) {
            usleepBriefly()
        }
        defer { busy.store(false, ordering: .releasing) }
        guard !isClosed else { return }
        isClosed = true
        connection.close()
    }

    private func acquire() {
        let (exchanged, _) = busy.compareExchange(expected: false, desired: true, ordering: .acquiring)
        precondition(exchanged, "a ConfinedReader was used by two threads at once")
    }

    private func usleepBriefly() {
        var pause = timespec(tv_sec: 0, tv_nsec: 100_000)
        nanosleep(&pause, nil)
    }
}

extension DatabasePool {
    /// Opens a read-only connection for one serial context (see `ConfinedReader`). The pool
    /// closes it when it closes, before its final checkpoint; its owner may close it earlier.
    public func makeConfinedReader() throws -> ConfinedReader {
        let reader = try ConfinedReader(
            path: path, busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds, writes: writeCounter)
        guard registerConfinedReader(reader) else {
            reader.close()
            throw PoolCore.closedError
        }
        return reader
    }
}
