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

    @Test("leaves no read transaction open between reads, so a checkpoint can reset the WAL")
    func noSnapshotPinned() async throws {
        let directory = try TemporaryDirectory()
        let pool = try makePool(directory)
        defer { pool.close() }
        let reader = try pool.makeConfinedReader()
        for value in 0..<50 {
            try await pool.write { db in try db.run("INSERT INTO t(v) VALUES (?)", [.integer(Int64(value))]) }
        }
        // A statement stepped once and abandoned mid-way would keep a snapshot.
        let stepped = try reader.read { db in try db.statement("SELECT v FROM t").step() }
        #expect(stepped)
        let busy = try pool.withWriterConnection { db in
            try db.queryOne("PRAGMA wal_checkpoint(TRUNCATE)")?.int64(0)
        }
        #expect(busy == 0)
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
