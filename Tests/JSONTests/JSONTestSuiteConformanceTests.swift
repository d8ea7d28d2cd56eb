import Foundation
import JSON
import Testing

/// The parser against the public JSONTestSuite corpus (https://github.com/nst/JSONTestSuite,
/// MIT licence), when a copy of its `test_parsing` directory is named by
/// `JSON_TEST_SUITE_DIR`: every `y_` file must be accepted, every `n_` file refused, and each
/// `i_` file (implementation-defined) must be decided without a crash, as the table in
/// `docs/json.md` describes. The corpus is not vendored; CI runs without it.
@Suite("JSONTestSuite conformance (with JSON_TEST_SUITE_DIR)")
struct JSONTestSuiteConformanceTests {
    static let directory = ProcessInfo.processInfo.environment["JSON_TEST_SUITE_DIR"]

    @Test(
        "y_ files are accepted, n_ files refused, i_ files decided as documented",
        .enabled(if: directory != nil, "set JSON_TEST_SUITE_DIR to a copy of JSONTestSuite's test_parsing"))
    func corpus() throws {
        let directory = try #require(Self.directory)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        var counts: [String: (accepted: Int, refused: Int)] = [:]
        for name in names where name.hasSuffix(".json") {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent(name)))
            let accepted = (try? JSON.parse(bytes)) != nil
            let kind = String(name.prefix(2))
            counts[kind, default: (0, 0)].accepted += accepted ? 1 : 0
            counts[kind, default: (0, 0)].refused += accepted ? 0 : 1
            switch kind {
            case "y_" where Self.duplicateMemberNames.contains(name):
                #expect(!accepted, "\(name): duplicate member names are refused by design")
            case "y_": #expect(accepted, "\(name) must be accepted")
            case "n_": #expect(!accepted, "\(name) must be refused")
            default: #expect(Self.implementationDefinedAccepted.contains(name) == accepted, "\(name)")
            }
        }
        print("JSONTestSuite: \(counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" })")
    }

    /// Valid JSON that this parser refuses on purpose: a body that names a member twice could be
    /// read two ways (RFC 8259 §4), so it is a 400.
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
