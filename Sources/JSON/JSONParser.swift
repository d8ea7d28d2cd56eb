/// A strict RFC 8259 recursive-descent parser over a contiguous byte buffer.
///
/// The buffer is borrowed for the duration of one `parseDocument()` call; the
/// parser never copies the input. Unescaped strings are decoded straight from
/// their byte range; strings with escapes go through a reused scratch buffer.
struct JSONParser: ~Copyable {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let end: Int
    private let maxDepth: Int
    private let duplicateMemberNames: JSON.DuplicateMemberNames
    private var position = 0
    private var depth = 0
    private var scratch: [UInt8] = []

    init(
        bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, duplicateMemberNames: JSON.DuplicateMemberNames = .reject
    ) {
        self.bytes = bytes
        self.end = bytes.count
        self.maxDepth = maxDepth
        self.duplicateMemberNames = duplicateMemberNames
    }

    // MARK: Document

    /// RFC 8259 §2: `JSON-text = ws value ws`, exactly one value.
    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard position < end else {
            throw error(end == 0 ? "empty input" : "unexpected end of input, expected a value")
        }
        // RFC 8259 §8.1 allows ignoring a byte order mark; strict mode rejects it
        // because senders MUST NOT add one.
        if end - position >= 3, bytes[position] == 0xEF, bytes[position + 1] == 0xBB, bytes[position + 2] == 0xBF {
            throw error("byte order mark is not allowed")
        }
        let value = try parseValue()
        skipWhitespace()
        guard position == end else {
            throw error("unexpected \(describeByte(at: position)) after the JSON value")
        }
        return value
    }

    // MARK: Values

    private mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard position < end else { throw error("unexpected end of input, expected a value") }
        switch bytes[position] {
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "{"):
            return try parseObject()
        case UInt8(ascii: "["):
            return try parseArray()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try parseNumber())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        default:
            throw unexpectedValueStart()
        }
    }

    /// A specific message for the usual non-JSON habits, else a generic one.
    private func unexpectedValueStart() -> JSONParseError {
        switch bytes[position] {
        case UInt8(ascii: "/"):
            return error("comments are not allowed")
        case UInt8(ascii: "'"):
            return error("strings must be enclosed in double quotes")
        case UInt8(ascii: "+"):
            return error("a number must not start with '+'")
        case UInt8(ascii: "."):
            return error("a number must have a digit before '.'")
        case UInt8(ascii: "N") where hasPrefix("NaN"):
            return error("NaN is not a valid JSON number")
        case UInt8(ascii: "I") where hasPrefix("Infinity"):
            return error("Infinity is not a valid JSON number")
        default:
            return error("unexpected \(describeByte(at: position)), expected a value")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let matches = literal.withUTF8Buffer { expected in
            guard end - position >= count else { return false }
            for i in 0..<count where bytes[position + i] != expected[i] {
                return false
            }
            return true
        }
        guard matches else { throw error("invalid literal, expected '\(literal)'") }
        position += count
    }

    private mutating func enterContainer() throws(JSONParseError) {
        depth += 1
        // RFC 8259 §9 lets parsers limit nesting; unbounded recursion would let
        // a small request exhaust the stack.
        if depth > maxDepth {
            throw error("nesting depth exceeds the limit of \(maxDepth)")
        }
    }

    private mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        position += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if position < end, bytes[position] == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return .array(elements)
        }
        elements.reserveCapacity(4)  // one allocation for typical short arrays
        while true {
            skipWhitespace()
            if position < end, bytes[position] == UInt8(ascii: "]"), !elements.isEmpty {
                throw error("trailing comma is not allowed")
            }
            elements.append(try parseValue())
            skipWhitespace()
            guard position < end else { throw error("unexpected end of input, expected ',' or ']'") }
            switch bytes[position] {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "]"):
                position += 1
                depth -= 1
                return .array(elements)
            default:
                throw error("expected ',' or ']', found \(describeByte(at: position))")
            }
        }
    }

    private mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        position += 1  // {
        var object = JSONObject()
        skipWhitespace()
        if position < end, bytes[position] == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return .object(object)
        }
        object.reserveCapacity(8)  // skips the 1, 2, 4 growth steps for typical objects
        while true {
            skipWhitespace()
            guard position < end else { throw error("unexpected end of input, expected a string key") }
            guard bytes[position] == UInt8(ascii: "\"") else {
                switch bytes[position] {
                case UInt8(ascii: "}") where !object.isEmpty:
                    throw error("trailing comma is not allowed")
                case UInt8(ascii: "'"):
                    throw error("strings must be enclosed in double quotes")
                case UInt8(ascii: "/"):
                    throw error("comments are not allowed")
                default:
                    throw error("expected a string key, found \(describeByte(at: position))")
                }
            }
            let keyOffset = position
            let key = try parseString()
            // RFC 8259 §4: names SHOULD be unique; behaviour with duplicates is
            // unpredictable across implementations, so by default they are refused.
            // The lookup is needed anyway; the option costs a branch only on a duplicate.
            let tag = JSONObject.tag(key)
            let earlier = object.position(of: key, tag: tag)
            if earlier != nil, duplicateMemberNames == .reject {
                throw JSONParseError(offset: keyOffset, reason: "duplicate key \(quoted(key))")
            }
            skipWhitespace()
            guard position < end else { throw error("unexpected end of input, expected ':'") }
            guard bytes[position] == UInt8(ascii: ":") else {
                throw error("expected ':' after key, found \(describeByte(at: position))")
            }
            position += 1
            skipWhitespace()
            let value = try parseValue()
            if let earlier {
                object.replaceValue(at: earlier, with: value)  // `.lastWins`
            } else {
                object.appendUnchecked(key, value, tag: tag)
            }
            skipWhitespace()
            guard position < end else { throw error("unexpected end of input, expected ',' or '}'") }
            switch bytes[position] {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "}"):
                position += 1
                depth -= 1
                return .object(object)
            default:
                throw error("expected ',' or '}', found \(describeByte(at: position))")
            }
        }
    }

    // MARK: Strings

    /// RFC 8259 §7. Called with `position` at the opening quote.
    private mutating func parseString() throws(JSONParseError) -> String {
        let start = position + 1
        var i = start
        // Fast path: printable ASCII without escapes, decoded once from the
        // input. Skip eight such bytes at a time, then finish byte by byte.
        if let base = bytes.baseAddress {
            while end - i >= 8 {
                let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                if Self.hasSpecialByte(word) { break }
                i += 8
            }
        }
        while i < end {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                position = i + 1
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { break }
            i += 1
        }
        return try parseStringSlow(start: start, resumingAt: i)
    }

    /// Whether any of the eight bytes is a quote, a backslash, below 0x20 or
    /// above 0x7F (the exact "has a byte less than n / equal to c" bit tricks).
    @inline(__always)
    private static func hasSpecialByte(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let control = (word &- ones &* 0x20) & ~word
        let quoteBits = word ^ (ones &* 0x22)
        let quote = (quoteBits &- ones) & ~quoteBits
        let backslashBits = word ^ (ones &* 0x5C)
        let backslash = (backslashBits &- ones) & ~backslashBits
        return (control | quote | backslash | word) & 0x8080_8080_8080_8080 != 0
    }

    /// Handles escapes, non-ASCII (validated here so the error has an offset)
    /// and errors. Bytes before the first escape are copied to `scratch` only
    /// once an escape is actually seen.
    private mutating func parseStringSlow(start: Int, resumingAt resume: Int) throws(JSONParseError) -> String {
        var i = resume
        var escaped = false  // whether `scratch` holds the decoded string so far
        var runStart = start  // first byte not yet copied to `scratch`
        while i < end {
            let byte = bytes[i]
            switch byte {
            case UInt8(ascii: "\""):
                position = i + 1
                if !escaped {
                    return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
                }
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                return String(decoding: scratch, as: UTF8.self)
            case UInt8(ascii: "\\"):
                if !escaped {
                    escaped = true
                    scratch.removeAll(keepingCapacity: true)
                }
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                i = try decodeEscape(at: i)
                runStart = i
            case 0x00..<0x20:
                // RFC 8259 §7: control characters must be escaped.
                throw JSONParseError(
                    offset: i, reason: "unescaped control character \(hexScalar(UInt32(byte))) in string")
            case 0x20..<0x80:
                i += 1
            default:
                i = try validateUTF8Sequence(at: i)
            }
        }
        throw JSONParseError(offset: end, reason: "unterminated string starting at byte \(start - 1)")
    }

    /// Decodes the escape at `i` (a backslash) into `scratch`; returns the index after it.
    private mutating func decodeEscape(at i: Int) throws(JSONParseError) -> Int {
        guard i + 1 < end else {
            throw JSONParseError(offset: end, reason: "unterminated string")
        }
        let simple: UInt8
        switch bytes[i + 1] {
        case UInt8(ascii: "\""): simple = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): simple = UInt8(ascii: "\\")
        case UInt8(ascii: "/"): simple = UInt8(ascii: "/")
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"):
            return try decodeUnicodeEscape(at: i)
        default:
            throw JSONParseError(offset: i, reason: "invalid escape sequence '\\\(printable(bytes[i + 1]))'")
        }
        scratch.append(simple)
        return i + 2
    }

    /// `\uXXXX`, with UTF-16 surrogate pairs (RFC 8259 §7). A lone surrogate
    /// cannot be represented as UTF-8 and is rejected.
    private mutating func decodeUnicodeEscape(at i: Int) throws(JSONParseError) -> Int {
        let unit = try hex4(at: i + 2, escapeAt: i)
        var scalarValue = UInt32(unit)
        var next = i + 6
        switch unit {
        case 0xD800...0xDBFF:
            guard next + 1 < end, bytes[next] == UInt8(ascii: "\\"), bytes[next + 1] == UInt8(ascii: "u") else {
                throw JSONParseError(
                    offset: i, reason: "lone surrogate \(escapeText(unit)) is not followed by a low surrogate")
            }
            let low = try hex4(at: next + 2, escapeAt: next)
            guard (0xDC00...0xDFFF).contains(low) else {
                throw JSONParseError(
                    offset: i, reason: "lone surrogate \(escapeText(unit)) is not followed by a low surrogate")
            }
            scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            next += 6
        case 0xDC00...0xDFFF:
            throw JSONParseError(
                offset: i, reason: "lone surrogate \(escapeText(unit)) without a preceding high surrogate")
        default:
            break
        }
        appendUTF8(scalarValue)
        return next
    }

    private func hex4(at i: Int, escapeAt: Int) throws(JSONParseError) -> UInt16 {
        guard end - i >= 4 else {
            throw JSONParseError(offset: escapeAt, reason: "incomplete \\u escape, expected 4 hex digits")
        }
        var value: UInt16 = 0
        for k in i..<(i + 4) {
            let byte = bytes[k]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte &- UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte &- UInt8(ascii: "a") &+ 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte &- UInt8(ascii: "A") &+ 10
            default:
                throw JSONParseError(offset: escapeAt, reason: "invalid \\u escape, expected 4 hex digits")
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    private mutating func appendUTF8(_ v: UInt32) {
        switch v {
        case 0..<0x80:
            scratch.append(UInt8(v))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | v >> 6))
            scratch.append(UInt8(0x80 | v & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | v >> 12))
            scratch.append(UInt8(0x80 | v >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | v & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | v >> 18))
            scratch.append(UInt8(0x80 | v >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | v >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | v & 0x3F))
        }
    }

    /// Validates one multi-byte UTF-8 sequence starting at `i` (RFC 3629 §4:
    /// no overlongs, no surrogates, nothing above U+10FFFF); RFC 8259 §8.1
    /// requires UTF-8. Returns the index after the sequence.
    private func validateUTF8Sequence(at i: Int) throws(JSONParseError) -> Int {
        let lead = bytes[i]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0:
            length = 3
            secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED:
            length = 3
            secondRange = 0x80...0x9F
        case 0xF0:
            length = 4
            secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4:
            length = 4
            secondRange = 0x80...0x8F
        default:
            throw JSONParseError(offset: i, reason: "invalid UTF-8 byte \(hexByte(lead))")
        }
        guard end - i >= length else {
            throw JSONParseError(offset: i, reason: "truncated UTF-8 sequence")
        }
        guard secondRange.contains(bytes[i + 1]) else {
            throw JSONParseError(offset: i, reason: "invalid UTF-8 sequence")
        }
        for k in (i + 2)..<(i + length) where bytes[k] & 0xC0 != 0x80 {
            throw JSONParseError(offset: i, reason: "invalid UTF-8 sequence")
        }
        return i + length
    }

    // MARK: Numbers

    /// RFC 8259 §6: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = position
        var i = position
        let negative = bytes[i] == UInt8(ascii: "-")
        if negative {
            i += 1
            guard i < end, isDigit(bytes[i]) else {
                if end - i >= 8, hasPrefix("Infinity", at: i) {
                    throw JSONParseError(offset: start, reason: "Infinity is not a valid JSON number")
                }
                throw JSONParseError(offset: i, reason: "expected a digit after '-'")
            }
        }

        // Significant digits accumulate into `mantissa` while they fit, for the
        // integer result and the exact double fast path below.
        var mantissa: UInt64 = 0
        var overflow = false
        @inline(__always) func accumulate(_ byte: UInt8) {
            let (times10, o1) = mantissa.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(byte &- UInt8(ascii: "0")))
            if o1 || o2 { overflow = true } else { mantissa = sum }
        }

        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if i < end, isDigit(bytes[i]) {
                throw JSONParseError(offset: start, reason: "leading zeros are not allowed")
            }
        } else {
            while i < end, isDigit(bytes[i]) {
                if !overflow { accumulate(bytes[i]) }
                i += 1
            }
        }

        var isInteger = true
        var fractionDigits = 0
        if i < end, bytes[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            guard i < end, isDigit(bytes[i]) else {
                throw JSONParseError(offset: i, reason: "expected a digit after '.'")
            }
            while i < end, isDigit(bytes[i]) {
                if !overflow {
                    accumulate(bytes[i])
                    fractionDigits += 1
                }
                i += 1
            }
        }

        var exponent = 0
        if i < end, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            isInteger = false
            i += 1
            var exponentNegative = false
            if i < end, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
                exponentNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            guard i < end, isDigit(bytes[i]) else {
                throw JSONParseError(offset: i, reason: "expected a digit in the exponent")
            }
            while i < end, isDigit(bytes[i]) {
                if exponent < 100_000 { exponent = exponent * 10 + Int(bytes[i] &- UInt8(ascii: "0")) }
                i += 1
            }
            if exponentNegative { exponent = -exponent }
        }
        position = i

        if isInteger && !overflow {
            if negative {
                if mantissa <= UInt64(Int64.max) { return .integer(-Int64(mantissa)) }
                if mantissa == UInt64(Int64.max) + 1 { return .integer(.min) }
            } else if mantissa <= UInt64(Int64.max) {
                return .integer(Int64(mantissa))
            }
        }

        // Exact fast path (Clinger): both the mantissa and 10^|e| are exactly
        // representable, so one IEEE multiplication or division rounds correctly.
        let decimalExponent = exponent - fractionDigits
        if !overflow, mantissa <= 1 << 53, decimalExponent >= -22, decimalExponent <= 22 {
            var value = Double(mantissa)
            if decimalExponent >= 0 {
                value *= Self.powersOf10[decimalExponent]
            } else {
                value /= Self.powersOf10[-decimalExponent]
            }
            return .double(negative ? -value : value)
        }

        // General case: the standard library's correctly rounded conversion of
        // the literal text, which the grammar above has already validated.
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw JSONParseError(
                offset: start,
                reason: "number \(text.count > 40 ? String(text.prefix(40)) + "…" : text) is out of range")
        }
        return .double(value)
    }

    private static let powersOf10: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    // MARK: Helpers

    /// RFC 8259 §2: whitespace is space, tab, line feed and carriage return only.
    private mutating func skipWhitespace() {
        while position < end {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    private func hasPrefix(_ literal: StaticString, at offset: Int? = nil) -> Bool {
        let from = offset ?? position
        return literal.withUTF8Buffer { expected in
            guard end - from >= expected.count else { return false }
            for k in 0..<expected.count where bytes[from + k] != expected[k] {
                return false
            }
            return true
        }
    }

    private func error(_ reason: String) -> JSONParseError {
        JSONParseError(offset: min(position, end), reason: reason)
    }

    private func describeByte(at i: Int) -> String {
        guard i < end else { return "end of input" }
        let byte = bytes[i]
        if byte >= 0x20 && byte < 0x7F { return "'\(printable(byte))'" }
        return "byte \(hexByte(byte))"
    }

    private func printable(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F { return String(UnicodeScalar(byte)) }
        return hexByte(byte)
    }

    private func hexByte(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return "0x" + (hex.count == 1 ? "0" + hex : hex)
    }

    private func hexScalar(_ value: UInt32) -> String {
        let hex = String(value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    private func escapeText(_ unit: UInt16) -> String {
        let hex = String(unit, radix: 16, uppercase: true)
        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    private func quoted(_ key: String) -> String {
        JSON.string(.string(key))
    }
}
