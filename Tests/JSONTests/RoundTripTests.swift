import JSON
import TestSupport
import Testing

@Suite("Round trips")
struct RoundTripTests {
    @Test(
        "valid documents survive parse, serialize, parse",
        arguments: [
            "null", "true", "false", "0", "-0", "1", "-1", "1.0", "1e2", "-2.5E-3", "9223372036854775807",
            "-9223372036854775808", "9223372036854775808", "0.1", "1e-07", "123456789.125",
            #""""#, #""plain""#, #""\u2028\u2029""#, #""\ud83d\ude00 \uD834\uDD1E""#, #""\"\\\/\b\f\n\r\t""#,
            #""\u0000\u001f\u007f""#, "\"é 中 😀 \u{2028}\"", "[]", "{}", "[[[]]]", #"{"":{"":{}}}"#,
            #"[1, 1.0, "1", true, null, [], {}]"#,
            #"{"id": 17, "startedAt": "2024-05-01T07:30:00Z", "intensity": 7, "medications": [{"name": "Ibuprofen", "doseMg": 400}], "notes": null, "aura": false, "score": 3.25}"#,
        ])
    func documents(text: String) throws {
        let parsed = try JSON.parse(text)
        let bytes = JSON.serialize(parsed)
        let reparsed = try JSON.parse(bytes)
        #expect(reparsed == parsed)
        #expect(JSON.serialize(reparsed) == bytes)
        #expect(try JSON.parse(JSON.prettyString(parsed)) == parsed)
    }

    @Test(
        "escapes round-trip to the same characters",
        arguments: [
            "\u{2028}", "\u{2029}", "😀", "👩‍👩‍👧", "\u{0}", "\u{1F}", "\u{7F}", "\"\\/", "e\u{301}", "\u{FFFF}",
            "\u{10FFFF}",
        ])
    func escapeRoundTrip(string: String) throws {
        let bytes = JSON.serialize(.string(string))
        let parsed = try JSON.parse(bytes)
        #expect(parsed.stringValue.map { Array($0.utf8) } == Array(string.utf8))
    }

    @Test("escaped and raw spellings of a string parse to the same bytes")
    func escapedEqualsRaw() throws {
        let escaped = try JSON.parse(#""\u00e9\u4e2d\ud83d\ude00\u2028""#)
        let raw = try JSON.parse("\"é中😀\u{2028}\"")
        #expect(escaped.stringValue.map { Array($0.utf8) } == raw.stringValue.map { Array($0.utf8) })
    }

    @Test("500 seeded random values survive serialize and parse unchanged")
    func randomValues() throws {
        var rng = SplitMix64(seed: 0x0DDB_A11_2024)
        for iteration in 0..<500 {
            let value = RandomJSON.value(depth: 0, using: &rng)
            let bytes = JSON.serialize(value)
            let parsed = try JSON.parse(bytes)
            #expect(parsed == value, "iteration \(iteration): \(JSON.string(value))")
            #expect(JSON.serialize(parsed) == bytes, "iteration \(iteration)")
            #expect(try JSON.parse(JSON.prettyString(value)) == value, "iteration \(iteration)")
        }
    }
}

@Suite("Mutated input")
struct MutationTests {
    @Test("seeded byte mutations of valid documents either fail cleanly or round-trip")
    func mutations() throws {
        var rng = SplitMix64(seed: 0xBAD_B17E5)
        let interesting: [UInt8] =
            Array(#"{}[],:"\/0123456789-+.eEtfnu "#.utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xC0, 0xE2, 0xED, 0xF0, 0xFF]
        for _ in 0..<3_000 {
            var bytes = JSON.serialize(RandomJSON.value(depth: 2, using: &rng))
            for _ in 0..<Int.random(in: 1...3, using: &rng) where !bytes.isEmpty {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[i] = interesting.randomElement(using: &rng)!
                case 1: bytes.remove(at: i)
                default: bytes.insert(interesting.randomElement(using: &rng)!, at: i)
                }
            }
            do {
                let value = try JSON.parse(bytes)
                #expect(try JSON.parse(JSON.serialize(value)) == value)
            } catch {
                #expect(error.offset >= 0 && error.offset <= bytes.count, "\(error)")
                #expect(!error.reason.isEmpty)
            }
        }
    }
}

/// Random JSON values for round-trip testing: every kind, nested, with
/// awkward strings (controls, quotes, combining marks, astral characters) and
/// numbers across the whole Int64 and Double ranges.
enum RandomJSON {
    static func value(depth: Int, using rng: inout SplitMix64) -> JSONValue {
        let kinds = depth >= 4 ? 5 : 7
        switch Int.random(in: 0..<kinds, using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .number(integer(using: &rng))
        case 3: return .number(double(using: &rng))
        case 4: return .string(string(using: &rng))
        case 5:
            let count = Int.random(in: 0...5, using: &rng)
            return .array((0..<count).map { _ in value(depth: depth + 1, using: &rng) })
        default:
            var object = JSONObject()
            for _ in 0..<Int.random(in: 0...6, using: &rng) {
                let key = string(using: &rng)
                if object[key] == nil { object.append(key, value(depth: depth + 1, using: &rng)) }
            }
            return .object(object)
        }
    }

    static func integer(using rng: inout SplitMix64) -> JSONNumber {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return .integer([0, 1, -1, .max, .min, .max - 1, .min + 1].randomElement(using: &rng)!)
        case 1: return .integer(Int64.random(in: -1000...1000, using: &rng))
        default: return .integer(Int64(bitPattern: rng.next()))
        }
    }

    static func double(using rng: inout SplitMix64) -> JSONNumber {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0:
            return .double(
                [
                    0.0, -0.0, 1.0, 0.1, 1e22, 1e23, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
                    .leastNormalMagnitude, 9_007_199_254_740_994,
                ].randomElement(using: &rng)!)
        case 1:
            return .double(Double(Int.random(in: -100_000...100_000, using: &rng)) / 100)
        default:
            while true {
                let d = Double(bitPattern: rng.next())
                if d.isFinite { return .double(d) }
            }
        }
    }

    static let alphabet: [Unicode.Scalar] = [
        "a", "Z", "0", " ", "\"", "\\", "/", "\u{0}", "\n", "\t", "\u{1F}", "\u{7F}", "é", "e", "\u{301}",
        "中", "\u{2028}", "\u{2029}", "\u{FEFF}", "\u{FFFD}", "😀", "\u{1F469}", "\u{200D}", "\u{10FFFF}",
    ]

    static func string(using rng: inout SplitMix64) -> String {
        var scalars = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...12, using: &rng) {
            if Int.random(in: 0..<4, using: &rng) == 0 {
                // Any scalar value, skipping the surrogate range.
                var raw = UInt32.random(in: 0...0x10FFFF, using: &rng)
                if (0xD800...0xDFFF).contains(raw) { raw -= 0x800 }
                scalars.append(Unicode.Scalar(raw)!)
            } else {
                scalars.append(alphabet.randomElement(using: &rng)!)
            }
        }
        return String(scalars)
    }
}
