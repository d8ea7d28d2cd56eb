import Foundation
import JSON
import TestSupport
import Testing

/// Our parser against Foundation's `JSONSerialization` on generated documents: wherever both
/// accept a document they must agree on its value. Where they differ by design, the difference
/// is asserted too:
/// - duplicate member names: refused here (RFC 8259 §4 leaves them undefined; a body that names
///   `intensity` twice must not be read two ways), accepted by Foundation;
/// - trailing commas (`[1,]`, `{"a":1,}`): refused here (RFC 8259 has none), accepted by
///   Foundation on Linux;
/// - doubles: read here correctly rounded (the same as Swift's `Double(String)`, asserted
///   below); Foundation on Linux reads them as `NSDecimalNumber`, whose `doubleValue` is often a
///   few units in the last place off, so the comparison with it allows a relative 1e-12.
@Suite("JSON parser against Foundation's JSONSerialization")
struct DifferentialTests {
    @Test("generated documents parse to the same values in both parsers", arguments: [1, 2, 3, 4] as [UInt64])
    func generated(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        var compared = 0
        for _ in 0..<300 {
            let text = Self.document(&random, depth: 0)
            let ours = try JSON.parse(text)
            let theirs = try JSONSerialization.jsonObject(
                with: Data(text.utf8), options: [.fragmentsAllowed])
            #expect(Self.same(ours, theirs), "differs on \(text)")
            compared += 1
        }
        #expect(compared == 300)
    }

    @Test("a document with a duplicate member name is refused here and accepted by Foundation")
    func duplicates() throws {
        let text = #"{"intensity": 3, "intensity": 9}"#
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
        let theirs = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(theirs?["intensity"] != nil)
    }

    @Test("trailing commas are refused here and accepted by Foundation", arguments: ["[1,]", "{\"a\":1,}"])
    func trailingCommas(text: String) throws {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
        _ = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }

    @Test("doubles are read correctly rounded, exactly as Swift's Double(String) reads them")
    func doublesCorrectlyRounded() throws {
        var random = SplitMix64(seed: 99)
        for _ in 0..<5_000 {
            let digits = (0..<Int.random(in: 1...20, using: &random)).map { _ in
                String(Int.random(in: 0...9, using: &random))
            }.joined()
            let exponent = Int.random(in: -330...310, using: &random)
            let text = "\(Bool.random(using: &random) ? "-" : "")0.\(digits)e\(exponent)"
            let expected = try #require(Double(text))
            guard expected.isFinite else {
                // Too large for a double: refused rather than read as infinity.
                #expect(throws: JSONParseError.self) { try JSON.parse(text) }
                continue
            }
            guard case .number(let number) = try JSON.parse(text) else {
                Issue.record("\(text) is not a number")
                continue
            }
            let value: Double
            switch number {
            case .double(let double): value = double
            case .integer(let integer): value = Double(integer)
            }
            #expect(value.bitPattern == expected.bitPattern, "\(text)")
        }
    }

    @Test("documents both refuse", arguments: ["01", "[\"\\x\"]", "nul", "[1 2]", "\"\u{1}\""])
    func bothRefuse(text: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
        #expect(throws: (any Error).self) {
            try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        }
    }

    // MARK: Generating documents

    /// A random document: every JSON type, escapes, non-ASCII text and blanks between tokens.
    static func document(_ random: inout SplitMix64, depth: Int) -> String {
        let choice = depth > 4 ? Int.random(in: 0..<5, using: &random) : Int.random(in: 0..<7, using: &random)
        switch choice {
        case 0: return "null"
        case 1: return Bool.random(using: &random) ? "true" : "false"
        case 2: return String(Int64.random(in: -1_000_000_000_000...1_000_000_000_000, using: &random))
        case 3:
            let value = Double.random(in: -1e6...1e6, using: &random)
            return "\(value)"
        case 4: return quoted(string(&random))
        case 5:
            let count = Int.random(in: 0..<5, using: &random)
            let items = (0..<count).map { _ in document(&random, depth: depth + 1) }
            return "[" + blank(&random) + items.joined(separator: "," + blank(&random)) + "]"
        default:
            let count = Int.random(in: 0..<5, using: &random)
            var names = Set<String>()
            var members: [String] = []
            for _ in 0..<count {
                let name = string(&random)
                guard names.insert(name).inserted else { continue }
                members.append(quoted(name) + blank(&random) + ":" + document(&random, depth: depth + 1))
            }
            return "{" + members.joined(separator: ",") + blank(&random) + "}"
        }
    }

    static func blank(_ random: inout SplitMix64) -> String {
        ["", " ", "\n", "\t", "\r\n  "][Int.random(in: 0..<5, using: &random)]
    }

    static func string(_ random: inout SplitMix64) -> String {
        let alphabet: [String] = ["a", "Z", "0", " ", "é", "€", "😀", "\"", "\\", "/", "\n", "\u{1F}", "\u{7F}"]
        let count = Int.random(in: 0..<8, using: &random)
        return (0..<count).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &random)] }.joined()
    }

    /// JSON string syntax with a mix of escapes: every control character escaped, sometimes as
    /// `\uXXXX`, sometimes with its short form; others sometimes as `\u` escapes (surrogate
    /// pairs for astral characters).
    static func quoted(_ text: String) -> String {
        var result = "\""
        for (index, scalar) in text.unicodeScalars.enumerated() {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += index % 2 == 0 ? "\\n" : "\\u000a"
            case "/": result += index % 2 == 0 ? "/" : "\\/"
            case _ where scalar.value < 0x20:
                result += String(format: "\\u%04x", scalar.value)
            case _ where scalar.value > 0xFFFF && index % 2 == 1:
                let value = scalar.value - 0x10000
                result += String(format: "\\u%04X\\u%04X", 0xD800 + (value >> 10), 0xDC00 + (value & 0x3FF))
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    // MARK: Comparing

    static func same(_ ours: JSONValue, _ theirs: Any) -> Bool {
        switch ours {
        case .null:
            return theirs is NSNull
        case .bool(let flag):
            if let bool = theirs as? Bool { return bool == flag }
            return (theirs as? NSNumber)?.boolValue == flag
        case .number(.integer(let value)):
            guard let number = theirs as? NSNumber else { return false }
            return number.int64Value == value || number.doubleValue == Double(value)
        case .number(.double(let value)):
            guard let number = theirs as? NSNumber else { return false }
            let other = number.doubleValue
            return other == value || abs(other - value) <= abs(value) * 1e-12
        case .string(let text):
            return (theirs as? String) == text
        case .array(let items):
            guard let others = theirs as? [Any], others.count == items.count else { return false }
            return zip(items, others).allSatisfy { same($0, $1) }
        case .object(let members):
            guard let others = theirs as? [String: Any], others.count == members.count else { return false }
            return members.allSatisfy { name, value in others[name].map { same(value, $0) } ?? false }
        }
    }
}
