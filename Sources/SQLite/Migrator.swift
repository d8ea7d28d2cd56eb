import CSQLite
public import Foundation

/// One schema migration: a numbered SQL script.
public struct Migration: Sendable, Hashable {
    /// Orders migrations; recorded in `schema_migrations.version`.
    public let version: Int
    /// The descriptive part of the file name (`sessions` in `0002_sessions.sql`).
    public let name: String
    /// The script, run with `Connection.execute(_:)`.
    public let sql: String
    /// 64-bit FNV-1a of the file's bytes (of `sql` in UTF-8 when built in code), as
    /// 16 lowercase hex digits.
    ///
    /// It detects a migration edited after it was applied; it is not tamper-proof
    /// against someone who wants to forge a match (this module has no cryptographic
    /// hash available, and the database is not a security boundary for its own schema).
    public var checksum: String

    /// A migration defined in code.
    public init(version: Int, name: String, sql: String) {
        self.init(version: version, name: name, sql: sql, bytes: Array(sql.utf8))
    }

    init(version: Int, name: String, sql: String, bytes: [UInt8]) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = fnv1a64Hex(bytes)
    }

    /// `NNNN_name.sql`, the version padded to at least four digits.
    public var fileName: String { migrationFileName(version: version, name: name) }
}

/// Why migrating refused or failed. Descriptions are single readable lines.
public enum MigrationError: Error, CustomStringConvertible, Sendable {
    /// An applied migration's file no longer matches what was applied.
    case editedAfterApply(version: Int, name: String)
    /// The database has a migration applied that this build does not have: its
    /// schema is newer than this build.
    case unknownAppliedVersion(Int)
    /// A `.sql` file in the migrations directory is not named `NNNN_name.sql`.
    case invalidFileName(String)
    /// Two migration files have the same version number.
    case duplicateVersion(Int)
    /// The migration's SQL failed; everything it did was rolled back.
    case failed(version: Int, name: String, underlying: SQLiteError)
    /// The migration left foreign key violations (`PRAGMA foreign_key_check`); rolled back.
    case foreignKeyViolation(version: Int, name: String, table: String, count: Int)
    /// The migration's SQL contains BEGIN, COMMIT, END or ROLLBACK (refused before it
    /// runs: each migration already runs in a transaction); rolled back.
    case endedTransaction(version: Int, name: String)
    /// The directory or a file could not be read.
    case unreadable(path: String, reason: String)
    /// `migrate` was called on a connection that is inside a transaction.
    case connectionInTransaction

    public var description: String {
        switch self {
        case .editedAfterApply(let version, let name):
            "migration \(migrationFileName(version: version, name: name)) was edited after it was applied "
                + "(checksum mismatch); restore it or add a new migration"
        case .unknownAppliedVersion(let version):
            "the database has migration \(version) applied, which this build does not know "
                + "(the schema is newer); run a newer build against this database"
        case .invalidFileName(let file):
            "migration file name '\(file)' is invalid; expected NNNN_name.sql "
                + "(at least 4 digits, an underscore, then letters, digits, '_' or '-')"
        case .duplicateVersion(let version):
            "more than one migration has version \(version); give each file its own number"
        case .failed(let version, let name, let underlying):
            "migration \(migrationFileName(version: version, name: name)) failed and was rolled back: \(underlying)"
        case .foreignKeyViolation(let version, let name, let table, let count):
            "migration \(migrationFileName(version: version, name: name)) leaves \(count) foreign key "
                + "violation(s), first in table \(table); it was rolled back"
        case .endedTransaction(let version, let name):
            "migration \(migrationFileName(version: version, name: name)) ends the transaction itself; "
                + "remove BEGIN/COMMIT/ROLLBACK from the file (each migration already runs in one)"
        case .unreadable(let path, let reason):
            "cannot read migrations at \(path): \(reason)"
        case .connectionInTransaction:
            "migrations must run on a connection outside any transaction (use DatabasePool.withWriterConnection)"
        }
    }
}

