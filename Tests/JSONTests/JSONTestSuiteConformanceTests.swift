import Foundation
import JSON
import Testing

/// The parser against the public JSONTestSuite corpus (https://github.com/nst/JSONTestSuite,
/// MIT licence), kept in `Tests/Fixtures/JSONTestSuite` (its README names the commit).
///
/// Read as RFC 8259 allows (`duplicateMemberNames: .lastWins`), every `y_` file must be
/// accepted and every `n_` file refused; each `i_` file (implementation-defined) must be decided
/// as `docs/json.md` lists. Read the way request bodies are (`.reject`, the default), exactly
/// the two `y_` files that name a member twice are refused, and everything else is decided the
/// same way. `JSON_TEST_SUITE_DIR` may name another copy of `test_parsing` (a newer corpus).
@Suite("JSONTestSuite conformance")
struct JSONTestSuiteConformanceTests {
    static let directory =
        ProcessInfo.processInfo.environment["JSON_TEST_SUITE_DIR"]
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/JSONTestSuite/test_parsing").path

    /// Every `.json` file of the corpus with its bytes, by name.
    static func corpus() throws -> [(name: String, bytes: [UInt8])] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        return try names.filter { $0.hasSuffix(".json") }.map { name in
            (name, try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent(name))))
        }
    }

    @Test("read as RFC 8259 allows: every y_ file accepted, every n_ refused, i_ as documented")
    func permissive() throws {
        let files = try Self.corpus()
        var counts: [String: (accepted: Int, refused: Int)] = [:]
        for (name, bytes) in files {
            let accepted = (try? JSON.parse(bytes, duplicateMemberNames: .lastWins)) != nil
            let kind = String(name.prefix(2))
            counts[kind, default: (0, 0)].accepted += accepted ? 1 : 0
            counts[kind, default: (0, 0)].refused += accepted ? 0 : 1
            switch kind {
            case "y_": #expect(accepted, "\(name) must be accepted")
            case "n_": #expect(!accepted, "\(name) must be refused")
            case "i_": #expect(Self.implementationDefinedAccepted.contains(name) == accepted, "\(name)")
            default: Issue.record("\(name): not a y_, n_ or i_ file")
            }
        }
        // The counts docs/json.md gives; a newer corpus given by JSON_TEST_SUITE_DIR may differ.
        if ProcessInfo.processInfo.environment["JSON_TEST_SUITE_DIR"] == nil {
            #expect(counts["y_"]?.accepted == 95 && counts["y_"]?.refused == 0)
            #expect(counts["n_"]?.accepted == 0 && counts["n_"]?.refused == 188)
            #expect(counts["i_"]?.accepted == 5 && counts["i_"]?.refused == 30)
        }
    }

    @Test("read as request bodies are: the two y_ files with a repeated name refused, nothing else changes")
    func strict() throws {
        var refusedValid: Set<String> = []
        for (name, bytes) in try Self.corpus() {
            let strict = Result { () throws(JSONParseError) in try JSON.parse(bytes) }
            let permissive = (try? JSON.parse(bytes, duplicateMemberNames: .lastWins)) != nil
            switch strict {
            case .success:
                #expect(permissive, "\(name): accepted strictly but not permissively")
            case .failure(let error):
                if name.hasPrefix("y_") {
                    refusedValid.insert(name)
                    #expect(error.reason.hasPrefix("duplicate key"), "\(name): \(error)")
                } else {
                    #expect(!permissive || Self.duplicateMemberNames.contains(name), "\(name)")
                }
            }
        }
        #expect(refusedValid == Self.duplicateMemberNames)
    }

    @Test("lastWins keeps the last value at the first member's place")
    func lastWins() throws {
        let value = try JSON.parse(#"{"a":1,"b":2,"a":{"c":3}}"#, duplicateMemberNames: .lastWins)
        #expect(JSON.string(value) == #"{"a":{"c":3},"b":2}"#)
        // Past the size where objects index their members by hash.
        let members = (0..<40).map { #""k\#($0)":\#($0)"# }.joined(separator: ",")
        let big = try JSON.parse("{\(members),\"k7\":\"last\"}", duplicateMemberNames: .lastWins)
        #expect(big.objectValue?.count == 40)
        #expect(big.objectValue?["k7"] == .string("last"))
        #expect(throws: JSONParseError.self) { try JSON.parse("{\(members),\"k7\":\"last\"}") }
    }

    /// Valid JSON that request bodies may not be: a body that names a member twice could be
    /// read two ways (RFC 8259 §4), so the default mode refuses it with a 400.
    static let duplicateMemberNames: Set<String> = [
        "y_object_duplicated_key.json", "y_object_duplicated_key_and_value.json",
    ]

    /// The `i_` files this parser accepts: numbers beyond the range of an Int64 read as doubles,
    /// and exponents so small the value underflows to zero. It refuses every other one: invalid
    /// UTF-8, lone surrogates in escapes, a byte order mark, UTF-16 and numbers beyond a double's
    /// range (see docs/json.md).
    static let implementationDefinedAccepted: Set<String> = [
        "i_number_double_huge_neg_exp.json", "i_number_real_underflow.json", "i_number_too_big_neg_int.json",
        "i_number_too_big_pos_int.json", "i_number_very_big_negative_int.json",
    ]
}
