/// How much one import file may hold beyond its size in bytes (`http.maxImportBytes`): rows,
/// cells per row, bytes per cell and per line. The same limits hold for CSV, NDJSON and
/// Migraine Buddy files; configured under `import` (docs/limits.md lists every limit).
public struct ImportLimits: Sendable, Hashable {
    /// Data rows (CSV rows after the header, NDJSON lines that are not blank, Migraine Buddy
    /// attacks).
    public var maxRows = 100_000
    /// Cells in one CSV row, the header included.
    public var maxColumns = 100
    /// Bytes of one CSV cell after unquoting.
    public var maxFieldBytes = 65_536
    /// Bytes of one NDJSON line, or of one CSV row from its first byte to its line end.
    public var maxLineBytes = 1_048_576

    public init() {}
}

/// A file over one of the `ImportLimits`: 413, with the limit and the line where it was passed.
/// Nothing of the file is written.
struct ImportLimitExceeded: Error, Sendable, Hashable, CustomStringConvertible {
    /// The configuration key of the limit (`import.maxRows`).
    var limit: String
    var maximum: Int
    /// The 1-based line of the file where the limit was passed.
    var line: Int
    /// What is over the limit: "more than 100000 rows".
    var what: String

    /// "line 100002: more than 100000 rows (import.maxRows); nothing was written"
    var description: String { "line \(line): \(what) (\(limit)); nothing was written" }
}

extension ImportLimits {
    func rowsExceeded(at line: Int) -> ImportLimitExceeded {
        ImportLimitExceeded(limit: "import.maxRows", maximum: maxRows, line: line, what: "more than \(maxRows) rows")
    }
}
