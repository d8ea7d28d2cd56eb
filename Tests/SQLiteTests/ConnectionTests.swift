import CSQLite
import Foundation
import SQLite
import Testing

@Suite("Connection")
struct ConnectionTests {
    @Test("opening applies WAL, synchronous=FULL and foreign keys")
    func openPragmas() throws {
        let directory = try TemporaryDirectory()
        let connection = try Connection(path: directory.path("diary.sqlite"))
        #expect(try connection.scalar("PRAGMA journal_mode") == .text("wal"))
        #expect(try connection.scalar("PRAGMA synchronous") == .integer(2))
        #expect(try connection.scalar("PRAGMA foreign_keys") == .integer(1))
        #expect(try connection.scalar("PRAGMA query_only") == .integer(0))
    }

    @Test("an in-memory database opens without WAL")
    func inMemory() throws {
        let connection = try Connection(path: ":memory:")
        #expect(try connection.scalar("PRAGMA journal_mode") == .text("memory"))
        try connection.execute("CREATE TABLE t(x)")
        try connection.run("INSERT INTO t VALUES (?)", [1])
        #expect(try connection.scalar("SELECT x FROM t") == .integer(1))
        #expect(connection.changes == 1)
    }

    @Test("a read-only connection is query_only and cannot write")
    func readOnly() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("diary.sqlite")
        let writer = try Connection(path: path)
        try writer.execute("CREATE TABLE t(x)")
        let reader = try Connection(path: path, mode: .readOnly)
        #expect(try reader.scalar("PRAGMA query_only") == .integer(1))
        #expect(try reader.scalar("PRAGMA foreign_keys") == .integer(1))
        let error = try #require(throws: SQLiteError.self) { try reader.run("INSERT INTO t VALUES (1)") }
        #expect(error.primaryCode == SQLITE_READONLY)
    }

    @Test("opening a path in a missing directory fails with the path in the message")
    func openFailure() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("missing/diary.sqlite")
        let error = try #require(throws: SQLiteError.self) { try Connection(path: path) }
        #expect(error.primaryCode == SQLITE_CANTOPEN)
        #expect(error.description.contains(path))
    }

    @Test("opening a file that is not a database fails clearly")
    func notADatabase() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("notes.sqlite")
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: SQLiteError.self) { try Connection(path: path) }
        #expect(error.primaryCode == SQLITE_NOTADB)
        #expect(error.message.contains(path))
    }

    @Test("every storage class round-trips exactly")
    func roundTrip() throws {
        let directory = try TemporaryDirectory()
        let connection = try Connection(path: directory.path("diary.sqlite"))
        // No declared type: no affinity conversions (https://www.sqlite.org/datatype3.html).
        try connection.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v)")
        let values: [SQLiteValue] = [
            .integer(0), .integer(Int64.min), .integer(Int64.max), .integer(-1),
            .real(3.25), .real(-0.5), .real(Double.greatestFiniteMagnitude), .real(Double.leastNonzeroMagnitude),
            .text(""), .text("Kopfschmerz 🤕 頭痛 ñ"), .text("a\u{0}b"),
            .blob([]), .blob(Array(0...255)), .null,
        ]
        for value in values {
            try connection.run("INSERT INTO t(v) VALUES (?)", [value])
        }
        let rows = try connection.query("SELECT v FROM t ORDER BY id")
        #expect(rows.map { $0[0] } == values)
        #expect(rows.map { $0["v"] } == values)

        var streamed: [SQLiteValue] = []
        try connection.forEachRow("SELECT v FROM t ORDER BY id") { cursor in
            streamed.append(cursor.value(0))
        }
        #expect(streamed == values)
    }

    @Test("typed getters read by name and index and return nil for NULL")
    func typedGetters() throws {
        let directory = try TemporaryDirectory()
        let connection = try Connection(path: directory.path("diary.sqlite"))
        let row = try #require(
            try connection.queryOne(
                "SELECT 42 AS n, 2.5 AS r, 'hi' AS s, x'0102' AS b, 1 AS flag, NULL AS missing, 3.0 AS whole"))
        #expect(row.int64("n") == 42)
        #expect(row.int("N") == 42)  // case-insensitive fallback
        #expect(row.double("r") == 2.5)
        #expect(row.double("n") == 42)
        #expect(row.string("s") == "hi")
        #expect(row.blob("b") == [1, 2])
        #expect(row.bool("flag") == true)
        #expect(row.int64("missing") == nil)
        #expect(row.string("missing") == nil)
        #expect(row.int64("whole") == 3)
        #expect(row.int64("r") == nil)
        #expect(row.string("n") == nil)
        #expect(row.int64(0) == 42)
        #expect(row.string(2) == "hi")
        #expect(row.contains("s"))
        #expect(!row.contains("nope"))
        #expect(row.columnNames == ["n", "r", "s", "b", "flag", "missing", "whole"])
    }

    @Test("the cursor reads typed columns without building rows")
    func cursor() throws {
        let directory = try TemporaryDirectory()
        let connection = try Connection(path: directory.path("diary.sqlite"))
        var total: Int64 = 0
        var names: [String] = []
        try connection.forEachRow(
            "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) SELECT i, i * 0.5, 'n' || i, NULL FROM c",
            [1000]
        ) { cursor in
            total += cursor.int64(0)
            #expect(cursor.double(1) == Double(cursor.int64(0)) / 2)
            #expect(cursor.text(2) == "n\(cursor.int64(0))")
            let isNull = cursor.isNull(3)  // #expect cannot capture a non-copyable cursor
            #expect(isNull)
            #expect(cursor.text(3) == nil)
            if names.isEmpty { names = (0..<cursor.columnCount).map { cursor.columnName($0) } }
        }
        #expect(total == 500_500)
        #expect(names.first == "i")
    }

    @Test("errors carry the extended code and SQL but never bound values")
    func errorsHideValues() throws {
        let directory = try TemporaryDirectory()
        let connection = try Connection(path: directory.path("diary.sqlite"))
        try connection.execute("CREATE TABLE patients(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)")
        let secret = "anna.migraine@example.org"
        try connection.run("INSERT INTO patients(email) VALUES (?)", [.text(secret)])
        let error = try #require(throws: SQLiteError.self) {
            try connection.run("INSERT INTO patients(email) VALUES (?)", [.text(secret)])
        }
        #expect(error.code == 2067)  // SQLITE_CONSTRAINT_UNIQUE
        #expect(error.primaryCode == SQLITE_CONSTRAINT)
        #expect(error.isConstraintViolation && error.isUniqueViolation && !error.isForeignKeyViolation)
        #expect(error.sql == "INSERT INTO patients(email) VALUES (?)")
        #expect(error.message.contains("patients.email"))
        #expect(!String(describing: error).contains(secret))
        #expect(!String(reflecting: error).contains(secret))
        #expect(!error.message.contains(secret))
    }

    @Test("foreign key violations are reported as such")
    func foreignKeys() throws {
        let directory = try TemporaryDirectory()
        let connection = try Connection(path: directory.path("diary.sqlite"))
        try connection.execute(
            """
            CREATE TABLE patients(id INTEGER PRIMARY KEY);
            CREATE TABLE entries(id INTEGER PRIMARY KEY, patient_id INTEGER NOT NULL REFERENCES patients(id));
            """)
        let error = try #require(throws: SQLiteError.self) {
            try connection.run("INSERT INTO entries(patient_id) VALUES (?)", [7])
        }
        #expect(error.isForeignKeyViolation)
        #expect(!error.isUniqueViolation)
    }

    @Test("a wrong number of bindings is an error, not a silent NULL")
    func bindingCount() throws {
        let directory = try TemporaryDirectory()
        let connection = try Connection(path: directory.path("diary.sqlite"))
        let error = try #require(throws: SQLiteError.self) { try connection.scalar("SELECT ? + ?", [1]) }
        #expect(error.primaryCode == SQLITE_RANGE)
        #expect(try connection.scalar("SELECT ? + ?", [1, 2]) == .integer(3))
    }

    @Test("run refuses SQL holding more than one statement")
    func multipleStatements() throws {
        let directory = try TemporaryDirectory()
        let connection = try Connection(path: directory.path("diary.sqlite"))
        try connection.execute("CREATE TABLE t(x)")
        #expect(throws: SQLiteError.self) { try connection.run("INSERT INTO t VALUES (1); DROP TABLE t") }
        #expect(try connection.scalar("SELECT count(*) FROM t") == .integer(0))
        // Trailing comments and semicolons are fine.
        try connection.run("INSERT INTO t VALUES (1); -- done")
        #expect(try connection.scalar("SELECT count(*) FROM t") == .integer(1))
    }

    @Test("transaction commits, and rolls back and rethrows on any error")
    func transactionRollback() throws {
        struct Boom: Error {}
        let directory = try TemporaryDirectory()
        let connection = try Connection(path: directory.path("diary.sqlite"))
        try connection.execute("CREATE TABLE t(x)")
        let inserted = try connection.transaction { db -> Int64 in
            #expect(db.isInTransaction)
            try db.run("INSERT INTO t VALUES (1)")
            return db.lastInsertRowID
        }
        #expect(inserted == 1)
        #expect(!connection.isInTransaction)
        #expect(throws: Boom.self) {
            try connection.transaction(.deferred) { db in
                try db.run("INSERT INTO t VALUES (2)")
                throw Boom()
            }
        }
        #expect(!connection.isInTransaction)
        #expect(try connection.scalar("SELECT group_concat(x) FROM t") == .text("1"))
    }

    @Test("a failed savepoint undoes only its own changes")
    func savepoints() throws {
        struct Boom: Error {}
        let directory = try TemporaryDirectory()
        let connection = try Connection(path: directory.path("diary.sqlite"))
        try connection.execute("CREATE TABLE t(x)")
        try connection.transaction { db in
            try db.run("INSERT INTO t VALUES ('outer')")
            try db.savepoint("kept") { db in try db.run("INSERT INTO t VALUES ('kept')") }
            #expect(throws: Boom.self) {
                try db.savepoint("odd \"name\"") { db in
                    try db.run("INSERT INTO t VALUES ('undone')")
                    throw Boom()
                }
            }
        }
        #expect(try connection.query("SELECT x FROM t ORDER BY rowid").map { $0.string(0) } == ["outer", "kept"])
    }

    @Test("prepared statements are cached and reused")
    func statementCache() throws {
        let directory = try TemporaryDirectory()
        let connection = try Connection(path: directory.path("diary.sqlite"))
        try connection.execute("CREATE TABLE t(x)")
        let before = connection.cachedStatementCount
        for i in 0..<100 {
            try connection.run("INSERT INTO t VALUES (?)", [.integer(Int64(i))])
        }
        #expect(connection.cachedStatementCount == before + 1)
        let first = try connection.statement("SELECT x FROM t WHERE x = ?")
        let second = try connection.statement("SELECT x FROM t WHERE x = ?")
        #expect(first === second)

        // Handed out reset and with bindings cleared.
        try first.bind([7])
        #expect(try first.step())
        #expect(first.int64(0) == 7)
        let again = try connection.statement("SELECT x FROM t WHERE x = ?")
        #expect(try !again.step())  // x = NULL matches nothing

        // Nested use of the same SQL gets its own statement instead of clobbering the outer one.
        var pairs = 0
        try connection.forEachRow("SELECT x FROM t WHERE x < ?", [3]) { outer in
            let x = outer.int64(0)
            try connection.forEachRow("SELECT x FROM t WHERE x < ?", [3]) { _ in pairs += 1 }
            #expect(outer.int64(0) == x)
        }
        #expect(pairs == 9)
    }

    @Test("statement exposes columns and steps")
    func statementAPI() throws {
        let directory = try TemporaryDirectory()
        let connection = try Connection(path: directory.path("diary.sqlite"))
        let statement = try connection.statement("SELECT ? AS a, ? AS b")
        try statement.bind(.text("x"), at: 1)
        try statement.bind(.blob([9]), at: 2)
        #expect(statement.columnCount == 2)
        #expect(statement.columnName(1) == "b")
        #expect(try statement.step())
        #expect(statement.text(0) == "x")
        #expect(statement.blob(1) == [9])
        #expect(!statement.isNull(0))
        #expect(statement.value(1) == .blob([9]))
        #expect(try !statement.step())
        statement.reset()
        #expect(try statement.step())
    }

    @Test("close is idempotent and later calls fail cleanly")
    func closeTwice() throws {
        let directory = try TemporaryDirectory()
        let connection = try Connection(path: directory.path("diary.sqlite"))
        let statement = try connection.statement("SELECT 1")
        connection.close()
        connection.close()
        #expect(!connection.isOpen)
        let error = try #require(throws: SQLiteError.self) { try connection.run("SELECT 1") }
        #expect(error.isMisuse)
        #expect(throws: SQLiteError.self) { try statement.step() }
        #expect(throws: SQLiteError.self) { try connection.execute("SELECT 1") }
    }

    @Test("bindable Swift values map to storage classes")
    func bindables() {
        let optional: String? = nil
        #expect(5.sqliteValue == .integer(5))
        #expect(Int64(-3).sqliteValue == .integer(-3))
        #expect(true.sqliteValue == .integer(1))
        #expect(false.sqliteValue == .integer(0))
        #expect(1.5.sqliteValue == .real(1.5))
        #expect("x".sqliteValue == .text("x"))
        #expect([UInt8]([1]).sqliteValue == .blob([1]))
        #expect(optional.sqliteValue == .null)
        #expect(Optional("y").sqliteValue == .text("y"))
        let literals: [SQLiteValue] = [1, 2.5, "t", nil, true]
        #expect(literals == [.integer(1), .real(2.5), .text("t"), .null, .integer(1)])
    }
}
