import CSQLite

/// An error reported by SQLite, or by this module in SQLite's terms.
///
/// Carries the extended result code (https://www.sqlite.org/rescode.html), SQLite's
/// message and the statement text. It never carries bound values: those may be
/// patient data, and errors end up in logs. (SQLite's own messages name tables,
/// columns and constraints, not values.)
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    /// Extended result code, as from `sqlite3_extended_errcode`.
    public let code: Int32
    /// SQLite's message (`sqlite3_errmsg`) or this module's explanation.
    public let message: String
    /// The SQL text that failed, with `?` placeholders; never the bound values.
    public let sql: String?

    /// Creates an error; used by this module and by tests.
    public init(code: Int32, message: String, sql: String? = nil) {
        self.code = code
        self.message = message
        self.sql = sql
    }

    /// The primary result code (low byte of the extended code), e.g. `SQLITE_CONSTRAINT`.
    public var primaryCode: Int32 { code & 0xff }

    /// Any constraint failure: UNIQUE, PRIMARY KEY, FOREIGN KEY, CHECK, NOT NULL.
    public var isConstraintViolation: Bool { primaryCode == SQLITE_CONSTRAINT }

    /// A UNIQUE or PRIMARY KEY constraint failed.
    public var isUniqueViolation: Bool {
        code == SQLiteError.constraintUnique || code == SQLiteError.constraintPrimaryKey
    }

    /// A FOREIGN KEY constraint failed (foreign keys are always ON in this module).
    public var isForeignKeyViolation: Bool { code == SQLiteError.constraintForeignKey }

    /// The database was locked by another connection for longer than the busy timeout.
    public var isBusy: Bool { primaryCode == SQLITE_BUSY }

    /// The API was used wrongly, e.g. a closed connection or pool (`SQLITE_MISUSE`).
    public var isMisuse: Bool { primaryCode == SQLITE_MISUSE }

    /// The disk (or the database's `max_page_count`) is full: `SQLITE_FULL`.
    public var isDiskFull: Bool { primaryCode == SQLITE_FULL }

    /// The storage failed or refused the write: a full disk, an I/O error, a read-only file
    /// system or file, or a lock held too long. Nothing of the statement was kept, and the same
    /// request may succeed once the condition is gone (https://www.sqlite.org/rescode.html).
    public var isStorageUnavailable: Bool {
        switch primaryCode {
        case SQLITE_FULL, SQLITE_IOERR, SQLITE_READONLY, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CANTOPEN, SQLITE_NOLFS:
            true
        default: false
        }
    }

    /// The statement or transaction was abandoned (`SQLITE_ABORT`); for a batched write, that
    /// another write of its batch failed and SQLite rolled the shared transaction back.
    public var isAbort: Bool { primaryCode == SQLITE_ABORT }

    /// The file is damaged or not a database at all: `SQLITE_CORRUPT` or `SQLITE_NOTADB`.
    public var isCorruption: Bool { primaryCode == SQLITE_CORRUPT || primaryCode == SQLITE_NOTADB }

    /// One line: code, SQLite's name for it, message and statement.
    public var description: String {
        var text = "SQLite error \(code) (\(SQLiteError.codeName(code))): \(message)"
        if let sql {
            text += " [sql: \(SQLiteError.singleLine(sql))]"
        }
        return text
    }

    // Extended codes are C macros built from expressions, which Swift does not import.
    static let constraintForeignKey: Int32 = SQLITE_CONSTRAINT | (3 << 8)  // SQLITE_CONSTRAINT_FOREIGNKEY
    static let constraintPrimaryKey: Int32 = SQLITE_CONSTRAINT | (6 << 8)  // SQLITE_CONSTRAINT_PRIMARYKEY
    static let constraintUnique: Int32 = SQLITE_CONSTRAINT | (8 << 8)  // SQLITE_CONSTRAINT_UNIQUE

    /// The error every call on a closed connection, statement or pool throws.
    static func closed(_ what: String, sql: String? = nil) -> SQLiteError {
        SQLiteError(code: SQLITE_MISUSE, message: "\(what) is closed", sql: sql)
    }

    /// The current error of `db`; `sql` is the statement text only.
    static func from(_ db: OpaquePointer?, sql: String?) -> SQLiteError {
        guard let db else {
            return SQLiteError(code: SQLITE_NOMEM, message: "out of memory", sql: sql)
        }
        return SQLiteError(
            code: sqlite3_extended_errcode(db),
            message: String(cString: sqlite3_errmsg(db)),
            sql: sql)
    }

    private static func codeName(_ code: Int32) -> String {
        guard let text = sqlite3_errstr(code) else { return "unknown" }
        return String(cString: text)
    }

    private static func singleLine(_ sql: String) -> String {
        sql.split(whereSeparator: \.isNewline)
            .map { $0.trimmingWhitespace() }
            .filter { !$0.isEmpty }
            .joined(separator: " ")
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        guard let first = firstIndex(where: { !$0.isWhitespace }),
            let last = lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return self[first...last]
    }
}
