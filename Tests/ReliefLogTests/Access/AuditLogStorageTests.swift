import Foundation
import Logging
import SQLite
import TestSupport
import Testing

@testable import ReliefLog

/// How the audit log is written and pruned: batches sorted by patient with ids in request order,
/// the retention prune without an `at_ms` index (a bisection over ids, then sliced deletes), and
/// the migration that rebuilt the table.
@Suite("Audit log storage: batches, retention prune, migration")
struct AuditLogStorageTests {
    static let day: Int64 = 86_400_000
    static let now: Int64 = 1_795_000_000_000

    /// A migrated database and an audit trail with 30 days of retention over it.
    final class Fixture {
        let directory = TemporaryDirectory()
        let pool: DatabasePool
        let trail: AuditTrail

        init() throws {
            pool = try DatabasePool(path: directory.file("audit.sqlite"))
            _ = try pool.withWriterConnection {
                try Migrator(directory: URL(fileURLWithPath: migrationsDirectory)).migrate($0)
            }
            trail = AuditTrail(
                database: pool, retentionDays: 30, clock: { AuditLogStorageTests.now }, logger: Logger(label: "test"))
        }

        deinit {
            pool.close()
            directory.remove()
        }

        /// Appends rows in id order with these ages (milliseconds before `now`).
        func append(ages: [Int64]) throws {
            try pool.writeSync { connection in
                try AuditRepository(connection).insertBatch(
                    ages.map {
                        AuditEntry(at: AuditLogStorageTests.now - $0, method: "GET", route: "/v1/x", status: 200)
                    })
            }
        }

        func remainingAges() throws -> [Int64] {
            try pool.readSync { connection in
                try connection.query("SELECT at_ms FROM audit_log ORDER BY id").compactMap { $0.int64(0) }.map {
                    AuditLogStorageTests.now - $0
                }
            }
        }
    }

    @Test("deletes exactly the rows past the retention, over several slices")
    func slices() async throws {
        let fixture = try Fixture()
        // 12,000 rows from 60 days ago to now, oldest first: 6,000 past the 30-day retention.
        let count: Int64 = 12_000
        let ages = (0..<count).map { index in 60 * Self.day - index * (60 * Self.day / count) }
        try fixture.append(ages: ages)
        let due = ages.filter { $0 > 30 * Self.day }.count
        #expect(due > AuditTrail.pruneSlice)
        // The bisection bounds the delete's scan at the first row that stays (ids start at 1).
        let boundary = try fixture.pool.readSync {
            try AuditRepository($0).firstId(atOrAfter: Self.now - 30 * Self.day)
        }
        #expect(boundary == Int64(due) + 1)

        #expect(await fixture.trail.prune(now: Self.now) == due)
        let remaining = try fixture.remainingAges()
        #expect(remaining.count == ages.count - due)
        #expect(remaining.allSatisfy { $0 <= 30 * Self.day })
        #expect(await fixture.trail.prune(now: Self.now) == 0)
    }

    @Test("rows a second out of order at the boundary: none kept past due for long, none deleted early")
    func jitterAtBoundary() async throws {
        let fixture = try Fixture()
        let retention = 30 * Self.day
        // Batched read rows land after a newer change's row: ages step down, with pairs swapped
        // around the boundary.
        let ages: [Int64] = [
            40 * Self.day, 35 * Self.day,
            retention + 400, retention + 900, retention - 300, retention + 200, retention - 800,
            20 * Self.day, Self.day,
        ]
        try fixture.append(ages: ages)
        await fixture.trail.prune(now: Self.now)
        let remaining = try fixture.remainingAges()
        // Never a row that is not due yet.
        #expect(remaining.contains(retention - 300) && remaining.contains(retention - 800))
        #expect(remaining.contains(20 * Self.day) && remaining.contains(Self.day))
        // The old ones before the boundary are gone.
        #expect(!remaining.contains(40 * Self.day) && !remaining.contains(35 * Self.day))
        // What is left behind is within a second of the boundary, and goes at the next prune.
        #expect(remaining.allSatisfy { $0 <= retention + 1_000 })
        await fixture.trail.prune(now: Self.now + 1_000)
        #expect(try fixture.remainingAges().allSatisfy { $0 <= retention })
    }

    @Test("a flush larger than one transaction's bound writes every entry, ids in the order of the requests")
    func flushInSlices() async throws {
        let fixture = try Fixture()
        let count = AuditTrail.rowsPerTransaction * 2 + 500
        for index in 0..<count {
            fixture.trail.record(
                AuditEntry(
                    at: Int64(index), method: "GET", route: "/v1/x", patientId: Int64(index % 7), status: 200))
        }
        await fixture.trail.flush()
        let rows = try fixture.pool.readSync { connection in
            try connection.query("SELECT id, at_ms FROM audit_log ORDER BY id").map { ($0.int64(0), $0.int64(1)) }
        }
        #expect(rows.count == count)
        #expect(rows.map(\.0) == (1...count).map(Int64.init))
        #expect(rows.map(\.1) == (0..<count).map(Int64.init))
        // Nothing left to write.
        await fixture.trail.flush()
        #expect(try fixture.pool.readSync { try $0.scalar("SELECT count(*) FROM audit_log") } == .integer(Int64(count)))
    }

