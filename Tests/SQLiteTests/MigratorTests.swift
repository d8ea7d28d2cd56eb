import Foundation
import SQLite
import Testing

private let patients = """
    CREATE TABLE patients(id INTEGER PRIMARY KEY, name TEXT NOT NULL);
    """
private let sessions = """
    -- Massage sessions belong to a patient.
    CREATE TABLE sessions(
        id INTEGER PRIMARY KEY,
        patient_id INTEGER NOT NULL REFERENCES patients(id),
        started_at TEXT NOT NULL);
    """
private let sessionIndex = "CREATE INDEX sessions_by_patient ON sessions(patient_id);\n"

private func write(_ files: [String: String], to directory: TemporaryDirectory) throws {
    for (name, content) in files {
        try Data(content.utf8).write(to: directory.url.appendingPathComponent(name))
    }
}

private func tables(_ connection: Connection) throws -> [String] {
    try connection.query("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").compactMap {
        $0.string(0)
    }
}

@Suite("Migrator")
struct MigratorTests {
    @Test("applies files in version order with bookkeeping, skipping other files")
    func appliesInOrder() throws {
        let directory = try TemporaryDirectory()
        try write(
            [
                "0010_session_index.sql": sessionIndex, "0002_sessions.sql": sessions, "0001_patients.sql": patients,
                "README.md": "not a migration", ".0003_hidden.sql": "garbage",
            ], to: directory)
        let migrator = try Migrator(directory: directory.url)
        #expect(migrator.migrations.map(\.version) == [1, 2, 10])
        #expect(
            migrator.migrations.map(\.fileName) == ["0001_patients.sql", "0002_sessions.sql", "0010_session_index.sql"])

        let connection = try Connection(path: directory.path("diary.sqlite"))
        #expect(try migrator.pending(connection).map(\.version) == [1, 2, 10])
        var messages: [String] = []
        let applied = try migrator.migrate(connection) { messages.append($0) }
        #expect(applied == [1, 2, 10])
        // Before and after each, the second with how long it took.
        #expect(messages.count == 6)
        for (index, file) in ["0001_patients.sql", "0002_sessions.sql", "0010_session_index.sql"].enumerated() {
            #expect(messages[2 * index] == "applying migration \(file)")
            let applied = messages[2 * index + 1]
            #expect(applied.hasPrefix("applied migration \(file) in "), "\(applied)")
            #expect(applied.wholeMatch(of: #/applied migration \S+ in \d+ ms/#) != nil, "\(applied)")
        }
        #expect(try tables(connection) == ["patients", "schema_migrations", "sessions"])

