import TestSupport
import Testing

@testable import ReliefLog

/// The CSV reader and writer against RFC 4180 (quotes, embedded CR/LF, a byte order mark, an
/// empty final line, ragged rows reported by line) and the property that any table written
/// and read again is the same table.
@Suite("CSV: RFC 4180 reading and writing")
struct CSVConformanceTests {
    /// The records of `text`, each as its cells' texts (`nil` for an unquoted empty cell).
    static func records(_ text: String) throws -> [[String?]] {
        var records: [[String?]] = []
        try CSV.read(Array(text.utf8)) { _, cells in
            records.append(cells.map { $0.text.isEmpty && !$0.quoted ? nil : $0.text })
        }
        return records
    }

    static func syntaxError(_ text: String) -> CSV.SyntaxError? {
        do {
            _ = try records(text)
            return nil
        } catch {
            return error as? CSV.SyntaxError
        }
    }

    @Test("quoted cells hold commas, doubled quotes, CR and LF; a null cell differs from an empty string")
    func quoting() throws {
        let text = "a,\"b,c\",\"say \"\"hi\"\"\",\"two\r\nlines\",,\"\"\r\n"
        #expect(try Self.records(text) == [["a", "b,c", "say \"hi\"", "two\r\nlines", nil, ""]])
    }

    @Test("a byte order mark is skipped; LF alone ends a record; an empty final line is no record")
    func lineEnds() throws {
        #expect(try Self.records("\u{FEFF}x,y\ny,z\n\n") == [["x", "y"], ["y", "z"]])
        #expect(try Self.records("x,y") == [["x", "y"]])
    }

    @Test("malformed files are refused at the line where they go wrong")
    func malformed() {
        #expect(Self.syntaxError("a,b\r\nc,\"d\r\n")?.line == 2)
        #expect(Self.syntaxError("a\r\n\"b\"c\r\n")?.line == 2)
        #expect(Self.syntaxError("a\r\nb\"c\r\n")?.line == 2)
        #expect(Self.syntaxError("a\rb\r\n")?.line == 1)
        #expect(Self.syntaxError("a,\u{FFFD}\r\n") == nil)
        var invalid = Array("a,".utf8)
        invalid.append(0xFF)
        #expect(throws: CSV.SyntaxError.self) { try CSV.read(invalid) { _, _ in } }
    }

    @Test("ragged rows are read as they are, so the importer can name the line")
    func ragged() throws {
        var lines: [Int] = []
        var counts: [Int] = []
        try CSV.read(Array("a,b,c\r\n1,2\r\n\"x\ny\",2,3,4\r\n5,6,7\r\n".utf8)) { line, cells in
            lines.append(line)
            counts.append(cells.count)
        }
        #expect(lines == [1, 2, 3, 5])
        #expect(counts == [3, 2, 4, 3])
    }

    @Test("any table written and read again is the same table", arguments: [1, 2, 3] as [UInt64])
    func roundTrip(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let pieces = ["a", "Z", "0", " ", ",", "\"", "\r", "\n", "\r\n", "é", "😀", "=", "+", "-", "@", "'", "\t"]
        for _ in 0..<200 {
            let width = Int.random(in: 1...6, using: &random)
            var table: [[String?]] = []
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                table.append(
                    (0..<width).map { _ in
                        if Int.random(in: 0..<8, using: &random) == 0 { return nil }
                        return (0..<Int.random(in: 0...6, using: &random)).map { _ in
                            pieces[Int.random(in: 0..<pieces.count, using: &random)]
                        }.joined()
                    })
            }
            // A record of one null cell is a blank line, which is no record.
            table.removeAll { $0 == [nil] }
            var bytes: [UInt8] = []
            for record in table { CSV.appendRecord(record, to: &bytes) }
            #expect(try Self.records(String(decoding: bytes, as: UTF8.self)) == table)
            for record in table {
                for case let text? in record { #expect(CSV.unguarded(CSV.guarded(text)) == text) }
            }
        }
    }

    @Test("a first cell that begins with U+FEFF is written quoted, so it is not read as a byte order mark")
    func leadingByteOrderMarkCharacter() throws {
        var bytes: [UInt8] = []
        CSV.appendRecord(["\u{FEFF}b", "c"], to: &bytes)
        #expect(try Self.records(String(decoding: bytes, as: UTF8.self)) == [["\u{FEFF}b", "c"]])
    }

    @Test("a Migraine Buddy duration too long for 64 bits is unreadable, not a crash")
    func migraineBuddyDurationOverflow() {
        #expect(MigraineBuddy.duration("1d 02h 15m") == .some(94_500_000))
        #expect(MigraineBuddy.duration("Ongoing") == .some(nil))
        #expect(MigraineBuddy.duration("17265446786493142 31h") == nil)
        #expect(MigraineBuddy.duration("9223372036854775807m") == nil)
        #expect(MigraineBuddy.duration("106751991167d 106751991167d") == nil)
        #expect(MigraineBuddy.duration("106751991166d") == nil)  // would overflow startedAt + it
        #expect(MigraineBuddy.duration("15d") == .some(15 * 86_400_000))  // validation refuses it, by line
    }

    @Test("a Migraine Buddy dose needs a name before it and a finite amount")
    func migraineBuddyDoses() {
        #expect(MigraineBuddy.nameAndDose("Sumatriptan (50 mg)") == ("Sumatriptan", 50))
        #expect(MigraineBuddy.nameAndDose("Ibuprofen 400mg") == ("Ibuprofen", 400))
        #expect(MigraineBuddy.nameAndDose("(10 mg)") == ("(10 mg)", nil))
        #expect(MigraineBuddy.nameAndDose("Pill infmg") == ("Pill infmg", nil))
    }

    @Test("cells that spreadsheets would run as formulas are written guarded and read back exactly")
    func formulas() {
        for text in ["=SUM(A1)", "+1", "-2", "@x", "\tx", "\rx", "'=x", "''+y", "'plain", "plain"] {
            let guarded = CSV.guarded(text)
            #expect(CSV.unguarded(guarded) == text)
            if let first = text.drop(while: { $0 == "'" }).first, "=+-@\t\r".contains(first) {
                #expect(guarded.first == "'", "\(text) must be guarded")
            } else {
                #expect(guarded == text)
            }
        }
    }
}