    @Test("ids set aside for a flush are never given to a change written between its transactions")
    func reservedIdsStayReserved() async throws {
        let fixture = try Fixture()
        let reads = (0..<6).map {
            AuditEntry(at: 10 + Int64($0), method: "GET", route: "/v1/x", patientId: Int64(3 - $0 % 3), status: 200)
        }
        // First transaction of a flush: six ids set aside, two rows written.
        let first = try fixture.pool.writeSync { connection in
            let audit = AuditRepository(connection)
            let first = try audit.reserveIds(reads.count)
            try audit.insert([(index: 0, entry: reads[0]), (index: 1, entry: reads[1])], firstId: first)
            return first
        }
        // A change commits in between: SQLite picks an id past the reserved ones (without the
        // reservation it would take 3, which the flush's third row needs).
        try fixture.pool.writeSync { connection in
            try AuditRepository(connection).insert(
                AuditEntry(at: 20, method: "POST", route: "/v1/episodes", patientId: 1, status: 201))
        }
        // The rest of the flush, in a later transaction.
        try fixture.pool.writeSync { connection in
            try AuditRepository(connection).insert(
                [2, 3, 4, 5].map { (index: $0, entry: reads[$0]) }, firstId: first)
        }
        let rows = try fixture.pool.readSync { connection in
            try connection.query("SELECT id, at_ms FROM audit_log ORDER BY id").map { ($0.int64(0), $0.int64(1)) }
        }
        #expect(first == 1)
        #expect(rows.map(\.0) == Array(1...7).map(Int64.init))
        #expect(rows.map(\.1) == (10...15).map(Int64.init) + [20])
    }

    @Test("a batch written sorted by patient keeps its ids in the order of the requests")
    func batchOrder() async throws {
        let fixture = try Fixture()
        // A change row first (SQLite picks its id), then a batch of reads of several patients.
        try fixture.pool.writeSync { connection in
            try AuditRepository(connection).insert(
                AuditEntry(at: 1, method: "POST", route: "/v1/episodes", patientId: 7, status: 201))
        }
        let patients: [Int64?] = [3, 1, nil, 2, 1, 3, nil, 1]
        try fixture.pool.writeSync { connection in
            try AuditRepository(connection).insertBatch(
                patients.enumerated().map {
                    AuditEntry(
                        at: 10 + Int64($0.offset), method: "GET", route: "/v1/x", patientId: $0.element, status: 200)
                })
        }
        let rows = try fixture.pool.readSync { connection in
            try connection.query("SELECT id, at_ms, patient_id FROM audit_log ORDER BY id").map {
                ($0.int64(0), $0.int64(1), $0.int64(2))
            }
        }
        #expect(rows.map(\.0) == Array(1...9).map(Int64.init))
        #expect(rows.map(\.1) == [1] + (10...17).map(Int64.init))
        #expect(rows.map(\.2) == [7] + patients)
    }

    @Test("migration 0004 rebuilds the audit log with its rows, ids and rules")
    func rebuildKeepsRows() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let all = try Migrator(directory: URL(fileURLWithPath: migrationsDirectory)).migrations
        let connection = try Connection(path: directory.file("audit.sqlite"))
        defer { connection.close() }
        _ = try Migrator(migrations: all.filter { $0.version <= 3 }).migrate(connection)
        for (id, role) in [(5, "patient"), (9, "admin"), (12, "clinician")] {
            try connection.run(
                "INSERT INTO audit_log (id, at_ms, token_id, role, method, route, patient_id, status, request_id) VALUES (?, ?, 3, ?, 'GET', '/v1/x', 4, 200, 'r')",
                [.integer(Int64(id)), .integer(Int64(id) * 1_000), .text(role)])
        }
        #expect(try Migrator(migrations: all.filter { $0.version <= 4 }).migrate(connection).contains(4))
        let rows = try connection.query("SELECT id, at_ms, role FROM audit_log ORDER BY id").map {
            "\($0.int64(0)!) \($0.int64(1)!) \($0.string(2)!)"
        }
        #expect(rows == ["5 5000 patient", "9 9000 admin", "12 12000 clinician"])
        let indexes = try connection.query(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_log' ORDER BY name"
        ).compactMap { $0.string(0) }
        #expect(indexes == ["audit_log_patient", "audit_log_token"])
        #expect(throws: SQLiteError.self) {
            try connection.run(
                "INSERT INTO audit_log (at_ms, role, method, route, status) VALUES (1, 'root', 'GET', '/v1/x', 200)")
        }
        // The next row continues after the largest id.
        try AuditRepository(connection).insert(AuditEntry(at: 13_000, method: "GET", route: "/v1/x", status: 200))
        #expect(try connection.queryOne("SELECT max(id) FROM audit_log")?.int64(0) == 13)
    }

    @Test("an empty log and a log with nothing due are left alone")
    func nothingToDo() async throws {
        let fixture = try Fixture()
        #expect(await fixture.trail.prune(now: Self.now) == 0)
        try fixture.append(ages: [10 * Self.day, Self.day, 0])
        #expect(await fixture.trail.prune(now: Self.now) == 0)
        #expect(try fixture.remainingAges() == [10 * Self.day, Self.day, 0])
    }
}

extension AuditRepository {
    /// Seeds rows in one transaction, ids in the order given: a flush (`AuditTrail.flush`) of
    /// one transaction, without its sorting by patient.
    fileprivate func insertBatch(_ entries: [AuditEntry]) throws {
        let first = try reserveIds(entries.count)
        try insert(entries.indices.map { (index: $0, entry: entries[$0]) }, firstId: first)
    }
}
