/// Writes JSON text.
///
/// Output is UTF-8 without a byte order mark (RFC 8259 §8.1). Strings escape
/// only what RFC 8259 §7 requires: quotation mark, reverse solidus and the
/// control characters U+0000 to U+001F (as `\b \f \n \r \t` where a short form
/// exists, `\u00XX` otherwise). Everything else, U+2028 and U+2029 included, is
/// written as raw UTF-8.
enum JSONSerializer {
    static func write(_ value: JSONValue, into out: inout ByteSink) {
        switch value {
        case .null:
            out.append("null")
        case .bool(let b):
            out.append(b ? "true" : "false")
        case .number(let number):
            write(number, into: &out)
        case .string(let s):
            write(s, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                write(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            var first = true
            for (key, member) in object {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                write(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(member, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Two-space indentation, `"key": value`, empty containers as `[]` and `{}`.
    static func writePretty(_ value: JSONValue, indent: Int, into out: inout ByteSink) {
        switch value {
        case .array(let elements) where !elements.isEmpty:
            out.append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                newline(indent: indent + 1, into: &out)
                writePretty(element, indent: indent + 1, into: &out)
            }
            newline(indent: indent, into: &out)
            out.append(UInt8(ascii: "]"))
        case .object(let object) where !object.isEmpty:
            out.append(UInt8(ascii: "{"))
            var first = true
            for (key, member) in object {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                newline(indent: indent + 1, into: &out)
                write(key, into: &out)
                out.append(UInt8(ascii: ":"), UInt8(ascii: " "))
                writePretty(member, indent: indent + 1, into: &out)
            }
            newline(indent: indent, into: &out)
            out.append(UInt8(ascii: "}"))
        default:
            write(value, into: &out)
        }
    }

    private static func newline(indent: Int, into out: inout ByteSink) {
        out.appendUnsafe(maximum: 1 + 2 * indent) { p in
            p.initialize(to: UInt8(ascii: "\n"))
            (p + 1).initialize(repeating: UInt8(ascii: " "), count: 2 * indent)
            return 1 + 2 * indent
        }
    }

    // MARK: Numbers

    static func write(_ number: JSONNumber, into out: inout ByteSink) {
        switch number {
        case .integer(let i):
            writeInteger(i, into: &out)
        case .double(let d):
            // RFC 8259 §6: NaN and infinities have no JSON representation.
            guard d.isFinite else {
                out.append("null")
                return
            }
            // `description` is the shortest text that reads back as the same
            // Double ("2.0", "0.1", "1e-07", "1e+16"), and always valid JSON.
            write(utf8Of: d.description, into: &out)
        }
    }

    private static func writeInteger(_ value: Int64, into out: inout ByteSink) {
        out.appendUnsafe(maximum: 20) { p in
            var magnitude = value.magnitude
            var digits = 0
            var probe = magnitude
            repeat {
                digits += 1
                probe /= 10
            } while probe != 0
            let sign = value < 0 ? 1 : 0
            if sign == 1 { p.initialize(to: UInt8(ascii: "-")) }
            var i = sign + digits
            repeat {
                i -= 1
                (p + i).initialize(to: UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10))
                magnitude /= 10
            } while magnitude != 0
            return sign + digits
        }
    }

    /// Appends the raw UTF-8 of `text` (no quoting or escaping).
    private static func write(utf8Of text: String, into out: inout ByteSink) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { out.append($0) }
        if done == nil {
            Array(text.utf8).withUnsafeBufferPointer { out.append($0) }
        }
    }

    // MARK: Strings

    static func write(_ string: String, into out: inout ByteSink) {
        let done: Void? = string.utf8.withContiguousStorageIfAvailable { writeString($0, into: &out) }
        if done == nil {
            Array(string.utf8).withUnsafeBufferPointer { writeString($0, into: &out) }
        }
    }

    static func writeString(_ utf8: UnsafeBufferPointer<UInt8>, into out: inout ByteSink) {
        out.append(UInt8(ascii: "\""))
        guard let p = utf8.baseAddress else {
            out.append(UInt8(ascii: "\""))
            return
        }
        let n = utf8.count
        var runStart = 0  // first byte not yet copied to `out`
        var i = 0
        // Eight bytes at a time while nothing needs escaping: the common case.
        while n - i >= 8 {
            let word = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
            if needsEscape(word) {
                for j in i..<(i + 8) where mustEscape(p[j]) {
                    out.append(UnsafeBufferPointer(start: p + runStart, count: j - runStart))
                    writeEscape(p[j], into: &out)
                    runStart = j + 1
                }
            }
            i += 8
        }
        if i < n {
            // The last 1 to 7 bytes: check them as one word too, either the
            // final eight bytes of the string (overlapping bytes already seen)
            // or, for a short string, its bytes padded with spaces.
            let tail: UInt64
            if n >= 8 {
                tail = UnsafeRawPointer(p + n - 8).loadUnaligned(as: UInt64.self)
            } else {
                var padded: UInt64 = 0x2020_2020_2020_2020
                withUnsafeMutableBytes(of: &padded) { word in
                    word.baseAddress!.copyMemory(from: p, byteCount: n)
                }
                tail = padded
            }
            if needsEscape(tail) {
                for j in i..<n where mustEscape(p[j]) {
                    out.append(UnsafeBufferPointer(start: p + runStart, count: j - runStart))
                    writeEscape(p[j], into: &out)
                    runStart = j + 1
                }
            }
        }
        out.append(UnsafeBufferPointer(start: p + runStart, count: n - runStart))
        out.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    private static func mustEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// Whether any of the eight bytes is below 0x20, a quote or a backslash
    /// (the exact "has a byte less than n / equal to c" bit tricks).
    @inline(__always)
    private static func needsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let control = (word &- ones &* 0x20) & ~word
        let quoteBits = word ^ (ones &* 0x22)
        let quote = (quoteBits &- ones) & ~quoteBits
        let backslashBits = word ^ (ones &* 0x5C)
        let backslash = (backslashBits &- ones) & ~backslashBits
        return (control | quote | backslash) & highs != 0
    }

    private static func writeEscape(_ byte: UInt8, into out: inout ByteSink) {
        switch byte {
        case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\"), UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"), UInt8(ascii: "\\"))
        case 0x08: out.append(UInt8(ascii: "\\"), UInt8(ascii: "b"))
        case 0x0C: out.append(UInt8(ascii: "\\"), UInt8(ascii: "f"))
        case 0x0A: out.append(UInt8(ascii: "\\"), UInt8(ascii: "n"))
        case 0x0D: out.append(UInt8(ascii: "\\"), UInt8(ascii: "r"))
        case 0x09: out.append(UInt8(ascii: "\\"), UInt8(ascii: "t"))
        default:
            let hex: StaticString = "0123456789abcdef"
            out.append("\\u00")
            hex.withUTF8Buffer { digits in
                out.append(digits[Int(byte >> 4)], digits[Int(byte & 0xF)])
            }
        }
    }
}
