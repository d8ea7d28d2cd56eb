import JSON
import SQLite

// Shared pieces of the record repositories.
//
// Repositories run on a `Connection` the caller provides: inside `DatabasePool.write` for
// changes (so the existence checks and the write are one transaction) and `DatabasePool.read`
// for reads. SQL text is fixed or assembled from fixed fragments; every value is a bound
// parameter. Statements come from the connection's cache, so a hot query is prepared once.

extension Connection {
    /// The first row decoded by `decode`, or `nil`. The cached statement is reset afterwards,
    /// so it holds no read snapshot and no copies of bound values.
    func fetchOne<T>(_ sql: String, _ bindings: [SQLiteValue], _ decode: (Statement) throws -> T) throws -> T? {
        let statement = try self.statement(sql)
        defer {
            statement.reset()
            statement.clearBindings()
        }
        try statement.bind(bindings)
        guard try statement.step() else { return nil }
        return try decode(statement)
    }

    /// Every row decoded by `decode`.
    func fetchAll<T>(_ sql: String, _ bindings: [SQLiteValue], _ decode: (Statement) throws -> T) throws -> [T] {
        let statement = try self.statement(sql)
        defer {
            statement.reset()
            statement.clearBindings()
        }
        try statement.bind(bindings)
        var results: [T] = []
        while try statement.step() {
            results.append(try decode(statement))
        }
        return results
    }

    /// Whether `table` has a row with this id (`table` is one of ours, never input).
    func exists(_ table: String, id: Int64) throws -> Bool {
        try scalar("SELECT EXISTS (SELECT 1 FROM \(table) WHERE id = ?)", [.integer(id)]) == .integer(1)
    }
}

/// The WHERE clause of a list query, built from the filters that are set.
struct ListFilter {
    private(set) var conditions: [String] = []
    private(set) var bindings: [SQLiteValue] = []

    /// Adds a condition (fixed SQL text with `?` placeholders) and its values.
    mutating func add(_ condition: String, _ values: SQLiteValue...) {
        conditions.append(condition)
        bindings.append(contentsOf: values)
    }

    var whereClause: String {
        conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
    }
}

/// The page size to query, clamped to the contract's range.
func clampedLimit(_ limit: Int) -> Int {
    min(max(limit, PageLimit.range.lowerBound), PageLimit.range.upperBound)
}

/// A UNIQUE violation as the request field it concerns; SQLite names the columns (or, for an
/// index on an expression, the index) in its message.
func uniqueConflict(_ error: SQLiteError) -> RecordsError? {
    guard error.isUniqueViolation else { return nil }
    if error.message.contains("external_id") {
        return .conflict(field: "externalId", message: "another record already has this externalId")
    }
    if error.message.contains("license") {
        return .conflict(
            field: "licenseNumber", message: "another therapist has this license number in this jurisdiction")
    }
    return .conflict(field: nil, message: "conflicts with another record")
}

// MARK: Reading columns

extension Statement {
    func optionalText(_ i: Int32) -> String? { isNull(i) ? nil : text(i) }
    func optionalInt(_ i: Int32) -> Int? { isNull(i) ? nil : int(i) }
    func optionalInt64(_ i: Int32) -> Int64? { isNull(i) ? nil : int64(i) }
    func bool(_ i: Int32) -> Bool { int64(i) != 0 }
}

/// Stored list columns: JSON arrays of strings.
enum StoredList {
    static func encode(_ strings: [String]) -> SQLiteValue {
        .text(JSON.string(.array(strings.map(JSONValue.string))))
    }

    /// The strings of a stored JSON array, or `nil` when the text is anything else.
    ///
    /// The service writes these lists as arrays of plain strings, which a byte scan reads
    /// without building a JSON tree (the summary decodes thousands per request); any other
    /// shape (an escape, a non-string element, malformed text) goes through the JSON parser.
    static func decode(_ text: String?) -> [String]? {
        guard var text else { return nil }
        if let plain = text.withUTF8(plainStrings) { return plain }
        guard let value = try? JSON.parse(text), case .array(let elements) = value else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(elements.count)
        for element in elements {
            guard case .string(let string) = element else { return nil }
            strings.append(string)
        }
        return strings
    }

    /// Whether `text` is an empty JSON array (`[]`, blanks allowed).
    static func isEmptyArray(_ text: String) -> Bool {
        var bytes = text.utf8.lazy.filter { !isBlank($0) }.makeIterator()
        return bytes.next() == UInt8(ascii: "[") && bytes.next() == UInt8(ascii: "]") && bytes.next() == nil
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// The strings of `[ "a", "b" ]` with no escapes or control characters in them; nil for
    /// anything else, which the JSON parser then decides.
    private static func plainStrings(_ bytes: UnsafeBufferPointer<UInt8>) -> [String]? {
        var strings: [String] = []
        var index = 0
        func skipBlanks() { while index < bytes.count, isBlank(bytes[index]) { index += 1 } }
        func expect(_ byte: Character) -> Bool {
            guard index < bytes.count, bytes[index] == byte.asciiValue else { return false }
            index += 1
            skipBlanks()
            return true
        }
        skipBlanks()
        guard expect("[") else { return nil }
        if expect("]") { return index == bytes.count ? strings : nil }
        repeat {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
            let start = index + 1
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"),
                bytes[end] >= 0x20
            {
                end += 1
            }
            guard end < bytes.count, bytes[end] == UInt8(ascii: "\"") else { return nil }
            strings.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
            index = end + 1
            skipBlanks()
        } while expect(",")
        return expect("]") && index == bytes.count ? strings : nil
    }
}

extension Statement {
    /// Column `i` as a stored string list; throws `storedDataInvalid` naming the row.
    func strings(_ i: Int32, table: String, id: Int64) throws(RecordsError) -> [String] {
        guard let strings = StoredList.decode(text(i)) else {
            throw .storedDataInvalid(table: table, id: id, column: columnName(i))
        }
        return strings
    }
}
