import Dispatch
import Foundation
import SQLite
import Testing

@Suite("ConfinedReader")
struct ConfinedReaderTests {
    private func makePool(_ directory: TemporaryDirectory) throws -> DatabasePool {
        let pool = try DatabasePool(path: directory.path("diary.sqlite"), configuration: .init(readerCount: 1))
        try pool.writeSync { try $0.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v)") }
        return pool
    }

    @Test("reads on the calling thread, read-only, and sees every write committed before the read")
    func readsCommittedDataOnTheCaller() async throws {
        let directory = try TemporaryDirectory()
        let pool = try makePool(directory)
        defer { pool.close() }
        let reader = try pool.makeConfinedReader()
        #expect(try reader.read { db in try db.scalar("SELECT count(*) FROM t") } == .integer(0))
        for count in 1...3 {
            try await pool.write { db in try db.run("INSERT INTO t(v) VALUES (?)", [.integer(Int64(count))]) }
            let caller = pthread_self()
            let seen = try reader.read { db -> SQLiteValue? in
                #expect(pthread_equal(pthread_self(), caller) != 0)
                return try db.scalar("SELECT count(*) FROM t")
            }
            #expect(seen == .integer(Int64(count)))
        }
        #expect(throws: SQLiteError.self) { try reader.read { db in try db.run("INSERT INTO t(v) VALUES (0)") } }
    }

    @Test("a serial queue may use it from whichever thread runs the queue")
    func serialQueueAcrossThreads() async throws {
        let directory = try TemporaryDirectory()
        let pool = try makePool(directory)
        defer { pool.close() }
        try await pool.write { db in try db.run("INSERT INTO t(v) VALUES ('x')") }
        let reader = try pool.makeConfinedReader()
        let queue = DispatchQueue(label: "confined-reader-test")
        let group = DispatchGroup()
        let results = ResultBox<[SQLiteValue]>([])
        for _ in 0..<200 {
            queue.async(group: group) {
                let value = try? reader.read { db in try db.scalar("SELECT v FROM t") }
                results.withLock { $0.append(value ?? .null) }
            }
        }
        group.wait()
        #expect(results.withLock { $0 } == Array(repeating: .text("x"), count: 200))
    }

    @Test("keeps one snapshot for the reads of a turn, and endSnapshot lets a checkpoint reset the WAL")
    func snapshotEndsWithTheTurn() async throws {
        let directory = try TemporaryDirectory()
        let pool = try makePool(directory)
        defer { pool.close() }
        let reader = try pool.makeConfinedReader()
        for value in 0..<50 {
            try await pool.write { db in try db.run("INSERT INTO t(v) VALUES (?)", [.integer(Int64(value))]) }
        }
        // A statement stepped once and abandoned mid-way: reset after the read, snapshot kept.
        let stepped = try reader.read { db in try db.statement("SELECT v FROM t").step() }
        #expect(stepped)
        // Frames written after the snapshot began cannot be checkpointed while it is held...
        try await pool.write { db in try db.run("INSERT INTO t(v) VALUES (50)") }
        let passive = try pool.withWriterConnection { db in try db.queryOne("PRAGMA wal_checkpoint(PASSIVE)") }
        let (frames, copied) = (passive?.int64(1) ?? 0, passive?.int64(2) ?? 0)
        #expect(frames > 0 && copied < frames, "frames \(frames), checkpointed \(copied)")
        // ...and once the turn ends nothing pins the WAL.
        reader.endSnapshot()
        let busy = try pool.withWriterConnection { db in
            try db.queryOne("PRAGMA wal_checkpoint(TRUNCATE)")?.int64(0)
        }
        #expect(busy == 0)
        reader.endSnapshot()  // a second call with nothing open does nothing
        #expect(try reader.read { db in try db.scalar("SELECT count(*) FROM t") } == .integer(51))
    }

    @Test("another process's write is seen from the next turn; a failed read ends the snapshot at once")
    func otherWritersFromTheNextTurn() async throws {
        let directory = try TemporaryDirectory()
        let pool = try makePool(directory)
        defer { pool.close() }
        let reader = try pool.makeConfinedReader()
        let outsider = try Connection(path: directory.path("diary.sqlite"))
        defer { outsider.close() }
        let count = { try reader.read { db in try db.scalar("SELECT count(*) FROM t") } }
        #expect(try count() == .integer(0))
        try outsider.run("INSERT INTO t(v) VALUES ('outside')")
        #expect(try count() == .integer(0), "the snapshot of this turn")
        reader.endSnapshot()
        #expect(try count() == .integer(1))
        try outsider.run("INSERT INTO t(v) VALUES ('outside again')")
        #expect(throws: SQLiteError.self) { try reader.read { db in try db.scalar("SELECT * FROM missing") } }
        #expect(try count() == .integer(2))
    }

    @Test("is closed with its pool: later reads throw")
    func closedWithThePool() throws {
        let directory = try TemporaryDirectory()
        let pool = try makePool(directory)
        let reader = try pool.makeConfinedReader()
        pool.close()
        #expect(throws: SQLiteError.self) { try reader.read { db in try db.scalar("SELECT 1") } }
        #expect(throws: SQLiteError.self) { try pool.makeConfinedReader() }
    }
}

/// A lock for collecting results in tests.
private final class ResultBox<Value: Sendable>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
