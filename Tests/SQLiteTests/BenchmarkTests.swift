import Foundation
import SQLite
import Testing

/// Measurements, not checks: skipped unless `SQLITE_BENCHMARK=1`. Run them alone in
/// release mode for meaningful numbers:
///
///     SQLITE_BENCHMARK=1 swift test -c release --filter Benchmarks
@Suite("Benchmarks", .serialized, .enabled(if: ProcessInfo.processInfo.environment["SQLITE_BENCHMARK"] == "1"))
struct Benchmarks {
    private func populatedPool(_ directory: TemporaryDirectory, rows: Int) throws -> DatabasePool {
        let pool = try DatabasePool(path: directory.path("bench.sqlite"))
        try pool.writeSync { db in
            try db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
            for i in 0..<rows {
                try db.run("INSERT INTO t(id, v) VALUES (?, ?)", [.integer(Int64(i)), .text("entry \(i)")])
            }
        }
        return pool
    }

    @Test("read round trip for a primary-key lookup")
    func readRoundTrip() async throws {
        let directory = try TemporaryDirectory()
        let pool = try populatedPool(directory, rows: 10_000)
        defer { pool.close() }
        let iterations = 50_000

        // The query alone, on a connection owned by this thread.
        let direct = try Connection(path: directory.path("bench.sqlite"), mode: .readOnly)
        var start = now()
        for i in 0..<iterations {
            _ = try direct.queryOne("SELECT v FROM t WHERE id = ?", [.integer(Int64(i % 10_000))])
        }
        let queryOnly = (now() - start) / Double(iterations)

        for i in 0..<1000 {  // warm up threads and statement caches
            _ = try await pool.read { db in try db.queryOne("SELECT v FROM t WHERE id = ?", [.integer(Int64(i))]) }
        }
        start = now()
        for i in 0..<iterations {
            _ = try await pool.read { db in
                try db.queryOne("SELECT v FROM t WHERE id = ?", [.integer(Int64(i % 10_000))])
            }
        }
        let pooled = (now() - start) / Double(iterations)
        print(
            String(
                format: "BENCH read: query %.2f µs, pool.read %.2f µs, overhead %.2f µs",
                queryOnly * 1e6, pooled * 1e6, (pooled - queryOnly) * 1e6))
    }

    @Test("group commit throughput with concurrent writers", arguments: [1, 32])
    func writeThroughput(callers: Int) async throws {
        let directory = try TemporaryDirectory()
        let pool = try populatedPool(directory, rows: 0)
        defer { pool.close() }
        let perCaller = callers == 1 ? 2_000 : 1_000
        let start = now()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for caller in 0..<callers {
                group.addTask {
                    for i in 0..<perCaller {
                        try await pool.write { db in
                            try db.run("INSERT INTO t(v) VALUES (?)", [.text("caller \(caller) row \(i)")])
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = now() - start
        let rows = callers * perCaller
        #expect(try pool.readSync { try $0.scalar("SELECT count(*) FROM t") } == .integer(Int64(rows)))
        print(String(format: "BENCH write: %d caller(s), %d rows in %.2f s = %.0f rows/s", callers, rows, elapsed, Double(rows) / elapsed))
    }
}
