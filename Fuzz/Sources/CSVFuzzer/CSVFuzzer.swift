// libFuzzer entry point for the CSV reader and writer of bulk import and export (RFC 4180).
//
// What the reader accepts must survive the writer: every record written back and read again
// gives the same cells (text, and null kept apart from the empty string). The formula guard
// must give every text back exactly. Read again under small import limits, the records read
// before a limit stops the reader are the same and within the limits.
@testable import ReliefLog

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: start, count: count))
    var records: [[CSV.Cell]] = []
    var lines: [Int] = []
    do {
        try CSV.read(bytes, limits: unlimited) { line, cells in
            precondition(line >= 1 && line <= count + 1, "a line number beyond the input")
            precondition(lines.last.map { $0 < line } ?? true, "line numbers must increase")
            lines.append(line)
            records.append(cells)
        }
    } catch is CSV.SyntaxError {
        return 0
    } catch {
        preconditionFailure("the reader threw something other than a syntax error: \(error)")
    }
    checkLimits(bytes, records)
    var written: [UInt8] = []
    for record in records {
        CSV.appendRecord(record.map { $0.text.isEmpty && !$0.quoted ? nil : $0.text }, to: &written)
    }
    var again: [[CSV.Cell]] = []
    do {
        try CSV.read(written, limits: unlimited) { _, cells in again.append(cells) }
    } catch {
        preconditionFailure("the reader refused what the writer wrote: \(error)")
    }
    precondition(again.count == records.count, "writing and reading changed the number of records")
    for (first, second) in zip(records, again) {
        precondition(first.count == second.count, "a record changed its number of cells")
        for (a, b) in zip(first, second) {
            precondition(a.text == b.text, "a cell changed its text")
            precondition(a.text.isEmpty ? a.quoted == b.quoted : true, "null and empty string mixed up")
            precondition(CSV.unguarded(CSV.guarded(a.text)) == a.text, "the formula guard lost text")
        }
    }
    return 0
}

/// No limit an input can reach: the round trip is about the grammar (a row of 101 empty cells is
/// 100 bytes, past the default `maxColumns`).
private let unlimited: ImportLimits = {
    var limits = ImportLimits()
    limits.maxColumns = .max
    limits.maxFieldBytes = .max
    limits.maxLineBytes = .max
    return limits
}()

/// Small enough that inputs of a few hundred bytes pass each of them.
private let smallLimits: ImportLimits = {
    var limits = ImportLimits()
    limits.maxColumns = 6
    limits.maxFieldBytes = 40
    limits.maxLineBytes = 120
    return limits
}()

private func checkLimits(_ bytes: [UInt8], _ records: [[CSV.Cell]]) {
    var limited: [[CSV.Cell]] = []
    var stopped: ImportLimitExceeded? = nil
    do {
        try CSV.read(bytes, limits: smallLimits) { _, cells in limited.append(cells) }
    } catch let error as ImportLimitExceeded {
        stopped = error
    } catch {
        preconditionFailure("a limited read failed where the unlimited one did not: \(error)")
    }
    precondition(limited.count <= records.count, "a limited read gave more records")
    precondition(stopped != nil || limited.count == records.count, "a limited read lost records without an error")
    for (index, cells) in limited.enumerated() {
        precondition(cells == records[index], "a limited read changed a record")
        precondition(cells.count <= smallLimits.maxColumns, "a record over the column limit")
        precondition(cells.allSatisfy { $0.text.utf8.count <= smallLimits.maxFieldBytes }, "a cell over the limit")
    }
    if let stopped { precondition(stopped.line >= 1 && stopped.maximum > 0, "a limit error without a line") }
}
