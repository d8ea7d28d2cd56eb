import JSON
import Testing

/// An input the parser must refuse, with where and why.
struct Rejection: Sendable, CustomTestStringConvertible {
    let label: String
    let input: [UInt8]
    let offset: Int
    let reason: String

    init(_ label: String, _ text: String, at offset: Int, _ reason: String) {
        self.init(label, bytes: Array(text.utf8), at: offset, reason)
    }

    init(_ label: String, bytes: [UInt8], at offset: Int, _ reason: String) {
        self.label = label
        self.input = bytes
        self.offset = offset
        self.reason = reason
    }

    var testDescription: String { label }
}

private let q = UInt8(ascii: "\"")

@Suite("Rejecting invalid documents")
struct RejectionTests {
    static let syntax: [Rejection] = [
        Rejection("empty input", "", at: 0, "empty input"),
        Rejection("only whitespace", " \n\t", at: 3, "unexpected end of input, expected a value"),
        Rejection("trailing comma in array", "[1,2,]", at: 5, "trailing comma is not allowed"),
        Rejection("trailing comma in object", #"{"a":1,}"#, at: 7, "trailing comma is not allowed"),
        Rejection("empty element", "[1,,2]", at: 3, "unexpected ',', expected a value"),
        Rejection("leading comma", "[,1]", at: 1, "unexpected ',', expected a value"),
        Rejection("line comment", "// note\n1", at: 0, "comments are not allowed"),
        Rejection("block comment in array", "[1, /* x */ 2]", at: 4, "comments are not allowed"),
        Rejection("comment in place of a key", "{/* x */}", at: 1, "comments are not allowed"),
        Rejection("single-quoted string", "['a']", at: 1, "strings must be enclosed in double quotes"),
        Rejection("single-quoted key", "{'a':1}", at: 1, "strings must be enclosed in double quotes"),
        Rejection("unquoted key", "{a:1}", at: 1, "expected a string key, found 'a'"),
        Rejection("number key", "{1:2}", at: 1, "expected a string key, found '1'"),
        Rejection("missing colon", #"{"a" 1}"#, at: 5, "expected ':' after key, found '1'"),
        Rejection("missing comma in array", "[1 2]", at: 3, "expected ',' or ']', found '2'"),
        Rejection("missing comma in object", #"{"a":1 "b":2}"#, at: 7, "expected ',' or '}', found '\"'"),
        Rejection("mismatched bracket", "[1}", at: 2, "expected ',' or ']', found '}'"),
        Rejection("unterminated array", "[1,2", at: 4, "unexpected end of input, expected ',' or ']'"),
        Rejection("unterminated array after comma", "[1,", at: 3, "unexpected end of input, expected a value"),
        Rejection("lone open bracket", "[", at: 1, "unexpected end of input, expected a value"),
        Rejection("unterminated object", #"{"a":1"#, at: 6, "unexpected end of input, expected ',' or '}'"),
        Rejection("object ends after key", #"{"a""#, at: 4, "unexpected end of input, expected ':'"),
        Rejection("object ends after colon", #"{"a":"#, at: 5, "unexpected end of input, expected a value"),
        Rejection("lone open brace", "{", at: 1, "unexpected end of input, expected a string key"),
        Rejection("unterminated string", #""abc"#, at: 4, "unterminated string starting at byte 0"),
        Rejection("unterminated string in array", #"["abc"#, at: 5, "unterminated string starting at byte 1"),
        Rejection("string ends in backslash", #""abc\"#, at: 5, "unterminated string"),
        Rejection("garbage after value", "1 2", at: 2, "unexpected '2' after the JSON value"),
        Rejection("garbage after object", "{}x", at: 2, "unexpected 'x' after the JSON value"),
        Rejection("two documents", "{} {}", at: 3, "unexpected '{' after the JSON value"),
        Rejection("closing bracket alone", "]", at: 0, "unexpected ']', expected a value"),
        Rejection("truncated literal", "tru", at: 0, "invalid literal, expected 'true'"),
        Rejection("misspelt literal", "nul1", at: 0, "invalid literal, expected 'null'"),
        Rejection("literal with trailing letters", "nullx", at: 4, "unexpected 'x' after the JSON value"),
        Rejection("capitalised literal", "True", at: 0, "unexpected 'T', expected a value"),
        Rejection("form feed is not whitespace", "\u{0C}1", at: 0, "unexpected byte 0x0C, expected a value"),
        Rejection("non-breaking space is not whitespace", "\u{A0}1", at: 0, "unexpected byte 0xC2, expected a value"),
        Rejection("byte order mark", "\u{FEFF}1", at: 0, "byte order mark is not allowed"),
    ]

    static let numbers: [Rejection] = [
        Rejection("leading zero", "01", at: 0, "leading zeros are not allowed"),
        Rejection("negative leading zero", "-01", at: 0, "leading zeros are not allowed"),
        Rejection("double zero in array", "[00]", at: 1, "leading zeros are not allowed"),
        Rejection("lone minus", "-", at: 1, "expected a digit after '-'"),
        Rejection("minus before letter", "-a", at: 1, "expected a digit after '-'"),
        Rejection("trailing point", "1.", at: 2, "expected a digit after '.'"),
        Rejection("point before exponent", "1.e5", at: 2, "expected a digit after '.'"),
        Rejection("leading point", ".5", at: 0, "a number must have a digit before '.'"),
        Rejection("leading plus", "+1", at: 0, "a number must not start with '+'"),
        Rejection("empty exponent", "1e", at: 2, "expected a digit in the exponent"),
        Rejection("signed empty exponent", "1e+", at: 3, "expected a digit in the exponent"),
        Rejection("NaN", "NaN", at: 0, "NaN is not a valid JSON number"),
        Rejection("NaN in array", "[1,NaN]", at: 3, "NaN is not a valid JSON number"),
        Rejection("Infinity", "Infinity", at: 0, "Infinity is not a valid JSON number"),
        Rejection("negative Infinity", "-Infinity", at: 0, "Infinity is not a valid JSON number"),
        Rejection("hexadecimal", "0x10", at: 1, "unexpected 'x' after the JSON value"),
        Rejection("overflow to infinity", "1e400", at: 0, "number 1e400 is out of range"),
        Rejection("negative overflow", "[-1.5e999]", at: 1, "number -1.5e999 is out of range"),
        Rejection("huge integer", String(repeating: "9", count: 400), at: 0, "is out of range"),
    ]

    static let strings: [Rejection] = [
        Rejection("raw line feed", "\"a\nb\"", at: 2, "unescaped control character U+000A in string"),
        Rejection("raw tab", "\"a\tb\"", at: 2, "unescaped control character U+0009 in string"),
        Rejection("raw NUL", bytes: [q, 0x00, q], at: 1, "unescaped control character U+0000 in string"),
        Rejection("raw unit separator", bytes: [q, 0x1F, q], at: 1, "unescaped control character U+001F in string"),
        Rejection("unknown escape", #""\x""#, at: 1, #"invalid escape sequence '\x'"#),
        Rejection("escaped single quote", #""\'""#, at: 1, #"invalid escape sequence '\''"#),
        Rejection("bad hex digit", #""\u12G4""#, at: 1, #"invalid \u escape, expected 4 hex digits"#),
        Rejection("short unicode escape", #""\u12""#, at: 1, #"incomplete \u escape, expected 4 hex digits"#),
        Rejection(
            "lone high surrogate", #""\ud800""#, at: 1, #"lone surrogate \uD800 is not followed by a low surrogate"#),
        Rejection("high surrogate then text", #""\uD83Dx""#, at: 1, "lone surrogate"),
        Rejection("high surrogate then BMP escape", #""\ud800\u0041""#, at: 1, "lone surrogate"),
        Rejection("two high surrogates", #""\ud800\ud800""#, at: 1, "lone surrogate"),
        Rejection(
            "lone low surrogate", #""\udc00""#, at: 1, #"lone surrogate \uDC00 without a preceding high surrogate"#),
        Rejection("reversed pair", #""\ude00\ud83d""#, at: 1, "without a preceding high surrogate"),
        Rejection("surrogate after text", #""ok \ud800""#, at: 4, "lone surrogate"),
    ]

    static let utf8: [Rejection] = [
        Rejection("overlong NUL", bytes: [q, 0xC0, 0x80, q], at: 1, "invalid UTF-8 byte 0xC0"),
        Rejection("overlong two-byte lead", bytes: [q, 0xC1, 0xBF, q], at: 1, "invalid UTF-8 byte 0xC1"),
        Rejection("overlong three-byte", bytes: [q, 0xE0, 0x80, 0xAF, q], at: 1, "invalid UTF-8 sequence"),
        Rejection("overlong four-byte", bytes: [q, 0xF0, 0x80, 0x80, 0xAF, q], at: 1, "invalid UTF-8 sequence"),
        Rejection("0xFF", bytes: [q, 0xFF, q], at: 1, "invalid UTF-8 byte 0xFF"),
        Rejection("0xFE", bytes: [q, 0x61, 0xFE, q], at: 2, "invalid UTF-8 byte 0xFE"),
        Rejection("lone continuation byte", bytes: [q, 0x80, q], at: 1, "invalid UTF-8 byte 0x80"),
        Rejection("encoded surrogate", bytes: [q, 0xED, 0xA0, 0x80, q], at: 1, "invalid UTF-8 sequence"),
        Rejection("above U+10FFFF", bytes: [q, 0xF4, 0x90, 0x80, 0x80, q], at: 1, "invalid UTF-8 sequence"),
        Rejection("five-byte lead", bytes: [q, 0xF8, 0x88, 0x80, 0x80, 0x80, q], at: 1, "invalid UTF-8 byte 0xF8"),
        Rejection("truncated before quote", bytes: [q, 0xE2, 0x82, q], at: 1, "invalid UTF-8 sequence"),
        Rejection("truncated at end of input", bytes: [q, 0xE2, 0x82], at: 1, "truncated UTF-8 sequence"),
        Rejection("truncated four-byte", bytes: [q, 0xF0, 0x9F, 0x98, q], at: 1, "invalid UTF-8 sequence"),
        Rejection("lead then ASCII", bytes: [q, 0xC3, 0x41, q], at: 1, "invalid UTF-8 sequence"),
        Rejection("invalid byte outside strings", bytes: [0xFF], at: 0, "unexpected byte 0xFF, expected a value"),
        Rejection(
            "invalid byte after value", bytes: [0x31, 0x20, 0xC3, 0xA9], at: 2,
            "unexpected byte 0xC3 after the JSON value"),
    ]

    @Test("rejects syntax errors with the offset and a reason", arguments: syntax)
    func syntaxErrors(_ rejection: Rejection) throws {
        try check(rejection)
    }

    @Test("rejects malformed numbers", arguments: numbers)
    func numberErrors(_ rejection: Rejection) throws {
        try check(rejection)
    }

    @Test("rejects malformed strings and escapes", arguments: strings)
    func stringErrors(_ rejection: Rejection) throws {
        try check(rejection)
    }

    @Test("rejects invalid UTF-8", arguments: utf8)
    func utf8Errors(_ rejection: Rejection) throws {
        try check(rejection)
    }

    @Test("describes an error as a sentence with its byte offset")
    func description() throws {
        let error = try #require(parseError(#"{"a":1 "b":2}"#))
        #expect(error.description == #"invalid JSON at byte 7: expected ',' or '}', found '"'"#)
        #expect(
            JSONParseError(offset: 17, reason: "expected ',' or '}'").description
                == "invalid JSON at byte 17: expected ',' or '}'")
    }

    @Test("reports the same error for String and byte input")
    func stringOverload() throws {
        do {
            _ = try JSON.parse("[1,]")
            Issue.record("expected an error")
        } catch {
            #expect(error == JSONParseError(offset: 3, reason: "trailing comma is not allowed"))
        }
    }

    private func check(_ rejection: Rejection) throws {
        let error = try #require(parseError(rejection.input), "accepted \(rejection.label)")
        #expect(error.offset == rejection.offset, "\(error)")
        #expect(error.reason.contains(rejection.reason), "\(error)")
    }
}
