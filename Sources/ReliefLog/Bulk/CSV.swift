// RFC 4180 CSV as the bulk export writes it and the import reads it: comma-separated, `"`
// quoting with `""` for a quote, CRLF after every record (LF alone is accepted on input), UTF-8
// (a leading byte order mark is skipped on input).
//
// Spreadsheets run a cell that begins with `=`, `+`, `-`, `@`, tab or CR as a formula (CSV
// injection, https://owasp.org/www-community/attacks/CSV_Injection). Such a text cell is written
// with a leading `'`, which spreadsheets show as text, and read back without it. A text that
// already begins with quotes before such a character gets one more, so every text survives the
// round trip exactly.

enum CSV {
    /// Appends one record. A nil cell is empty (null); an empty string is written `""`, so the
    /// two stay apart on the way back.
    static func appendRecord(_ cells: [String?], to out: inout [UInt8]) {
        var first = true
        for cell in cells {
            if !first { out.append(comma) }
            first = false
            guard var cell else { continue }
            cell.withUTF8 { bytes in append(cell: bytes, to: &out) }
        }
        out.append(cr)
        out.append(lf)
    }

    private static func append(cell bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        // A cell that begins with U+FEFF is quoted: unquoted at the start of a file, the reader
        // would take it for a byte order mark and drop it.
        var needsQuotes = bytes.isEmpty || bytes.starts(with: [0xEF, 0xBB, 0xBF])
        for byte in bytes where byte == comma || byte == quote || byte == lf || byte == cr {
            needsQuotes = true
            break
        }
        guard needsQuotes else {
            out.append(contentsOf: bytes)
            return
        }
        out.append(quote)
        for byte in bytes {
            if byte == quote { out.append(quote) }
            out.append(byte)
        }
        out.append(quote)
    }

    /// The text as a cell a spreadsheet will not run: a leading `'` before `'*[=+-@\t\r]`.
    static func guarded(_ text: String) -> String {
        // Most cells start with a letter or digit: decided on the first byte.
        guard let first = text.utf8.first else { return text }
        if first != apostrophe && !isFormulaStart(first) { return text }
        return startsLikeFormula(text.utf8.drop { $0 == apostrophe }) ? "'" + text : text
    }

    private static func isFormulaStart(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "=") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "@") || byte == 0x09 || byte == cr
    }

    /// The text of a guarded cell: one leading `'` removed when a formula character follows it
    /// (after any further quotes).
    static func unguarded(_ text: String) -> String {
        let bytes = text.utf8
        guard bytes.first == apostrophe, startsLikeFormula(bytes.dropFirst().drop { $0 == apostrophe }) else {
            return text
        }
        return String(text.dropFirst())
    }

    private static func startsLikeFormula(_ bytes: some Sequence<UInt8>) -> Bool {
        var iterator = bytes.makeIterator()
        guard let first = iterator.next() else { return false }
        return isFormulaStart(first)
    }

    /// One cell as read: its text, and whether it was quoted (`""` is an empty string, an
    /// unquoted empty cell is null).
    struct Cell: Sendable, Hashable {
        var text: String
        var quoted: Bool
    }

    /// What is wrong with the file at a line.
    struct SyntaxError: Error, Sendable, Hashable {
        var line: Int
        var message: String
    }

    /// Reads records one at a time from `bytes`, calling `record` with the 1-based line on
    /// which each starts. Stops at the first syntax error (what follows it cannot be trusted),
    /// and throws `ImportLimitExceeded` at the first record with more cells than
    /// `limits.maxColumns`, a cell longer than `limits.maxFieldBytes` or more bytes than
    /// `limits.maxLineBytes` (rows are counted by the callers, who know the header).
    static func read(
        _ bytes: [UInt8], limits: ImportLimits = ImportLimits(), _ record: (_ line: Int, _ cells: [Cell]) throws -> Void
    ) throws {
        var index = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        var line = 1
        while index < bytes.count {
            let start = line
            let startIndex = index
            var cells: [Cell] = []
            var field: [UInt8] = []
            var quoted = false
            var endOfRecord = false
            while !endOfRecord {
                field.removeAll(keepingCapacity: true)
                quoted = false
                if index < bytes.count, bytes[index] == quote {
                    quoted = true
                    index += 1
                    var closed = false
                    while index < bytes.count {
                        let byte = bytes[index]
                        if byte == quote {
                            if index + 1 < bytes.count, bytes[index + 1] == quote {
                                field.append(quote)
                                index += 2
                                continue
                            }
                            index += 1
                            closed = true
                            break
                        }
                        if byte == lf { line += 1 }
                        field.append(byte)
                        index += 1
                    }
                    guard closed else { throw SyntaxError(line: start, message: "a quoted cell is never closed") }
                    if index < bytes.count, bytes[index] != comma, bytes[index] != lf, bytes[index] != cr {
                        throw SyntaxError(line: line, message: "text follows the closing quote of a cell")
                    }
                } else {
                    while index < bytes.count, bytes[index] != comma, bytes[index] != lf, bytes[index] != cr {
                        if bytes[index] == quote {
                            throw SyntaxError(line: line, message: "a quote inside an unquoted cell (quote the cell)")
                        }
                        field.append(bytes[index])
                        index += 1
                    }
                }
                guard let text = String(validating: field, as: UTF8.self) else {
                    throw SyntaxError(line: line, message: "is not valid UTF-8")
                }
                cells.append(Cell(text: text, quoted: quoted))
                // Checked per cell, not per byte: the body is bounded already, these bound a row.
                if field.count > limits.maxFieldBytes {
                    throw ImportLimitExceeded(
                        limit: "import.maxFieldBytes", maximum: limits.maxFieldBytes, line: start,
                        what: "cell \(cells.count) has more than \(limits.maxFieldBytes) bytes")
                }
                if cells.count > limits.maxColumns {
                    throw ImportLimitExceeded(
                        limit: "import.maxColumns", maximum: limits.maxColumns, line: start,
                        what: "a row has more than \(limits.maxColumns) cells")
                }
                if index - startIndex > limits.maxLineBytes {
                    throw ImportLimitExceeded(
                        limit: "import.maxLineBytes", maximum: limits.maxLineBytes, line: start,
                        what: "a row has more than \(limits.maxLineBytes) bytes")
                }
                if index >= bytes.count {
                    endOfRecord = true
                } else if bytes[index] == comma {
                    index += 1
                } else {
                    if bytes[index] == cr {
                        index += 1
                        guard index < bytes.count, bytes[index] == lf else {
                            if index >= bytes.count { break }
                            throw SyntaxError(line: line, message: "a carriage return without a line feed")
                        }
                    }
                    index += 1
                    line += 1
                    endOfRecord = true
                }
            }
            // A blank line is no record.
            if cells.count == 1, cells[0].text.isEmpty, !cells[0].quoted { continue }
            try record(start, cells)
        }
    }

    private static let comma = UInt8(ascii: ",")
    private static let quote = UInt8(ascii: "\"")
    private static let apostrophe = UInt8(ascii: "'")
    private static let cr: UInt8 = 0x0D
    private static let lf: UInt8 = 0x0A
}