        let rows = try connection.query(
            "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version")
        #expect(rows.map { $0.int("version") } == [1, 2, 10])
        #expect(rows.map { $0.string("name") } == ["patients", "sessions", "session_index"])
        #expect(rows.map { $0.string("checksum") } == migrator.migrations.map(\.checksum))
        for row in rows {
            let checksum = try #require(row.string("checksum"))
            #expect(checksum.count == 16 && checksum.allSatisfy(\.isHexDigit))
            let appliedAt = try #require(row.string("applied_at"))
            #expect(appliedAt.hasSuffix("Z") && appliedAt.contains("T"))
        }
    }

    @Test("running again applies nothing")
    func idempotent() throws {
        let directory = try TemporaryDirectory()
        try write(["0001_patients.sql": patients, "0002_sessions.sql": sessions], to: directory)
        let migrator = try Migrator(directory: directory.url)
        let connection = try Connection(path: directory.path("diary.sqlite"))
        #expect(try migrator.migrate(connection) == [1, 2])
        #expect(try migrator.migrate(connection) == [])
        #expect(try migrator.pending(connection).isEmpty)
        #expect(try connection.scalar("SELECT count(*) FROM schema_migrations") == .integer(2))

        // A new file later is applied on its own.
        try write(["0003_session_index.sql": sessionIndex], to: directory)
        #expect(try Migrator(directory: directory.url).migrate(connection) == [3])
    }

    @Test("a migration edited after it was applied is refused")
    func checksumMismatch() throws {
        let directory = try TemporaryDirectory()
        try write(["0001_patients.sql": patients, "0002_sessions.sql": sessions], to: directory)
        let connection = try Connection(path: directory.path("diary.sqlite"))
        try Migrator(directory: directory.url).migrate(connection)

        try write(
            ["0002_sessions.sql": sessions + "-- tweaked\n", "0003_session_index.sql": sessionIndex], to: directory)
        let edited = try Migrator(directory: directory.url)
        let error = try #require(throws: MigrationError.self) { try edited.migrate(connection) }
        guard case .editedAfterApply(2, "sessions") = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(
            error.description
                == "migration 0002_sessions.sql was edited after it was applied (checksum mismatch); restore it or add a new migration"
        )
        #expect(throws: MigrationError.self) { try edited.pending(connection) }
        // Nothing after the refusal was applied.
        #expect(try connection.scalar("SELECT max(version) FROM schema_migrations") == .integer(2))
    }

    @Test("a database with a newer schema is refused")
    func newerSchema() throws {
        let directory = try TemporaryDirectory()
        let connection = try Connection(path: directory.path("diary.sqlite"))
        let newer = Migrator(migrations: [
            Migration(version: 1, name: "patients", sql: patients),
            Migration(version: 2, name: "sessions", sql: sessions),
            Migration(version: 3, name: "session_index", sql: sessionIndex),
        ])
        try newer.migrate(connection)
        let older = Migrator(migrations: Array(newer.migrations.prefix(2)))
        let error = try #require(throws: MigrationError.self) { try older.migrate(connection) }
        guard case .unknownAppliedVersion(3) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(!error.description.contains("\n"))
    }

    @Test("a failing migration rolls back completely and keeps the earlier ones")
    func failingMigration() throws {
        let directory = try TemporaryDirectory()
        let connection = try Connection(path: directory.path("diary.sqlite"))
        let migrator = Migrator(migrations: [
            Migration(version: 1, name: "patients", sql: patients),
            Migration(
                version: 2, name: "broken",
                sql: "CREATE TABLE notes(id INTEGER PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);"),
            Migration(version: 3, name: "session_index", sql: sessionIndex),
        ])
        let error = try #require(throws: MigrationError.self) { try migrator.migrate(connection) }
        guard case .failed(2, "broken", let underlying) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(underlying.message.contains("no_such_table"))
        #expect(error.description.hasPrefix("migration 0002_broken.sql failed and was rolled back: "))
        #expect(try tables(connection) == ["patients", "schema_migrations"])
        #expect(try connection.query("SELECT version FROM schema_migrations").map { $0.int(0) } == [1])
        #expect(!connection.isInTransaction)
    }

    @Test("a migration leaving foreign key violations is rolled back")
    func foreignKeyCheck() throws {
        let directory = try TemporaryDirectory()
        let connection = try Connection(path: directory.path("diary.sqlite"))
        let migrator = Migrator(migrations: [
            Migration(version: 1, name: "patients", sql: patients),
            Migration(version: 2, name: "sessions", sql: sessions),
            // Deferred, so only PRAGMA foreign_key_check before COMMIT catches it.
            Migration(
                version: 3, name: "orphans",
                sql: """
                    PRAGMA defer_foreign_keys = ON;
                    CREATE TABLE marker(x);
                    INSERT INTO sessions(patient_id, started_at) VALUES (42, '2024-01-01T10:00:00Z');
                    """),
        ])
        let error = try #require(throws: MigrationError.self) { try migrator.migrate(connection) }
        guard case .foreignKeyViolation(3, "orphans", "sessions", 1) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(try connection.scalar("SELECT count(*) FROM sessions") == .integer(0))
        #expect(try !tables(connection).contains("marker"))
        #expect(try connection.scalar("SELECT max(version) FROM schema_migrations") == .integer(2))
    }

    @Test("a migration cannot end its own transaction")
    func transactionControl() throws {
        let directory = try TemporaryDirectory()
        let connection = try Connection(path: directory.path("diary.sqlite"))
        let migrator = Migrator(migrations: [
            Migration(version: 1, name: "sneaky", sql: "CREATE TABLE a(x);\nCOMMIT;\nCREATE TABLE b(x);")
        ])
        let error = try #require(throws: MigrationError.self) { try migrator.migrate(connection) }
        guard case .endedTransaction(1, "sneaky") = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(try tables(connection) == ["schema_migrations"])
        // The connection works normally afterwards, transactions included.
        try connection.transaction { db in try db.run("CREATE TABLE c(x)") }
        #expect(try tables(connection) == ["c", "schema_migrations"])
    }

    @Test("malformed file names and repeated versions are rejected")
    func fileNames() throws {
        for bad in ["1_short.sql", "0001.sql", "0001_.sql", "abcd_name.sql", "0001_with space.sql"] {
            let directory = try TemporaryDirectory()
            try write([bad: "SELECT 1;"], to: directory)
            let error = try #require(throws: MigrationError.self) { try Migrator(directory: directory.url) }
            guard case .invalidFileName(bad) = error else {
                Issue.record("unexpected \(error) for \(bad)")
                continue
            }
        }
        let directory = try TemporaryDirectory()
        try write(["0001_a.sql": "SELECT 1;", "00001_b.sql": "SELECT 2;"], to: directory)
        let error = try #require(throws: MigrationError.self) { try Migrator(directory: directory.url) }
        guard case .duplicateVersion(1) = error else {
            Issue.record("unexpected \(error)")
            return
        }
        #expect(throws: MigrationError.self) {
            try Migrator(directory: directory.url.appendingPathComponent("missing"))
        }
    }

    @Test("the checksum is 64-bit FNV-1a of the file bytes")
    func checksum() throws {
        #expect(Migration(version: 1, name: "x", sql: "").checksum == "cbf29ce484222325")
        #expect(Migration(version: 1, name: "x", sql: "a").checksum == "af63dc4c8601ec8c")
        let directory = try TemporaryDirectory()
        try write(["0001_patients.sql": patients], to: directory)
        let loaded = try #require(try Migrator(directory: directory.url).migrations.first)
        #expect(loaded.checksum == Migration(version: 1, name: "patients", sql: patients).checksum)
    }

    @Test("migrations run through the pool's writer connection")
    func throughPool() async throws {
        let directory = try TemporaryDirectory()
        let pool = try DatabasePool(path: directory.path("diary.sqlite"))
        defer { pool.close() }
        let migrator = Migrator(migrations: [
            Migration(version: 1, name: "patients", sql: patients),
            Migration(version: 2, name: "sessions", sql: sessions),
        ])
        #expect(try pool.withWriterConnection { try migrator.migrate($0) } == [1, 2])
        let pending = try await pool.read { db in try migrator.pending(db).count }
        #expect(pending == 0)
        let error = try #require(throws: MigrationError.self) {
            try pool.writeSync { db in try migrator.migrate(db) }
        }
        guard case .connectionInTransaction = error else {
            Issue.record("unexpected \(error)")
            return
        }
    }
}
