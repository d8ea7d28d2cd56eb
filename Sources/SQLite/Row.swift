/// A materialised result row: values by 0-based index and by column name.
///
/// Looking up a column name the query does not return is a programmer error and
/// traps, like an out-of-range array index: a misspelt name must not read as NULL.
/// Use `contains(_:)` for optional columns. Names match exactly first, then
/// case-insensitively (SQL identifiers are case-insensitive).
///
/// Typed getters return `nil` for NULL and for values of an incompatible storage
/// class (for example `string` on an integer); `double` accepts integers and
/// `int64` accepts reals that are whole numbers.
public struct Row: Sendable {
    /// Result column names, in order (shared by all rows of a query).
    public let columnNames: [String]
    /// Values in column order.
    public let values: [SQLiteValue]

    /// Creates a row; `columnNames` and `values` must have the same count.
    public init(columnNames: [String], values: [SQLiteValue]) {
        precondition(columnNames.count == values.count, "one value per column")
        self.columnNames = columnNames
        self.values = values
    }

    /// Number of columns.
    public var count: Int { values.count }

    /// Whether the row has a column called `column`.
    public func contains(_ column: String) -> Bool { columnIndex(column) != nil }

    /// The value at a 0-based column index.
    public subscript(_ index: Int) -> SQLiteValue { values[index] }

    /// The value of a named column; traps if the query returned no such column.
    public subscript(_ column: String) -> SQLiteValue { values[index(of: column)] }

    /// 0-based index of `column`, or `nil`.
    public func columnIndex(_ column: String) -> Int? {
        if let exact = columnNames.firstIndex(of: column) { return exact }
        let lowered = column.lowercased()
        return columnNames.firstIndex { $0.lowercased() == lowered }
    }

    private func index(of column: String) -> Int {
        guard let index = columnIndex(column) else {
            preconditionFailure("no column '\(column)' in row; columns are \(columnNames)")
        }
        return index
    }

    // MARK: Typed getters by name

    /// Integer value; `nil` for NULL, text, blobs and reals with a fraction.
    public func int64(_ column: String) -> Int64? { Row.int64(self[column]) }
    /// Integer value as `Int`; `nil` like `int64(_:)`.
    public func int(_ column: String) -> Int? { Row.int64(self[column]).map { Int($0) } }
    /// Real value (integers are converted); `nil` for NULL, text and blobs.
    public func double(_ column: String) -> Double? { Row.double(self[column]) }
    /// Text value; `nil` for NULL and non-text.
    public func string(_ column: String) -> String? { Row.string(self[column]) }
    /// 0 is `false`, any other integer `true`; `nil` for NULL and non-integers.
    public func bool(_ column: String) -> Bool? { Row.int64(self[column]).map { $0 != 0 } }
    /// Blob bytes; `nil` for NULL and non-blobs.
    public func blob(_ column: String) -> [UInt8]? { Row.blob(self[column]) }

    // MARK: Typed getters by index

    /// Integer value at `index`; see `int64(_:)` by name.
    public func int64(_ index: Int) -> Int64? { Row.int64(values[index]) }
    /// Integer value at `index` as `Int`.
    public func int(_ index: Int) -> Int? { Row.int64(values[index]).map { Int($0) } }
    /// Real value at `index` (integers are converted).
    public func double(_ index: Int) -> Double? { Row.double(values[index]) }
    /// Text value at `index`.
    public func string(_ index: Int) -> String? { Row.string(values[index]) }
    /// Boolean value at `index` (0 is `false`).
    public func bool(_ index: Int) -> Bool? { Row.int64(values[index]).map { $0 != 0 } }
    /// Blob bytes at `index`.
    public func blob(_ index: Int) -> [UInt8]? { Row.blob(values[index]) }

    private static func int64(_ value: SQLiteValue) -> Int64? {
        switch value {
        case .integer(let number): number
        case .real(let number): Int64(exactly: number)
        default: nil
        }
    }

    private static func double(_ value: SQLiteValue) -> Double? {
        switch value {
        case .real(let number): number
        case .integer(let number): Double(number)
        default: nil
        }
    }

    private static func string(_ value: SQLiteValue) -> String? {
        if case .text(let text) = value { return text }
        return nil
    }

    private static func blob(_ value: SQLiteValue) -> [UInt8]? {
        if case .blob(let bytes) = value { return bytes }
        return nil
    }
}
