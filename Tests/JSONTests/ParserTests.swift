import JSON
import TestSupport
import Testing

@Suite("Parsing valid documents")
struct ParserAcceptanceTests {
    @Test("parses every kind of value")
    func everyKind() throws {
        let value = try JSON.parse(
            #" {"n": null, "t": true, "f": false, "i": -12, "d": 1.5, "s": "x", "a": [1, [2]], "o": {"k": {}}} "#)
        let expected: JSONValue = [
            "n": nil, "t": true, "f": false, "i": -12, "d": 1.5, "s": "x",
            "a": [1, [2]], "o": ["k": [:]],
        ]
        #expect(value == expected)
        #expect(value.objectValue?.keys == ["n", "t", "f", "i", "d", "s", "a", "o"])
    }

    @Test(
        "accepts any scalar as the whole document",
        arguments: [
            ("null", JSONValue.null), ("true", true), ("false", false), ("0", 0), ("\"\"", ""), ("[]", []), ("{}", [:]),
        ] as [(String, JSONValue)])
    func scalarDocuments(text: String, expected: JSONValue) throws {
        #expect(try JSON.parse(text) == expected)
    }

    @Test("allows only space, tab, LF and CR around and between tokens")
    func whitespace() throws {
        let value = try JSON.parse(" \t\r\n[ \t\r\n1 \t\r\n, \t\r\n{ \"a\" \t\r\n: \t\r\n2 } ] \t\r\n")
        #expect(value == [1, ["a": 2]])
    }

    @Test("reads bytes from arrays, slices, raw buffers and non-contiguous collections alike")
    func inputKinds() throws {
        let bytes = Array(#"{"a":[1,2.5,"x"]}"#.utf8)
        let expected: JSONValue = ["a": [1, 2.5, "x"]]
        #expect(try JSON.parse(bytes) == expected)
        #expect(try JSON.parse(bytes[...]) == expected)
        #expect(try JSON.parse(ContiguousArray(bytes)) == expected)
        #expect(try bytes.withUnsafeBytes { try JSON.parse($0) } == expected)
        #expect(try JSON.parse(bytes.lazy.map { $0 }) == expected)
        #expect(try JSON.parse(#"{"a":[1,2.5,"x"]}"#.utf8) == expected)
        let padded = Array("xx[1]yy".utf8)
        #expect(try JSON.parse(padded[2..<5]) == [1])
    }

    @Test("decodes strings with and without escapes")
    func strings() throws {
        #expect(try JSON.parse(#""plain ascii""#) == "plain ascii")
        #expect(try JSON.parse(#""\"\\\/\b\f\n\r\t""#) == "\"\\/\u{8}\u{C}\n\r\t")
        #expect(try JSON.parse(#""caf\u00e9 \u00E9""#) == "café é")
        #expect(try JSON.parse(#""\u0000""#) == "\u{0}")
        #expect(try JSON.parse(#""a\u2028b\u2029c""#) == "a\u{2028}b\u{2029}c")
        #expect(try JSON.parse(#""\ud83d\ude00""#) == "😀")
        #expect(try JSON.parse(#""\uD834\uDD1E clef""#) == "𝄞 clef")
        #expect(try JSON.parse("\"raw 😀 é 中 \u{2028}\"") == "raw 😀 é 中 \u{2028}")
        #expect(try JSON.parse("\"mixed é\\n😀\\u0041\"") == "mixed é\n😀A")
        #expect(try JSON.parse("\"\u{7F}\"") == "\u{7F}")
    }

    @Test("parses the same strings from many escapes in one document")
    func manyEscapedStrings() throws {
        // Reuses the parser's scratch buffer across strings.
        let value = try JSON.parse(#"["a\nb", "plain", "c\td", "\u00e9", "e"]"#)
        #expect(value == ["a\nb", "plain", "c\td", "é", "e"])
    }
}

@Suite("Integers and doubles")
struct NumberTests {
    @Test(
        "integer literals that fit Int64 stay integers",
        arguments: [
            ("0", 0), ("-0", 0), ("1", 1), ("-1", -1), ("42", 42),
            ("9223372036854775807", Int64.max), ("-9223372036854775808", Int64.min),
            // Fits Int64, so it stays exact although a Double could not hold it.
            ("9007199254740993", 9_007_199_254_740_993),
        ] as [(String, Int64)])
    func integers(text: String, expected: Int64) throws {
        let value = try JSON.parse(text)
        #expect(value == .number(.integer(expected)))
        #expect(value.int64Value == expected)
        #expect(value.typeName == "integer")
    }

    @Test(
        "fractions, exponents and out-of-range integers are doubles",
        arguments: [
            ("1.0", 1.0), ("1e2", 100), ("1E2", 100), ("1e+2", 100), ("1e-2", 0.01), ("0e0", 0), ("0.1", 0.1),
            ("-2.5", -2.5), ("1.5e300", 1.5e300), ("1E22", 1e22), ("1e23", 1e23), ("123.456e-10", 123.456e-10),
            ("9223372036854775808", 9_223_372_036_854_775_808.0),
            ("-9223372036854775809", -9_223_372_036_854_775_809.0),
            ("123456789012345678901234567890", 1.2345678901234568e29),
            ("12345678901234567890.5", 12_345_678_901_234_567_890.5),
            ("0.30000000000000004", 0.30000000000000004), ("2.2250738585072014e-308", 2.2250738585072014e-308),
            ("1.7976931348623157e308", 1.7976931348623157e308), ("4.9e-324", .leastNonzeroMagnitude), ("1e-400", 0),
            ("9007199254740993.0", 9_007_199_254_740_992),
            ("0.000000000000000000000000000001", 1e-30), ("1e0000000000000000000001", 10),
        ] as [(String, Double)])
    func doubles(text: String, expected: Double) throws {
        let value = try JSON.parse(text)
        #expect(value == .number(.double(expected)))
        #expect(value.int64Value == nil)
        #expect(value.doubleValue == expected)
        #expect(value.typeName == "number")
    }

    @Test("negative zero keeps its sign as a double")
    func negativeZero() throws {
        let value = try JSON.parse("-0.0")
        let d = try #require(value.doubleValue)
        #expect(d == 0 && d.sign == .minus)
        #expect(value.int64Value == nil)
    }

    @Test("1 and 1.0 are different values")
    func integerIsNotDouble() throws {
        #expect(try JSON.parse("1") != JSON.parse("1.0"))
        #expect(try JSON.parse("1e0").int64Value == nil)
        #expect(try JSON.parse("1").doubleValue == 1.0)
    }

    @Test("decimal conversion agrees with the standard library on random literals")
    func agreesWithStandardLibrary() throws {
        var rng = SplitMix64(seed: 0x5EED_0001)
        for _ in 0..<2_000 {
            let digits = Int.random(in: 1...20, using: &rng)
            var text = Bool.random(using: &rng) ? "-" : ""
            text += String(Int.random(in: 1...9, using: &rng))
            for _ in 1..<digits { text += String(Int.random(in: 0...9, using: &rng)) }
            let point = Int.random(in: 0...digits, using: &rng)
            if point < digits, point > 0 {
                text.insert(".", at: text.index(text.endIndex, offsetBy: -point))
            }
            text += "e" + String(Int.random(in: -340...300, using: &rng))
            guard let expected = Double(text), expected.isFinite else { continue }
            #expect(try JSON.parse(text) == .number(.double(expected)), "\(text)")
        }
    }
}

@Suite("Structure")
struct StructureTests {
    @Test("accepts nesting up to the depth limit and rejects one more")
    func depthLimit() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(parseError(ok) == nil)
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        let error = try #require(parseError(tooDeep))
        #expect(error.offset == 64)
        #expect(error.reason == "nesting depth exceeds the limit of 64")
    }

    @Test("counts objects and arrays together towards the depth")
    func mixedDepth() throws {
        let ok = String(repeating: #"{"a":["#, count: 32) + String(repeating: "]}", count: 32)
        #expect(parseError(ok) == nil)
        let tooDeep = String(repeating: #"{"a":["#, count: 32) + "{}" + String(repeating: "]}", count: 32)
        #expect(parseError(tooDeep)?.reason.contains("nesting depth") == true)
    }

    @Test("honours a custom depth limit")
    func customDepth() throws {
        #expect(parseError("[[1]]", maxDepth: 2) == nil)
        #expect(parseError("[[1]]", maxDepth: 1)?.offset == 1)
        #expect(parseError("1", maxDepth: 0) == nil)
        #expect(parseError("[]", maxDepth: 0)?.offset == 0)
    }

    @Test("rejects a duplicate key at the position of the second one")
    func duplicateKeys() throws {
        let error = try #require(parseError(#"{"a":1,"b":2,"a":3}"#))
        #expect(error.offset == 13)
        #expect(error.reason == #"duplicate key "a""#)
        #expect(error.description == #"invalid JSON at byte 13: duplicate key "a""#)
    }

    @Test("detects duplicates written differently and in large objects")
    func duplicateKeysHarder() throws {
        #expect(parseError(#"{"a":1,"\u0061":2}"#)?.reason == #"duplicate key "a""#)
        var members = (0..<40).map { "\"k\($0)\":\($0)" }
        members.append("\"k7\":0")
        let large = "{" + members.joined(separator: ",") + "}"
        #expect(parseError(large)?.reason == #"duplicate key "k7""#)
        #expect(parseError(#"{"a":{"a":{"a":1}},"b":{"a":2}}"#) == nil)
    }

    @Test("keeps object members in document order")
    func memberOrder() throws {
        let text = #"{"z":1,"a":2,"m":3,"b":4}"#
        let value = try JSON.parse(text)
        #expect(value.objectValue?.keys == ["z", "a", "m", "b"])
        #expect(JSON.string(value) == text)
    }
}
