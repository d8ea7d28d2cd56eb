import CSQLite
import Foundation
import SQLite
import Synchronization
import Testing

private struct Refused: Error, Equatable {
    let id: Int
}

/// Counting to this many rows with a recursive CTE keeps a reader busy for a
/// noticeable while (hundreds of milliseconds).
private let longCount = 3_000_000
private let longCountSQL = """
    WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) SELECT count(*) FROM c
    """

private func makePool(
    _ directory: TemporaryDirectory, readers: Int = 4, schema: String = "CREATE TABLE t(id INTEGER PRIMARY KEY, v)"
) throws -> DatabasePool {
    let pool = try DatabasePool(
        path: directory.path("diary.sqlite"), configuration: .init(readerCount: readers))
    try pool.writeSync { try $0.execute(schema) }
    return pool
}

@Suite("DatabasePool")
struct DatabasePoolTests {
    @Test("reads and writes run on the pool's threads and return results")
    func basics() async throws {
        let directory = try TemporaryDirectory()
        let pool = try makePool(directory)
        defer { pool.close() }
        let id = try await pool.write { db -> Int64 in
            #expect(db.isInTransaction)
            #expect(Thread.current.name == "sqlite-writer")
            try db.run("INSERT INTO t(v) VALUES (?)", ["migraine"])
            return db.lastInsertRowID
        }
        let value = try await pool.read { db -> String? in
            #expect(Thread.current.name?.hasPrefix("sqlite-reader") == true)
            return try db.queryOne("SELECT v FROM t WHERE id = ?", [.integer(id)])?.string("v")
        }
        #expect(value == "migraine")
        #expect(try pool.readSync { try $0.scalar("SELECT count(*) FROM t") } == .integer(1))
    }

