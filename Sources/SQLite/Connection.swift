import CSQLite

/// How a transaction takes its locks (https://www.sqlite.org/lang_transaction.html).
public enum TransactionKind: Sendable {
    /// Locks are taken on first read/write. A deferred transaction that later writes
    /// can fail with `SQLITE_BUSY` without the busy timeout helping.
    case deferred
    /// Takes the write lock at BEGIN, so a busy database waits (busy timeout) at
    /// BEGIN instead of failing halfway through.
    case immediate
}

/// One SQLite connection.
///
/// Not thread-safe and deliberately not `Sendable`: it is opened with
/// `SQLITE_OPEN_NOMUTEX` ("multi-thread" mode, https://www.sqlite.org/threadsafe.html),
/// so SQLite itself does no locking and the connection and its statements must be
/// used by one thread at a time. `DatabasePool` keeps each of its connections on
/// one dedicated thread; use the pool to share a database between tasks.
///
/// Opening applies the settings this service relies on:
/// - `PRAGMA journal_mode=WAL` (read-write only; verified): readers never block the
///   writer and vice versa (https://www.sqlite.org/wal.html). In-memory databases,
///   which cannot use WAL, keep their `memory` journal.
/// - `PRAGMA synchronous=FULL`: in WAL mode a commit is fsynced before it returns,
///   so a committed diary entry survives power loss
///   (https://www.sqlite.org/pragma.html#pragma_synchronous).
/// - `PRAGMA foreign_keys=ON`: off by default for compatibility
///   (https://www.sqlite.org/foreignkeys.html#fk_enable).
/// - a busy timeout, extended result codes, and for `.readOnly` also
///   `PRAGMA query_only=ON`.
public final class Connection {
    /// How to open the database file.
    public enum Mode: Sendable {
        /// Read-write; the file is created if missing.
        case readWrite
        /// Read-only (`SQLITE_OPEN_READONLY` and `PRAGMA query_only=ON`); the file must exist.
        case readOnly
    }

    /// The path given to `init`.
    public let path: String
    /// The mode given to `init`.
    public let mode: Mode

    private let database: DatabaseHandle
    private var cache: [String: Statement] = [:]
    private var clock: UInt64 = 0

    /// At most this many prepared statements are kept; the least recently used is
    /// dropped first. Far above the number of distinct statements the service uses,
    /// it only bounds memory if SQL text is ever built dynamically.
    static let statementCacheCapacity = 256

