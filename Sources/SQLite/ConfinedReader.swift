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
/// `@unchecked Sendable` because the connection is not: every use goes through `read`, which
/// takes an atomic flag with acquire ordering and gives it back with release ordering. Two
/// callers at once stop the process (a programming error, not a data race), and successive
/// callers on different threads (a serial Dispatch queue moves between threads) see each
/// other's effects through the flag.
public final class ConfinedReader: @unchecked Sendable {
    private let connection: Connection
    private let busy = Atomic<Bool>(false)
    private var isClosed = false

    init(path: String, busyTimeoutMilliseconds: Int32) throws {
        connection = try Connection(path: path, mode: .readOnly, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
    }

    /// Runs `body` on this reader's connection, on the calling thread, and returns its result.
    /// Each call sees the latest committed data as of its first statement. Do not keep the
    /// connection or its statements beyond `body`, and do not call `read` again from inside it.
    public func read<T>(_ body: (Connection) throws -> T) throws -> T {
        acquire()
        defer {
            // As on a reader thread: nothing may pin a snapshot past the call.
            connection.rollbackIfNeeded()
            connection.resetActiveStatements()
            busy.store(false, ordering: .releasing)
        }
        guard !isClosed else { throw SQLiteError.closed("confined reader") }
        return try body(connection)
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
        let reader = try ConfinedReader(path: path, busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds)
        guard registerConfinedReader(reader) else {
            reader.close()
            throw PoolCore.closedError
        }
        return reader
    }
}
