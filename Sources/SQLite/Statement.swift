import CSQLite

/// The `sqlite3*` of one connection, shared with that connection's statements so
/// that a statement outliving `Connection.close()` fails cleanly instead of
/// touching a closed handle.
final class DatabaseHandle {
    /// `nil` once the connection is closed.
    var pointer: OpaquePointer?

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }
}

/// A prepared statement that owns its `sqlite3_stmt` handle.
///
/// The handle is finalized in `deinit`, or earlier by `Connection.close()` for
/// statements in the connection's cache. Like its connection, a statement is
/// confined to one thread at a time. Positions and column indexes follow SQLite:
/// parameters are 1-based, result columns 0-based
/// (https://www.sqlite.org/c3ref/bind_blob.html, https://www.sqlite.org/c3ref/column_blob.html).
public final class Statement {
    /// The SQL text this statement was prepared from.
    public let sql: String

    private(set) var handle: OpaquePointer?
    private let database: DatabaseHandle
    /// Set while `Connection.run`/`query`/`forEachRow` is stepping this statement,
    /// so a nested call with the same SQL gets its own statement instead of
    /// resetting this one mid-iteration.
    var isExecuting = false
    /// Statement-cache recency stamp, see `Connection.cachedStatement(_:)`.
    var lastUsed: UInt64 = 0

    /// Prepares the first statement of `sql`; throws if `sql` holds no statement or
    /// more than one (use `Connection.execute(_:)` for scripts).
    ///
    /// `persistent` passes `SQLITE_PREPARE_PERSISTENT`, the hint for statements
    /// that are kept and reused (https://www.sqlite.org/c3ref/c_prepare_normalize.html).
    init(database: DatabaseHandle, sql: String, persistent: Bool) throws {
        guard let db = database.pointer else { throw SQLiteError.closed("connection", sql: sql) }
        self.sql = sql
        self.database = database
        var statement: OpaquePointer?
        var extraStatement: OpaquePointer?
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let rc = sql.withCString { text -> Int32 in
            var tail: UnsafePointer<CChar>?
            let rc = sqlite3_prepare_v3(db, text, -1, flags, &statement, &tail)
            guard rc == SQLITE_OK, let tail, tail.pointee != 0 else { return rc }
            // Anything after the first statement must be whitespace or comments;
            // otherwise it would be silently ignored.
            if sqlite3_prepare_v3(db, tail, -1, 0, &extraStatement, nil) != SQLITE_OK {
                return SQLITE_ERROR
            }
            return rc
        }
        if rc != SQLITE_OK {
            let error = SQLiteError.from(db, sql: sql)
            sqlite3_finalize(statement)
            throw error
        }
        if extraStatement != nil {
            sqlite3_finalize(extraStatement)
            sqlite3_finalize(statement)
            throw SQLiteError(
                code: SQLITE_MISUSE,
                message: "more than one statement; use execute(_:) for scripts", sql: sql)
        }
        guard let statement else {
            throw SQLiteError(code: SQLITE_MISUSE, message: "no statement in SQL text", sql: sql)
        }
        self.handle = statement
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Finalizes now; later calls throw (or trap, for column reads).
    func finalize() {
        sqlite3_finalize(handle)
        handle = nil
    }

    private func liveHandle() throws -> OpaquePointer {
        guard let handle, database.pointer != nil else {
            throw SQLiteError.closed("connection", sql: sql)
        }
        return handle
    }

    private func error() -> SQLiteError {
        SQLiteError.from(database.pointer, sql: sql)
    }

    // MARK: Binding

    /// Number of `?` parameters in the statement.
    public var parameterCount: Int32 {
        handle.map { sqlite3_bind_parameter_count($0) } ?? 0
    }

    /// Binds `values` to positions 1, 2, …; the count must match the parameter count
    /// exactly, so a forgotten value is an error instead of a silent NULL.
    public func bind(_ values: [SQLiteValue]) throws {
        let handle = try liveHandle()
        let expected = sqlite3_bind_parameter_count(handle)
        guard values.count == Int(expected) else {
            throw SQLiteError(
                code: SQLITE_RANGE,
                message: "statement has \(expected) parameter(s) but \(values.count) value(s) were bound",
                sql: sql)
        }
        for (offset, value) in values.enumerated() {
            try bind(value, handle: handle, at: Int32(offset + 1))
        }
    }

    /// Binds one value at a 1-based position.
    public func bind(_ value: SQLiteValue, at index: Int32) throws {
        try bind(value, handle: liveHandle(), at: index)
    }

    private func bind(_ value: SQLiteValue, handle: OpaquePointer, at index: Int32) throws {
        let rc: Int32
        switch value {
        case .integer(let number):
            rc = sqlite3_bind_int64(handle, index, number)
        case .real(let number):
            rc = sqlite3_bind_double(handle, index, number)
        case .text(let text):
            // Explicit byte length: embedded NULs are kept. withCString never hands
            // out a null pointer, which SQLite would bind as NULL for "".
            rc = text.withCString { pointer in
                sqlite3_bind_text64(
                    handle, index, pointer, UInt64(text.utf8.count), csqlite_transient(),
                    UInt8(SQLITE_UTF8))
            }
        case .blob(let bytes):
            if bytes.isEmpty {
                // A null pointer would bind NULL; a zero-length blob is not NULL.
                rc = sqlite3_bind_zeroblob(handle, index, 0)
            } else {
                rc = bytes.withUnsafeBytes { buffer in
                    sqlite3_bind_blob64(
                        handle, index, buffer.baseAddress, UInt64(buffer.count), csqlite_transient())
                }
            }
        case .null:
            rc = sqlite3_bind_null(handle, index)
        }
        if rc != SQLITE_OK { throw error() }
    }

    /// Sets every parameter back to NULL and drops SQLite's copies of bound text and
    /// blobs (https://www.sqlite.org/c3ref/clear_bindings.html).
    public func clearBindings() {
        if let handle { sqlite3_clear_bindings(handle) }
    }

    // MARK: Stepping

    /// Advances to the next row: `true` for a row (`SQLITE_ROW`), `false` when done
    /// (`SQLITE_DONE`). Any other result throws an error carrying this statement's SQL.
    public func step() throws -> Bool {
        let handle = try liveHandle()
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw error()
        }
    }

