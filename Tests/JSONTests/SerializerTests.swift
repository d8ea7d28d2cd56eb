import JSON
import Testing

@Suite("Serializing")
struct SerializerTests {
    @Test("writes compact JSON with members in insertion order")
    func compactOutput() {
        let value: JSONValue = [
            "id": 7, "name": "Sumatriptan", "doses": [50, 100], "notes": nil, "active": true,
            "ratio": 0.5, "tags": [], "extra": [:],
        ]
        #expect(
            compact(value)
                == #"{"id":7,"name":"Sumatriptan","doses":[50,100],"notes":null,"active":true,"ratio":0.5,"tags":[],"extra":{}}"#
        )
    }

    @Test(
        "escapes every control character, quote and backslash",
        arguments: [
            ("\u{0}", #""\u0000""#), ("\u{1}", #""\u0001""#), ("\u{7}", #""\u0007""#),
            ("\u{8}", #""\b""#), ("\t", #""\t""#), ("\n", #""\n""#), ("\u{B}", #""\u000b""#),
            ("\u{C}", #""\f""#), ("\r", #""\r""#), ("\u{E}", #""\u000e""#), ("\u{1B}", #""\u001b""#),
            ("\u{1F}", #""\u001f""#), ("\"", #""\"""#), ("\\", #""\\""#),
            ("a\"b\\c\nd", #""a\"b\\c\nd""#),
        ] as [(String, String)])
    func escapes(string: String, expected: String) {
        #expect(compact(.string(string)) == expected)
    }

    @Test("escapes all 32 control characters so they parse back")
    func allControlCharacters() throws {
        let all = String(String.UnicodeScalarView((0..<32).map { Unicode.Scalar(UInt8($0)) }))
        let text = compact(.string(all))
        #expect(!text.utf8.contains { $0 < 0x20 })
        #expect(try JSON.parse(text) == .string(all))
    }

    @Test("escapes a special character at any position of strings of any length")
    func escapePositions() throws {
        // The serializer checks eight bytes at a time; cover every alignment
        // and the short-string and tail cases against a byte-by-byte reference.
        for special in ["\"", "\\", "\n", "\u{0}", "\u{1F}"] {
            for length in 0...40 {
                for position in 0..<max(length, 1) {
                    var characters = Array(repeating: "a", count: length)
                    if length > 0 { characters[position] = special }
                    if length > 3 { characters[length - 1] = "é" }
                    let string = characters.joined()
                    let expected = "\"" + string.unicodeScalars.map(Self.referenceEscape).joined() + "\""
                    #expect(compact(.string(string)) == expected)
                }
            }
        }
    }

    static func referenceEscape(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\"": return "\\\""
        case "\\": return "\\\\"
        case "\n": return "\\n"
        case "\u{0}": return "\\u0000"
        case "\u{1F}": return "\\u001f"
        default: return String(scalar)
        }
    }

    @Test("leaves solidus, DEL, U+2028, U+2029 and non-ASCII unescaped")
    func noNeedlessEscapes() {
        let text = "</script> \u{7F} \u{2028}\u{2029} é 中 😀"
        #expect(JSON.serialize(.string(text)) == Array(("\"" + text + "\"").utf8))
    }

    @Test(
        "writes integers exactly",
        arguments: [
            (Int64(0), "0"), (1, "1"), (-1, "-1"), (1_234_567_890, "1234567890"),
            (.max, "9223372036854775807"), (.min, "-9223372036854775808"),
        ] as [(Int64, String)])
    func integers(value: Int64, expected: String) {
        #expect(compact(.number(.integer(value))) == expected)
    }

    @Test(
        "writes doubles as their shortest round-trip text",
        arguments: [
            (2.0, "2.0"), (0.1, "0.1"), (-2.5, "-2.5"), (1e-7, "1e-07"), (1e16, "1e+16"),
            (-0.0, "-0.0"), (.leastNonzeroMagnitude, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"),
            (0.30000000000000004, "0.30000000000000004"),
        ] as [(Double, String)])
    func doubles(value: Double, expected: String) throws {
        let text = compact(.number(.double(value)))
        #expect(text == expected)
        #expect(try JSON.parse(text) == .number(.double(value)))
    }

    @Test("writes NaN and infinities as null", arguments: [Double.nan, .infinity, -.infinity])
    func nonFinite(value: Double) {
        #expect(compact(.number(.double(value))) == "null")
        #expect(compact([JSONValue(value)]) == "[null]")
    }

    @Test("appends to an existing buffer")
    func appendsIntoBuffer() {
        var buffer = Array("HTTP body: ".utf8)
        JSON.serialize(["ok": true], into: &buffer)
        JSON.serialize([1, 2], into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == #"HTTP body: {"ok":true}[1,2]"#)
    }

    @Test("string(_:) and description match serialize(_:)")
    func stringForms() {
        let value: JSONValue = ["a": [1, "é"]]
        #expect(JSON.string(value) == String(decoding: JSON.serialize(value), as: UTF8.self))
        #expect(value.description == #"{"a":[1,"é"]}"#)
    }

    @Test("pretty-prints with two-space indentation")
    func pretty() {
        let value: JSONValue = [
            "openapi": "3.1.0",
            "paths": ["/entries": ["get": ["tags": ["diary"], "deprecated": false]]],
            "empty": [], "none": [:], "list": [1, [2, 3], nil],
        ]
        let expected = """
            {
              "openapi": "3.1.0",
              "paths": {
                "/entries": {
                  "get": {
                    "tags": [
                      "diary"
                    ],
                    "deprecated": false
                  }
                }
              },
              "empty": [],
              "none": {},
              "list": [
                1,
                [
                  2,
                  3
                ],
                null
              ]
            }
            """
        #expect(JSON.prettyString(value) == expected)
    }

    @Test("pretty-prints scalars and empty containers on one line")
    func prettyScalars() {
        #expect(JSON.prettyString("a\nb") == #""a\nb""#)
        #expect(JSON.prettyString(1.5) == "1.5")
        #expect(JSON.prettyString([]) == "[]")
        #expect(JSON.prettyString([:]) == "{}")
    }
}
