import Foundation
import JSON
import Testing

@testable import ReliefLog

/// The committed seeds and regression inputs of the fuzz targets that need the whole service
/// module (`Fuzz/seeds/CSVFuzzer`, `MigraineBuddyFuzzer`, `RecordInputFuzzer`), replayed through
/// the same properties their harnesses check, on every test run. Building those harnesses with
/// the sanitizers takes too long for CI (docs/fuzzing.md); the HTTP, JSON and query-string
/// targets are built and run in CI itself (`scripts/fuzz-ci.sh`).
@Suite("Fuzz seeds replayed as unit tests")
struct FuzzSeedReplayTests {
    static func seeds(_ target: String) throws -> [(name: String, bytes: [UInt8])] {
        let directory = repositoryRoot.appendingPathComponent("Fuzz/seeds/\(target)")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        return try names.map { ($0, [UInt8](try Data(contentsOf: directory.appendingPathComponent($0)))) }
    }

    @Test("CSVFuzzer seeds: read, written and read again give the same cells; limits stop at a record")
    func csv() throws {
        let seeds = try Self.seeds("CSVFuzzer")
        #expect(seeds.count >= 5)
        var unlimited = ImportLimits()
        unlimited.maxColumns = .max
        unlimited.maxFieldBytes = .max
        unlimited.maxLineBytes = .max
        for (name, bytes) in seeds {
            var records: [[CSV.Cell]] = []
            do {
                try CSV.read(bytes, limits: unlimited) { _, cells in records.append(cells) }
            } catch is CSV.SyntaxError {
                continue
            }
            var written: [UInt8] = []
            for record in records {
                CSV.appendRecord(record.map { $0.text.isEmpty && !$0.quoted ? nil : $0.text }, to: &written)
            }
            var again: [[CSV.Cell]] = []
            try CSV.read(written, limits: unlimited) { _, cells in again.append(cells) }
            #expect(again.map { $0.map(\.text) } == records.map { $0.map(\.text) }, "\(name)")
            for record in records {
                for cell in record {
                    #expect(CSV.unguarded(CSV.guarded(cell.text)) == cell.text, "\(name)")
                }
            }
            var limits = ImportLimits()
            limits.maxColumns = 6
            limits.maxFieldBytes = 40
            limits.maxLineBytes = 120
            var limited: [[CSV.Cell]] = []
            do {
                try CSV.read(bytes, limits: limits) { _, cells in limited.append(cells) }
                #expect(limited == records, "\(name)")
            } catch let error as ImportLimitExceeded {
                #expect(Array(records.prefix(limited.count)) == limited, "\(name)")
                #expect(error.line >= 1, "\(name)")
            }
        }
    }

    @Test("MigraineBuddyFuzzer seeds: every row read is a body validation judges; cells parse sanely")
    func migraineBuddy() throws {
        let seeds = try Self.seeds("MigraineBuddyFuzzer")
        #expect(seeds.count >= 6)
        for (name, bytes) in seeds {
            _ = try? MigraineBuddy.read(
                bytes, patientId: 1, zoneOffset: { _ in 3_600_000 },
                { line, body in
                    #expect(line >= 1, "\(name)")
                    do {
                        _ = try Episode.Fields(validating: body, now: 1_795_000_000_000)
                    } catch let error as ValidationError {
                        #expect(!error.failures.isEmpty, "\(name)")
                    } catch {
                        Issue.record("\(name): validation threw \(error)")
                    }
                },
                { line, _, message in #expect(line >= 1 && !message.isEmpty, "\(name)") })
            let text = String(decoding: bytes, as: UTF8.self)
            for cell in text.split(separator: "\n", maxSplits: 64).map(String.init) {
                if let duration = MigraineBuddy.duration(cell), let milliseconds = duration {
                    #expect(milliseconds >= 0, "\(name): \(cell)")
                }
                _ = MigraineBuddy.localTime(cell)
                for entry in MigraineBuddy.list(cell) {
                    #expect(!entry.isEmpty, "\(name)")
                    let (entryName, dose) = MigraineBuddy.nameAndDose(entry)
                    #expect(!entryName.isEmpty || dose == nil, "\(name): \(entry)")
                    if let dose { #expect(dose.isFinite, "\(name): \(entry)") }
                }
            }
        }
    }

    @Test("RecordInputFuzzer seeds: timestamps, cursors, base64url and bodies round-trip")
    func recordInput() throws {
        let seeds = try Self.seeds("RecordInputFuzzer")
        #expect(seeds.count >= 10)
        for (name, bytes) in seeds where !bytes.isEmpty {
            let rest = Array(bytes.dropFirst())
            let text = String(decoding: rest, as: UTF8.self)
            switch bytes[0] % 6 {
            case 0:
                if let instant = Timestamp.parse(text) {
                    #expect(Timestamp.parse(Timestamp.format(instant)) == instant, "\(name)")
                }
            case 1:
                if let instant = Timestamp.parseDateOrTimestamp(text) {
                    #expect(Timestamp.parseDateOrTimestamp(Timestamp.format(instant)) == instant, "\(name)")
                }
            case 2:
                for (list, parts) in [("episodes", 2), ("patients", 1)] {
                    guard let key = Cursor.decode(text, list: list, count: parts) else { continue }
                    #expect(Cursor.encode(list: list, key: key) == text, "\(name)")
                }
            case 3:
                if let decoded = Base64URL.decode(text) { #expect(Base64URL.encode(decoded) == text, "\(name)") }
            case 4:
                guard case .object(let body)? = try? JSON.parse(rest, maxDepth: 16) else { continue }
                check(Patient.Fields.self, body, name)
                check(Therapist.Fields.self, body, name)
                check(Episode.Fields.self, body, name)
                check(MassageSession.Fields.self, body, name)
            default:
                var raw: UInt64 = 0
                for byte in rest.prefix(8) { raw = raw << 8 | UInt64(byte) }
                let instant = Timestamp.minimum + Int64(raw % UInt64(Timestamp.maximum - Timestamp.minimum + 1))
                #expect(Timestamp.parse(Timestamp.format(instant)) == instant, "\(name)")
            }
        }
    }

    private func check<F: RecordFields>(_: F.Type, _ body: JSONObject, _ name: String) {
        let now: Int64 = 1_795_000_000_000
        do {
            let fields = try F(validating: body, now: now)
            #expect(try F(validating: fields.json, now: now) == fields, "\(name)")
        } catch {
            #expect(
                !error.failures.isEmpty && error.failures.allSatisfy { $0.field.utf8.first == UInt8(ascii: "/") },
                "\(name)")
        }
    }

    /// Found by RecordInputFuzzer: the harness checked pointers with `hasPrefix("/")`, which
    /// compares characters, and "/" followed by a combining mark is one character. The pointer
    /// itself was right; this pins it byte for byte.
    @Test("a member whose name starts with a combining mark is reported at its escaped pointer")
    func combiningMarkPointer() throws {
        let body = try #require(try JSON.parse(#"{"\#u{345}on~02-2~/r*:18d": 3}"#).objectValue)
        do {
            _ = try Patient.Fields(validating: body, now: 1_795_000_000_000)
            Issue.record("an unknown member was accepted")
        } catch {
            let fields = error.failures.map(\.field)
            #expect(fields.contains("/\u{345}on~002-2~0~1r*:18d"), "\(fields)")
            #expect(fields.allSatisfy { $0.utf8.first == UInt8(ascii: "/") })
            #expect(!"/\u{345}on".hasPrefix("/"), "why the harness was wrong")
        }
    }
}