    /// Opens (and for `.readWrite` creates) the database at `path` and applies the
    /// settings listed on the type. Throws if the file cannot be opened, is not a
    /// database, or WAL cannot be enabled.
    public init(path: String, mode: Mode = .readWrite, busyTimeoutMilliseconds: Int32 = 5000) throws {
        _ = Self.processConfiguration
        self.path = path
        self.mode = mode
        var pointer: OpaquePointer?
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        switch mode {
        case .readWrite: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        }
        let rc = sqlite3_open_v2(path, &pointer, flags, nil)
        guard rc == SQLITE_OK, let pointer else {
            let message = pointer.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(pointer)
            throw SQLiteError(code: rc, message: "cannot open database at \(path): \(message)")
        }
        database = DatabaseHandle(pointer)
        do {
            try configure(pointer, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        } catch let error as SQLiteError {
            close()
            throw SQLiteError(
                code: error.code, message: "cannot open database at \(path): \(error.message)",
                sql: error.sql)
        }
    }

    /// SQLite's process-wide settings, applied once before the first connection opens (a
    /// static is initialised exactly once, on first use):
    /// - memory statistics off: they put one global mutex around every SQLite allocation,
    ///   contended by all connections' threads;
    /// - statement journals kept in memory up to `statementJournalSpillBytes` (SQLite's default
    ///   is 64 KiB). Every write of a group commit runs in its own savepoint, whose journal holds
    ///   the original of each page the write changes (a new episode: about 17 pages, 70 KiB with
    ///   its indexes and audit row). Past 64 KiB the journal went to a temporary file, and those
    ///   writes were 85 % of the writer's system calls under a load of creates.
    private static let processConfiguration: Void = {
        _ = csqlite_disable_memory_statistics()
        _ = csqlite_set_statement_journal_spill(Int32(statementJournalSpillBytes))
    }()

    /// The largest statement journal kept in memory: a batch of 50 creates fits (a group commit
    /// under 32 concurrent clients holds 14–28); a bulk import spills past it to a temporary
    /// file, as before, so it holds at most this much more memory than it did.
    static let statementJournalSpillBytes = 4 << 20

    private func configure(_ db: OpaquePointer, busyTimeoutMilliseconds: Int32) throws {
        sqlite3_extended_result_codes(db, 1)
        // Before the first statement, so that even switching to WAL waits for a
        // writer in another process instead of failing with SQLITE_BUSY.
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        if mode == .readWrite {
            let journal = try Statement(database: database, sql: "PRAGMA journal_mode=WAL", persistent: false)
            let result = try journal.step() ? journal.text(0) ?? "" : ""
            journal.finalize()
            let isMemory = (sqlite3_db_filename(db, "main").map { $0.pointee == 0 } ?? true)
            guard result.lowercased() == "wal" || (isMemory && result.lowercased() == "memory") else {
                throw SQLiteError(
                    code: SQLITE_ERROR,
                    message: "could not switch to WAL journal mode (journal_mode is '\(result)')")
            }
        }
        try execute("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON")
        if mode == .readOnly {
            try execute("PRAGMA query_only=ON")
        }
    }

    deinit {
        close()
    }

    /// Finalizes the cached statements and closes the connection with
    /// `sqlite3_close_v2` (a statement still held elsewhere keeps the handle alive
    /// until it is released, https://www.sqlite.org/c3ref/close.html). Idempotent;
    /// later calls throw an `SQLITE_MISUSE` error.
    public func close() {
        guard let pointer = database.pointer else { return }
        for statement in cache.values {
            statement.finalize()
        }
        cache.removeAll()
        database.pointer = nil
        sqlite3_close_v2(pointer)
    }

    /// Whether `close()` has not been called.
    public var isOpen: Bool { database.pointer != nil }

    private func open(_ sql: String?) throws -> OpaquePointer {
        guard let pointer = database.pointer else { throw SQLiteError.closed("connection", sql: sql) }
        return pointer
    }

    // MARK: Running SQL

    /// Runs one or more `;`-separated statements without bindings (`sqlite3_exec`),
    /// for schema scripts and pragmas. Never put values into `sql`: use `run`.
    public func execute(_ sql: String) throws {
        let db = try open(sql)
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &message)
        defer { sqlite3_free(message) }
        guard rc == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(db))
            throw SQLiteError(code: sqlite3_extended_errcode(db), message: text, sql: sql)
        }
    }

    /// Runs one statement with `bindings` (1-based `?` parameters) to completion,
    /// using the statement cache.
    public func run(_ sql: String, _ bindings: [SQLiteValue] = []) throws {
        try withPrepared(sql, bindings) { statement in
            while try statement.step() {}
        }
    }

    /// Runs one statement and materialises every row.
    public func query(_ sql: String, _ bindings: [SQLiteValue] = []) throws -> [Row] {
        try withPrepared(sql, bindings) { statement in
            guard let handle = statement.handle else { return [] }
            let count = statement.columnCount
            let names = (0..<count).map { columnNameOf(handle, $0) }
            var rows: [Row] = []
            while try statement.step() {
                rows.append(Row(columnNames: names, values: (0..<count).map { columnValue(handle, $0) }))
            }
            return rows
        }
    }

    /// The first row, or `nil` if there is none; remaining rows are not read.
    public func queryOne(_ sql: String, _ bindings: [SQLiteValue] = []) throws -> Row? {
        try withPrepared(sql, bindings) { statement in
            guard let handle = statement.handle, try statement.step() else { return nil }
            let count = statement.columnCount
            return Row(
                columnNames: (0..<count).map { columnNameOf(handle, $0) },
                values: (0..<count).map { columnValue(handle, $0) })
        }
    }

    /// The first column of the first row, or `nil` if there is no row.
    public func scalar(_ sql: String, _ bindings: [SQLiteValue] = []) throws -> SQLiteValue? {
        try withPrepared(sql, bindings) { statement in
            guard statement.columnCount > 0, try statement.step() else { return nil }
            return statement.value(0)
        }
    }

    /// Streams the rows to `body` without materialising them (for analytics over
    /// many rows). The cursor is only valid inside `body`; throw to stop early.
    public func forEachRow(
        _ sql: String, _ bindings: [SQLiteValue] = [], _ body: (borrowing RowCursor) throws -> Void
    ) throws {
        try withPrepared(sql, bindings) { statement in
            while try statement.step() {
                guard let handle = statement.handle else { return }
                try body(RowCursor(handle))
            }
        }
    }

    /// A prepared statement from the connection's cache, reset and with bindings
    /// cleared. Statements are prepared with `SQLITE_PREPARE_PERSISTENT`.
    ///
    /// The same object is returned for the same SQL text, and `run`/`query` with that
    /// text reuse it too, so finish with a statement before handing it out again.
    /// (While `forEachRow` is iterating a statement, a nested request for the same
    /// SQL gets a separate, uncached statement.)
    public func statement(_ sql: String) throws -> Statement {
        let statement = try cachedStatement(sql)
        statement.reset()
        statement.clearBindings()
        return statement
    }

    /// Number of statements currently in the cache (for tests and diagnostics).
    public var cachedStatementCount: Int { cache.count }

    private func cachedStatement(_ sql: String) throws -> Statement {
        _ = try open(sql)
        clock &+= 1
        if let statement = cache[sql] {
            if statement.isExecuting {
                return try Statement(database: database, sql: sql, persistent: false)
            }
            statement.lastUsed = clock
            return statement
        }
        if cache.count >= Connection.statementCacheCapacity,
            let oldest = cache.values.filter({ !$0.isExecuting }).min(by: { $0.lastUsed < $1.lastUsed })
        {
            // Not finalized here: the caller of statement(_:) may still hold it; its
            // deinit finalizes it.
            cache[oldest.sql] = nil
        }
        let statement = try Statement(database: database, sql: sql, persistent: true)
        statement.lastUsed = clock
        cache[sql] = statement
        return statement
    }

    private func withPrepared<R>(
        _ sql: String, _ bindings: [SQLiteValue], _ body: (Statement) throws -> R
    ) throws -> R {
        let statement = try cachedStatement(sql)
        statement.reset()  // in case a caller of statement(_:) left it mid-way
        statement.isExecuting = true
        defer {
            statement.isExecuting = false
            // Reset ends the statement's read transaction; clearing drops SQLite's
            // copies of bound values, which may be patient data.
            statement.reset()
            statement.clearBindings()
        }
        try statement.bind(bindings)
        return try body(statement)
    }

    /// Resets every statement of this connection that is still mid-way, so that no
    /// statement keeps an old read snapshot (or a WAL checkpoint blocked) after a
    /// pool job finished (https://www.sqlite.org/c3ref/stmt_busy.html).
    func resetActiveStatements() {
        guard let db = database.pointer else { return }
        var statement = sqlite3_next_stmt(db, nil)
        while let current = statement {
            if sqlite3_stmt_busy(current) != 0 {
                sqlite3_reset(current)
            }
            statement = sqlite3_next_stmt(db, current)
        }
    }

    // MARK: State

    /// Whether the open transaction has deferred foreign key violations that would
    /// make COMMIT fail (https://www.sqlite.org/c3ref/c_dbstatus_options.html).
    var hasDeferredForeignKeyViolations: Bool {
        guard let db = database.pointer else { return false }
        var current: Int32 = 0
        var highwater: Int32 = 0
        sqlite3_db_status(db, SQLITE_DBSTATUS_DEFERRED_FKS, &current, &highwater, 0)
        return current > 0
    }

    /// Rowid of the most recent successful INSERT on this connection.
    public var lastInsertRowID: Int64 {
        database.pointer.map { sqlite3_last_insert_rowid($0) } ?? 0
    }

    /// Rows changed by the most recent INSERT, UPDATE or DELETE on this connection.
    public var changes: Int {
        database.pointer.map { Int(sqlite3_changes64($0)) } ?? 0
    }

    /// Whether a transaction is open (`!sqlite3_get_autocommit`).
    public var isInTransaction: Bool {
        database.pointer.map { sqlite3_get_autocommit($0) == 0 } ?? false
    }

    // MARK: Transactions

    /// Runs `body` between `BEGIN IMMEDIATE`/`BEGIN DEFERRED` and `COMMIT`.
    ///
    /// If `body` or the COMMIT throws, the transaction is rolled back and the error
    /// rethrown. Transactions do not nest: use `savepoint` inside one.
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: (Connection) throws -> T) throws -> T {
        try run(kind == .immediate ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED")
        do {
            let result = try body(self)
            try run("COMMIT")
            return result
        } catch {
            rollbackIfNeeded()
            throw error
        }
    }

    /// Runs `body` inside `SAVEPOINT name … RELEASE name`; if `body` throws, only the
    /// savepoint's changes are undone (`ROLLBACK TO` + `RELEASE`) and the error is
    /// rethrown (https://www.sqlite.org/lang_savepoint.html). Outside a transaction
    /// the savepoint acts as a deferred transaction.
    public func savepoint<T>(_ name: String, _ body: (Connection) throws -> T) throws -> T {
        let name = quoteIdentifier(name)
        try run("SAVEPOINT \(name)")
        do {
            let result = try body(self)
            try run("RELEASE \(name)")
            return result
        } catch {
            try? run("ROLLBACK TO \(name)")
            try? run("RELEASE \(name)")
            throw error
        }
    }

    /// Runs `body` with BEGIN, COMMIT, END and ROLLBACK (but not savepoints) refused
    /// at prepare time with `SQLITE_AUTH`, so a script cannot end the transaction it
    /// runs in (https://www.sqlite.org/c3ref/set_authorizer.html). Installing an
    /// authorizer expires every prepared statement, so this is for rare work such as
    /// migrations, not for hot paths.
    func denyingTransactionControl<T>(_ body: () throws -> T) throws -> T {
        let db = try open(nil)
        sqlite3_set_authorizer(
            db, { _, action, _, _, _, _ in action == SQLITE_TRANSACTION ? SQLITE_DENY : SQLITE_OK }, nil)
        defer { sqlite3_set_authorizer(db, nil, nil) }
        return try body()
    }

    /// Rolls back the open transaction, if any; errors are ignored because the
    /// caller is already handling the error that got it here.
    func rollbackIfNeeded() {
        if isInTransaction {
            try? run("ROLLBACK")
        }
    }
}

/// `"name"` with embedded quotes doubled (https://www.sqlite.org/lang_keywords.html).
func quoteIdentifier(_ name: String) -> String {
    var quoted = "\""
    for character in name {
        quoted.append(character)
        if character == "\"" { quoted.append(character) }
    }
    return quoted + "\""
}