/// Applies numbered SQL migrations and records them in `schema_migrations`.
///
/// Each pending migration runs in its own `BEGIN IMMEDIATE` transaction together
/// with its bookkeeping row, and `PRAGMA foreign_key_check` must come back empty
/// before COMMIT (https://www.sqlite.org/pragma.html#pragma_foreign_key_check), so a
/// migration is applied completely or not at all.
///
/// Foreign keys stay ON: `PRAGMA foreign_keys` is a no-op inside a transaction
/// (https://www.sqlite.org/foreignkeys.html#fk_enable). Table rebuilds
/// (https://www.sqlite.org/lang_altertable.html#otheralter) therefore must not
/// DROP a table that other tables reference with ON DELETE actions: the implicit
/// DELETE of the DROP would run them.
///
/// With a pool, run it on the writer connection outside a transaction:
/// `try pool.withWriterConnection { try migrator.migrate($0) }`.
public struct Migrator: Sendable {
    /// The known migrations, by ascending version. Gaps are allowed.
    public let migrations: [Migration]

    /// Loads every `NNNN_name.sql` file of `directory` (at least four digits, an
    /// underscore, a name of letters, digits, `_` or `-`). Other files, and hidden
    /// ones, are ignored. Throws on a malformed `.sql` name, a repeated version, or
    /// an unreadable directory, file, or non-UTF-8 file.
    public init(directory: URL) throws {
        let files: [URL]
        do {
            files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        } catch {
            throw MigrationError.unreadable(path: directory.path, reason: error.localizedDescription)
        }
        var migrations: [Migration] = []
        for file in files {
            let fileName = file.lastPathComponent
            guard fileName.hasSuffix(".sql"), !fileName.hasPrefix(".") else { continue }
            guard let (version, name) = parseMigrationFileName(fileName) else {
                throw MigrationError.invalidFileName(fileName)
            }
            let data: Data
            do {
                data = try Data(contentsOf: file)
            } catch {
                throw MigrationError.unreadable(path: file.path, reason: error.localizedDescription)
            }
            let bytes = [UInt8](data)
            guard let sql = String(validating: bytes, as: UTF8.self) else {
                throw MigrationError.unreadable(path: file.path, reason: "not valid UTF-8")
            }
            migrations.append(Migration(version: version, name: name, sql: sql, bytes: bytes))
        }
        self.migrations = try Migrator.ordered(migrations)
    }

    /// Loads migrations from `(file name, contents)` pairs, such as files compiled into the
    /// binary, exactly as `init(directory:)` would load the same files (same names accepted, same
    /// checksums). Throws on a malformed `.sql` name or a repeated version.
    public init(files: [(name: String, sql: String)]) throws {
        var migrations: [Migration] = []
        for (fileName, sql) in files {
            guard let (version, name) = parseMigrationFileName(fileName) else {
                throw MigrationError.invalidFileName(fileName)
            }
            migrations.append(Migration(version: version, name: name, sql: sql, bytes: Array(sql.utf8)))
        }
        self.migrations = try Migrator.ordered(migrations)
    }

    /// Uses `migrations` as given (for tests and built-in schemas); a repeated
    /// version is a programmer error and traps.
    public init(migrations: [Migration]) {
        do {
            self.migrations = try Migrator.ordered(migrations)
        } catch {
            preconditionFailure("\(error)")
        }
    }

    private static func ordered(_ migrations: [Migration]) throws -> [Migration] {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where previous.version == next.version {
            throw MigrationError.duplicateVersion(next.version)
        }
        return sorted
    }