    @Test("a write's savepoint journal of several hundred KiB stays in memory: no file writes before the commit")
    func statementJournalInMemory() async throws {
        let directory = try TemporaryDirectory()
        let pool = try makePool(directory)
        defer { pool.close() }
        // 400 rows of 2,000 bytes: about 200 pages, committed and checkpointed into the file.
        try pool.writeSync { db in
            try db.run(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400) INSERT INTO t(v) SELECT zeroblob(2000) FROM n"
            )
        }
        _ = try pool.withWriterConnection { db in try db.queryOne("PRAGMA wal_checkpoint(TRUNCATE)") }
        // Inside one write's savepoint, change every page: the savepoint journal gets the
        // original of each, about 800 KiB, past SQLite's default 64 KiB spill threshold. Only
        // the writer thread's own write calls are counted (/proc/thread-self/io), so other
        // tests running at the same time do not disturb the count.
        let writes = try await pool.write { db -> (before: Int, after: Int) in
            let before = try Self.threadWriteCalls()
            try db.run("UPDATE t SET v = zeroblob(1999)")
            return (before, try Self.threadWriteCalls())
        }
        #expect(writes.after == writes.before, "write calls during the statement: \(writes.after - writes.before)")
        #expect(try pool.readSync { try $0.scalar("SELECT sum(length(v)) FROM t") } == .integer(400 * 1999))
    }

    /// Write system calls made by the calling thread so far.
    private static func threadWriteCalls() throws -> Int {
        let text = try String(contentsOfFile: "/proc/thread-self/io", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("syscw:") })
        return try #require(Int(line.dropFirst("syscw:".count).trimmingCharacters(in: .whitespaces)))
    }

    @Test("reader connections are read-only and see the pragmas")
    func readerSettings() async throws {
        let directory = try TemporaryDirectory()
        let pool = try makePool(directory)
        defer { pool.close() }
        let settings = try await pool.read { db in
            [
                try db.scalar("PRAGMA query_only"), try db.scalar("PRAGMA foreign_keys"),
                try db.scalar("PRAGMA journal_mode"),
            ]
        }
        #expect(settings == [.integer(1), .integer(1), .text("wal")])
        await #expect(throws: SQLiteError.self) {
            try await pool.read { db in try db.run("INSERT INTO t(v) VALUES (1)") }
        }
    }

    @Test("a failing body in a group commit rolls back alone and the others commit")
    func savepointIsolation() async throws {
        let directory = try TemporaryDirectory()
        let pool = try makePool(directory)
        defer { pool.close() }
        // Hold the writer so that the next writes queue up and are committed as one batch.
        let release = Atomic<Bool>(false)
        async let blocker: Void = pool.write { db in
            while !release.load(ordering: .acquiring) { usleep(1000) }
            try db.run("INSERT INTO t(v) VALUES ('blocker')")
        }
        let outcomes = try await withThrowingTaskGroup(of: (Int, Result<Int64, Refused>).self) { group in
            for i in 0..<10 {
                group.addTask {
                    do {
                        let id = try await pool.write { db -> Int64 in
                            try db.run("INSERT INTO t(v) VALUES (?)", [.text("entry \(i)")])
                            if i == 4 {
                                try db.run("INSERT INTO t(v) VALUES ('also undone')")
                                throw Refused(id: i)
                            }
                            return db.lastInsertRowID
                        }
                        return (i, .success(id))
                    } catch let error as Refused {
                        return (i, .failure(error))
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(100))
            release.store(true, ordering: .releasing)
            var outcomes: [Int: Result<Int64, Refused>] = [:]
            for try await (i, outcome) in group { outcomes[i] = outcome }
            return outcomes
        }
        try await blocker
        #expect(outcomes[4] == .failure(Refused(id: 4)))
        for i in 0..<10 where i != 4 {
            #expect(throws: Never.self) { try outcomes[i]?.get() }
        }
        let stored = try await pool.read { db in
            try db.query("SELECT v FROM t ORDER BY id").compactMap { $0.string("v") }
        }
        #expect(stored.count == 10)
        #expect(stored.contains("blocker"))
        #expect(!stored.contains("entry 4"))
        #expect(!stored.contains("also undone"))
    }

    @Test("a body that ends the shared transaction fails its batch-mates cleanly; later writes run anew")
    func bodyEndsTransaction() async throws {
        let directory = try TemporaryDirectory()
        let pool = try makePool(directory)
        defer { pool.close() }
        let release = Atomic<Bool>(false)
        let blocker = Task {
            try await pool.write { _ in
                while !release.load(ordering: .acquiring) { usleep(1000) }
            }
        }
        try await Task.sleep(for: .milliseconds(20))
        // Queued in this order behind the blocker, so they form one batch.
        let before = Task { try await pool.write { db in try db.run("INSERT INTO t(v) VALUES ('before')") } }
        try await Task.sleep(for: .milliseconds(20))
        let rogue = Task { try await pool.write { db in try db.run("ROLLBACK") } }
        try await Task.sleep(for: .milliseconds(20))
        let after = Task { try await pool.write { db in try db.run("INSERT INTO t(v) VALUES ('after')") } }
        try await Task.sleep(for: .milliseconds(20))
        release.store(true, ordering: .releasing)

        try await blocker.value
        let lost = await #expect(throws: SQLiteError.self) { try await before.value }
        #expect(lost?.primaryCode == SQLITE_ABORT)
        await #expect(throws: SQLiteError.self) { try await rogue.value }
        try await after.value
        let stored = try await pool.read { db in try db.query("SELECT v FROM t").compactMap { $0.string(0) } }
        #expect(stored == ["after"])
    }

    @Test("a body leaving a deferred foreign key violation fails alone")
    func deferredForeignKeys() async throws {
        let directory = try TemporaryDirectory()
        let pool = try makePool(
            directory,
            schema: """
                CREATE TABLE patients(id INTEGER PRIMARY KEY);
                CREATE TABLE entries(id INTEGER PRIMARY KEY,
                    patient_id INTEGER REFERENCES patients(id) DEFERRABLE INITIALLY DEFERRED);
                """)
        defer { pool.close() }
        async let good: Void = pool.write { db in
            try db.run("INSERT INTO patients(id) VALUES (1)")
            try db.run("INSERT INTO entries(patient_id) VALUES (1)")
        }
        let bad = Task {
            try await pool.write { db in try db.run("INSERT INTO entries(patient_id) VALUES (99)") }
        }
        try await good
        let error = await #expect(throws: SQLiteError.self) { try await bad.value }
        #expect(error?.isForeignKeyViolation == true)
        #expect(try pool.readSync { try $0.scalar("SELECT count(*) FROM entries") } == .integer(1))
    }

    @Test("200 concurrent writes all land exactly once")
    func concurrentWrites() async throws {
        let directory = try TemporaryDirectory()
        let pool = try makePool(directory)
        defer { pool.close() }
        let ids = try await withThrowingTaskGroup(of: Int64.self) { group in
            for i in 0..<200 {
                group.addTask {
                    try await pool.write { db in
                        try db.run("INSERT INTO t(v) VALUES (?)", [.integer(Int64(i))])
                        return db.lastInsertRowID
                    }
                }
            }
            return try await group.reduce(into: Set<Int64>()) { $0.insert($1) }
        }
        #expect(ids.count == 200)
        let row = try #require(
            try await pool.read { db in
                try db.queryOne("SELECT count(*) AS n, count(DISTINCT v) AS d, sum(v) AS s FROM t")
            })
        #expect(row.int("n") == 200)
        #expect(row.int("d") == 200)
        #expect(row.int("s") == 199 * 200 / 2)
    }

    @Test("a long read blocks neither writes nor other reads")
    func longReadDoesNotBlock() async throws {
        let directory = try TemporaryDirectory()
        let pool = try makePool(directory, readers: 2)
        defer { pool.close() }
        let started = Atomic<Bool>(false)
        let readFinished = Atomic<Bool>(false)
        async let long: SQLiteValue? = pool.read { db in
            started.store(true, ordering: .releasing)
            defer { readFinished.store(true, ordering: .releasing) }
            return try db.scalar(longCountSQL, [.integer(Int64(longCount))])
        }
        while !started.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(1)) }
        try await pool.write { db in try db.run("INSERT INTO t(v) VALUES ('during long read')") }
        let writeBeatRead = !readFinished.load(ordering: .acquiring)
        let seen = try await pool.read { db in try db.scalar("SELECT count(*) FROM t") }
        let shortReadBeatLongRead = !readFinished.load(ordering: .acquiring)
        #expect(try await long == .integer(Int64(longCount)))
        #expect(writeBeatRead)
        #expect(shortReadBeatLongRead)
        #expect(seen == .integer(1))
    }

    @Test("readers see data as soon as its write has returned")
    func readYourWrites() async throws {
        let directory = try TemporaryDirectory()
        let pool = try makePool(directory)
        defer { pool.close() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for i in 0..<20 {
                        let value = Int64(task * 100 + i)
                        let id = try await pool.write { db in
                            try db.run("INSERT INTO t(v) VALUES (?)", [.integer(value)])
                            return db.lastInsertRowID
                        }
                        let read = try await pool.read { db in
                            try db.scalar("SELECT v FROM t WHERE id = ?", [.integer(id)])
                        }
                        #expect(read == .integer(value))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try pool.readSync { try $0.scalar("SELECT count(*) FROM t") } == .integer(160))
    }

    @Test("a statement left mid-way by a read body does not pin an old snapshot")
    func abandonedStatement() async throws {
        let directory = try TemporaryDirectory()
        let pool = try makePool(directory, readers: 1)
        defer { pool.close() }
        try await pool.write { db in try db.run("INSERT INTO t(v) VALUES (1), (2)") }
        let first = try await pool.read { db -> Int64 in
            let statement = try db.statement("SELECT v FROM t ORDER BY id")
            _ = try statement.step()  // one row read, statement never reset
            return statement.int64(0)
        }
        #expect(first == 1)
        try await pool.write { db in try db.run("INSERT INTO t(v) VALUES (3)") }
        let count = try await pool.read { db in try db.scalar("SELECT count(*) FROM t") }
        #expect(count == .integer(3))
    }

    @Test("writeSync commits or rolls back its own transaction")
    func writeSync() throws {
        struct Boom: Error {}
        let directory = try TemporaryDirectory()
        let pool = try makePool(directory)
        defer { pool.close() }
        try pool.writeSync { db in try db.run("INSERT INTO t(v) VALUES ('kept')") }
        #expect(throws: Boom.self) {
            try pool.writeSync { db in
                try db.run("INSERT INTO t(v) VALUES ('undone')")
                throw Boom()
            }
        }
        #expect(try pool.readSync { try $0.query("SELECT v FROM t").map { $0.string(0) } } == ["kept"])
    }

    @Test("withWriterConnection runs outside a transaction")
    func writerConnection() throws {
        let directory = try TemporaryDirectory()
        let pool = try makePool(directory)
        defer { pool.close() }
        let inTransaction = try pool.withWriterConnection { db in db.isInTransaction }
        #expect(!inTransaction)
        let checkpoint = try pool.withWriterConnection { db in try db.queryOne("PRAGMA wal_checkpoint(PASSIVE)") }
        #expect(checkpoint?.int(0) == 0)
        let error = try #require(throws: SQLiteError.self) {
            try pool.withWriterConnection { db in try db.run("BEGIN") }
        }
        #expect(error.isMisuse)
        #expect(try pool.withWriterConnection { db in db.isInTransaction } == false)
    }

    @Test("blocking calls from inside a pool job are refused instead of deadlocking")
    func reentrancy() async throws {
        let directory = try TemporaryDirectory()
        let pool = try makePool(directory)
        defer { pool.close() }
        let error = await #expect(throws: SQLiteError.self) {
            try await pool.write { _ in try pool.writeSync { _ in } }
        }
        #expect(error?.isMisuse == true)
        await #expect(throws: SQLiteError.self) {
            try await pool.read { _ in try pool.readSync { _ in } }
        }
    }

    @Test("backup writes a readable copy and refuses to overwrite")
    func backup() async throws {
        let directory = try TemporaryDirectory()
        let pool = try makePool(directory)
        defer { pool.close() }
        for i in 0..<50 {
            try await pool.write { db in try db.run("INSERT INTO t(v) VALUES (?)", [.text("entry \(i)")]) }
        }
        let target = directory.path("backup.sqlite")
        try pool.backup(to: target)
        let copy = try Connection(path: target, mode: .readOnly)
        #expect(try copy.scalar("SELECT count(*) FROM t") == .integer(50))
        #expect(try copy.scalar("PRAGMA integrity_check") == .text("ok"))
        copy.close()

        let error = try #require(throws: SQLiteError.self) { try pool.backup(to: target) }
        #expect(error.message.contains("already exists"))
        #expect(try Connection(path: target).scalar("SELECT count(*) FROM t") == .integer(50))
    }

    @Test("opening a pool where the file cannot be created fails clearly")
    func openFailure() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("no/such/dir/diary.sqlite")
        let error = try #require(throws: SQLiteError.self) { try DatabasePool(path: path) }
        #expect(error.primaryCode == SQLITE_CANTOPEN)
        #expect(error.message.contains(path))
        #expect(throws: SQLiteError.self) {
            try DatabasePool(path: directory.path("x.sqlite"), configuration: .init(readerCount: 0))
        }
    }

    @Test("close finishes queued work, is idempotent, and later calls fail cleanly")
    func close() async throws {
        let directory = try TemporaryDirectory()
        let pool = try makePool(directory)
        let writes = (0..<20).map { i in
            Task { try await pool.write { db in try db.run("INSERT INTO t(v) VALUES (?)", [.integer(Int64(i))]) } }
        }
        // Let some of them be queued, then close underneath them.
        try await Task.sleep(for: .milliseconds(5))
        pool.close()
        pool.close()
        #expect(pool.isClosed)
        var committed = 0
        for write in writes {
            do {
                try await write.value
                committed += 1
            } catch let error as SQLiteError {
                #expect(error.isMisuse)  // submitted after close: refused, not lost
            }
        }
        let readError = await #expect(throws: SQLiteError.self) { try await pool.read { _ in 1 } }
        #expect(readError?.isMisuse == true)
        #expect(readError?.message == "database pool is closed")
        await #expect(throws: SQLiteError.self) { try await pool.write { _ in 1 } }
        #expect(throws: SQLiteError.self) { try pool.writeSync { _ in 1 } }
        #expect(throws: SQLiteError.self) { try pool.readSync { _ in 1 } }
        #expect(throws: SQLiteError.self) { try pool.backup(to: directory.path("late.sqlite")) }

        // Every write that was accepted is durable; the WAL was checkpointed and truncated.
        let reopened = try Connection(path: directory.path("diary.sqlite"))
        #expect(try reopened.scalar("SELECT count(*) FROM t") == .integer(Int64(committed)))
        let wal = try? FileManager.default.attributesOfItem(atPath: directory.path("diary.sqlite-wal"))
        #expect((wal?[.size] as? Int ?? 0) == 0)
    }

    @Test("dropping the last reference closes the pool")
    func deinitCloses() async throws {
        let directory = try TemporaryDirectory()
        do {
            let pool = try makePool(directory)
            try await pool.write { db in try db.run("INSERT INTO t(v) VALUES (1)") }
        }
        // The writer's lock is gone: a new pool can open and write at once.
        let again = try DatabasePool(
            path: directory.path("diary.sqlite"), configuration: .init(busyTimeoutMilliseconds: 0))
        try await again.write { db in try db.run("INSERT INTO t(v) VALUES (2)") }
        #expect(try again.readSync { try $0.scalar("SELECT count(*) FROM t") } == .integer(2))
        again.close()
    }
}