    /// Rewinds so the statement can run again; bindings are kept
    /// (https://www.sqlite.org/c3ref/reset.html). Also ends the read transaction an
    /// unfinished SELECT holds open.
    public func reset() {
        if let handle { sqlite3_reset(handle) }
    }

    // MARK: Columns of the current row

    /// Number of result columns.
    public var columnCount: Int32 {
        handle.map { sqlite3_column_count($0) } ?? 0
    }

    /// The name of result column `i` (its `AS` alias if any).
    public func columnName(_ i: Int32) -> String {
        columnNameOf(currentHandle, i)
    }

    /// Column `i` as an integer (SQLite's conversions apply; NULL reads as 0).
    public func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(currentHandle, i) }

    /// Column `i` as `Int` (SQLite's conversions apply; NULL reads as 0).
    public func int(_ i: Int32) -> Int { Int(truncatingIfNeeded: sqlite3_column_int64(currentHandle, i)) }

    /// Column `i` as a double (SQLite's conversions apply; NULL reads as 0.0).
    public func double(_ i: Int32) -> Double { sqlite3_column_double(currentHandle, i) }

    /// Column `i` as text, `nil` for NULL. All bytes are kept, embedded NULs included.
    public func text(_ i: Int32) -> String? { columnText(currentHandle, i) }

    /// Column `i` as bytes, `nil` for NULL; a zero-length blob is `[]`.
    public func blob(_ i: Int32) -> [UInt8]? { columnBlob(currentHandle, i) }

    /// Calls `body` with column `i`'s text as SQLite holds it (UTF-8, not validated), `nil` for
    /// NULL, without copying it into a `String`. The bytes are valid only inside `body`.
    public func withText<R>(_ i: Int32, _ body: (UnsafeBufferPointer<UInt8>?) throws -> R) rethrows -> R {
        let handle = currentHandle
        guard let pointer = sqlite3_column_text(handle, i) else { return try body(nil) }
        return try body(UnsafeBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(handle, i))))
    }

    /// Whether column `i` is NULL.
    public func isNull(_ i: Int32) -> Bool { sqlite3_column_type(currentHandle, i) == SQLITE_NULL }

    /// Column `i` in its storage class.
    public func value(_ i: Int32) -> SQLiteValue { columnValue(currentHandle, i) }

    private var currentHandle: OpaquePointer {
        guard let handle else { preconditionFailure("statement used after its connection was closed") }
        return handle
    }
}