    /// Brings the schema up to date and returns the versions it applied, in order.
    ///
    /// Creates `schema_migrations` if absent. Refuses, before changing anything,
    /// when an applied migration's checksum differs from its file
    /// (`editedAfterApply`) or the database has a version this build does not know
    /// (`unknownAppliedVersion`). Then applies each pending migration in its own
    /// transaction and calls `progress` before it starts and after it commits. A failing migration is
    /// rolled back completely (its statements and its bookkeeping row) and throws;
    /// the migrations before it stay applied. Safe to run again, also concurrently
    /// from another process: a migration is re-checked under the write lock.
    @discardableResult
    public func migrate(_ connection: Connection, progress: (String) -> Void = { _ in }) throws -> [Int] {
        guard !connection.isInTransaction else { throw MigrationError.connectionInTransaction }
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations(
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                checksum TEXT NOT NULL,
                applied_at TEXT NOT NULL)
            """)
        let applied = try validatedApplied(connection)
        var done: [Int] = []
        for migration in migrations where applied[migration.version] == nil {
            // Said before as well as after: a migration that rebuilds a large table can take a
            // while, and the operator should know what start-up is waiting for.
            progress("applying migration \(migration.fileName)")
            let started = DispatchTime.now().uptimeNanoseconds
            if try apply(migration, on: connection) {
                done.append(migration.version)
                let milliseconds = (DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
                progress("applied migration \(migration.fileName) in \(milliseconds) ms")
            } else {
                progress("migration \(migration.fileName) was applied by another process meanwhile")
            }
        }
        return done
    }

    /// The migrations `migrate` would apply, after the same checks (edited or
    /// unknown applied versions throw). Changes nothing.
    public func pending(_ connection: Connection) throws -> [Migration] {
        let exists = try connection.scalar(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'")
        guard exists == .integer(1) else { return migrations }
        let applied = try validatedApplied(connection)
        return migrations.filter { applied[$0.version] == nil }
    }

    /// Applied versions and their checksums, after refusing unknown or edited ones.
    private func validatedApplied(_ connection: Connection) throws -> [Int: String] {
        var applied: [Int: String] = [:]
        for row in try connection.query("SELECT version, checksum FROM schema_migrations ORDER BY version") {
            guard let version = row.int(0) else { continue }
            applied[version] = row.string(1) ?? ""
        }
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        if let unknown = applied.keys.filter({ known[$0] == nil }).max() {
            throw MigrationError.unknownAppliedVersion(unknown)
        }
        for (version, checksum) in applied.sorted(by: { $0.key < $1.key }) {
            if let migration = known[version], migration.checksum != checksum {
                throw MigrationError.editedAfterApply(version: version, name: migration.name)
            }
        }
        return applied
    }

    /// Applies one migration; `false` if another connection applied it meanwhile.
    private func apply(_ migration: Migration, on connection: Connection) throws -> Bool {
        do {
            try connection.run("BEGIN IMMEDIATE")
            if let checksum = try connection.scalar(
                "SELECT checksum FROM schema_migrations WHERE version = ?", [.integer(Int64(migration.version))])
            {
                try connection.run("ROLLBACK")
                guard checksum == .text(migration.checksum) else {
                    throw MigrationError.editedAfterApply(version: migration.version, name: migration.name)
                }
                return false
            }
            do {
                try connection.denyingTransactionControl { try connection.execute(migration.sql) }
            } catch let error as SQLiteError where error.primaryCode == SQLITE_AUTH {
                throw MigrationError.endedTransaction(version: migration.version, name: migration.name)
            }
            guard connection.isInTransaction else {
                throw MigrationError.endedTransaction(version: migration.version, name: migration.name)
            }
            let violations = try connection.query("PRAGMA foreign_key_check")
            if let first = violations.first {
                throw MigrationError.foreignKeyViolation(
                    version: migration.version, name: migration.name, table: first.string(0) ?? "?",
                    count: violations.count)
            }
            try connection.run(
                """
                INSERT INTO schema_migrations(version, name, checksum, applied_at)
                VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
                """,
                [.integer(Int64(migration.version)), .text(migration.name), .text(migration.checksum)])
            try connection.run("COMMIT")
            return true
        } catch let error as SQLiteError {
            connection.rollbackIfNeeded()
            throw MigrationError.failed(version: migration.version, name: migration.name, underlying: error)
        } catch {
            connection.rollbackIfNeeded()
            throw error
        }
    }
}

/// `NNNN_name.sql` → (version, name), or `nil` if malformed.
private func parseMigrationFileName(_ fileName: String) -> (Int, String)? {
    let stem = fileName.dropLast(".sql".count)
    guard let underscore = stem.firstIndex(of: "_") else { return nil }
    let digits = stem[..<underscore]
    let name = stem[stem.index(after: underscore)...]
    guard digits.count >= 4, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let version = Int(digits),
        !name.isEmpty,
        name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
    else { return nil }
    return (version, String(name))
}

private func migrationFileName(version: Int, name: String) -> String {
    let digits = String(version)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "_" + name + ".sql"
}

/// 64-bit FNV-1a (http://www.isthe.com/chongo/tech/comp/fnv/), as 16 hex digits.
func fnv1a64Hex(_ bytes: [UInt8]) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
        hash ^= UInt64(byte)
        hash = hash &* 0x0000_0100_0000_01b3
    }
    let hex = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}