/// The current row of `Connection.forEachRow`: typed reads by 0-based column index,
/// straight from SQLite's buffers without building `Row` values.
///
/// Non-copyable and only borrowed by the callback, so it cannot outlive the row
/// it reads (SQLite reuses the buffers when the statement steps).
public struct RowCursor: ~Copyable {
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) {
        self.handle = handle
    }

    /// Number of result columns.
    public var columnCount: Int32 { sqlite3_column_count(handle) }
    /// The name of result column `i`.
    public func columnName(_ i: Int32) -> String { columnNameOf(handle, i) }
    /// Column `i` as an integer (NULL reads as 0).
    public func int64(_ i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }
    /// Column `i` as `Int` (NULL reads as 0).
    public func int(_ i: Int32) -> Int { Int(truncatingIfNeeded: sqlite3_column_int64(handle, i)) }
    /// Column `i` as a double (NULL reads as 0.0).
    public func double(_ i: Int32) -> Double { sqlite3_column_double(handle, i) }
    /// Column `i` as a boolean (non-zero is `true`, NULL reads as `false`).
    public func bool(_ i: Int32) -> Bool { sqlite3_column_int64(handle, i) != 0 }
    /// Column `i` as text, `nil` for NULL.
    public func text(_ i: Int32) -> String? { columnText(handle, i) }
    /// Column `i` as bytes, `nil` for NULL.
    public func blob(_ i: Int32) -> [UInt8]? { columnBlob(handle, i) }
    /// Whether column `i` is NULL.
    public func isNull(_ i: Int32) -> Bool { sqlite3_column_type(handle, i) == SQLITE_NULL }
    /// Column `i` in its storage class.
    public func value(_ i: Int32) -> SQLiteValue { columnValue(handle, i) }
}

// MARK: Column readers shared by Statement, RowCursor and Row building

func columnNameOf(_ handle: OpaquePointer, _ i: Int32) -> String {
    guard let name = sqlite3_column_name(handle, i) else { return "" }
    return String(cString: name)
}

func columnText(_ handle: OpaquePointer, _ i: Int32) -> String? {
    // Text first, then its byte count, as https://www.sqlite.org/c3ref/column_blob.html advises.
    guard let pointer = sqlite3_column_text(handle, i) else { return nil }
    let count = Int(sqlite3_column_bytes(handle, i))
    return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
}

func columnBlob(_ handle: OpaquePointer, _ i: Int32) -> [UInt8]? {
    if sqlite3_column_type(handle, i) == SQLITE_NULL { return nil }
    // sqlite3_column_blob returns NULL for a zero-length blob.
    guard let pointer = sqlite3_column_blob(handle, i) else { return [] }
    let count = Int(sqlite3_column_bytes(handle, i))
    return Array(UnsafeRawBufferPointer(start: pointer, count: count))
}

func columnValue(_ handle: OpaquePointer, _ i: Int32) -> SQLiteValue {
    switch sqlite3_column_type(handle, i) {
    case SQLITE_INTEGER: .integer(sqlite3_column_int64(handle, i))
    case SQLITE_FLOAT: .real(sqlite3_column_double(handle, i))
    case SQLITE_TEXT: columnText(handle, i).map(SQLiteValue.text) ?? .null
    case SQLITE_BLOB: .blob(columnBlob(handle, i) ?? [])
    default: .null
    }
}
