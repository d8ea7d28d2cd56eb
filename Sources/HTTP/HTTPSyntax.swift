/// Byte classes and small scanners shared by the request parser.
///
/// Everything works on ASCII bytes; nothing here builds strings.
internal enum ASCII {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A
    static let comma: UInt8 = 0x2C
    static let semicolon: UInt8 = 0x3B
    static let equals: UInt8 = 0x3D
    static let quote: UInt8 = 0x22
    static let backslash: UInt8 = 0x5C
    static let slash: UInt8 = 0x2F
    static let question: UInt8 = 0x3F
    static let hash: UInt8 = 0x23
    static let asterisk: UInt8 = 0x2A
    static let at: UInt8 = 0x40
    static let percent: UInt8 = 0x25
    static let openBracket: UInt8 = 0x5B
    static let closeBracket: UInt8 = 0x5D

    // 128-bit membership masks over ASCII, low half for bytes 0–63 and high
    // half for 64–127; bytes ≥ 0x80 are never members. Constants, so a class
    // test is a shift and a mask with no table to load.
    //
    // tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
    //         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA   (RFC 9110 §5.6.2)
    private static let tcharLow: UInt64 = 0x03ff_6cfa_0000_0000
    private static let tcharHigh: UInt64 = 0x57ff_ffff_c7ff_fffe
    // reg-name characters: unreserved / sub-delims   (RFC 3986 §3.2.2)
    // unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"
    // sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="
    private static let hostLow: UInt64 = 0x2bff_7fd2_0000_0000
    private static let hostHigh: UInt64 = 0x47ff_fffe_87ff_fffe

    @inline(__always)
    private static func member(_ b: UInt8, _ low: UInt64, _ high: UInt64) -> Bool {
        if b < 64 { return (low >> UInt64(b)) & 1 != 0 }
        if b < 128 { return (high >> UInt64(b &- 64)) & 1 != 0 }
        return false
    }

    /// A token character (RFC 9110 §5.6.2).
    @inline(__always)
    static func isTchar(_ b: UInt8) -> Bool { member(b, tcharLow, tcharHigh) }

    /// An unreserved or sub-delims character, allowed in a reg-name (RFC 3986 §3.2.2).
    @inline(__always)
    static func isHostChar(_ b: UInt8) -> Bool { member(b, hostLow, hostHigh) }

    @inline(__always)
    static func isDigit(_ b: UInt8) -> Bool { b &- 0x30 < 10 }

    @inline(__always)
    static func isWhitespace(_ b: UInt8) -> Bool { b == sp || b == htab }

    /// The value of a hexadecimal digit, or nil.
    @inline(__always)
    static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: return Int(b &- 0x30)
        case 0x41...0x46: return Int(b &- 0x41 &+ 10)
        case 0x61...0x66: return Int(b &- 0x61 &+ 10)
        default: return nil
        }
    }

    @inline(__always)
    static func lowercased(_ b: UInt8) -> UInt8 {
        b &- 0x41 < 26 ? b | 0x20 : b
    }

    /// A byte allowed in a field value: field-vchar, SP or HTAB (RFC 9110 §5.5).
    /// obs-text (0x80–0xFF) is allowed; CTLs other than HTAB, and DEL, are not.
    @inline(__always)
    static func isFieldValueByte(_ b: UInt8) -> Bool {
        b >= 0x20 ? b != 0x7F : b == htab
    }

    /// Whether `bytes[range]` equals `lowercaseLiteral` ignoring ASCII case.
    /// `lowercaseLiteral` must already be lowercase.
    @inline(__always)
    static func equalsIgnoringCase(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ lowercaseLiteral: StaticString
    ) -> Bool {
        guard range.count == lowercaseLiteral.utf8CodeUnitCount else { return false }
        let literal = lowercaseLiteral.utf8Start
        var i = 0
        for index in range {
            if lowercased(bytes[index]) != literal[i] { return false }
            i += 1
        }
        return true
    }

    /// Whether `bytes[range]` equals `literal` exactly.
    @inline(__always)
    static func equalsCaseSensitive(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ literal: StaticString
    ) -> Bool {
        guard range.count == literal.utf8CodeUnitCount else { return false }
        let start = literal.utf8Start
        var i = 0
        for index in range {
            if bytes[index] != start[i] { return false }
            i += 1
        }
        return true
    }

    /// `range` with leading and trailing SP/HTAB (OWS) removed.
    @inline(__always)
    static func trimmingWhitespace(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper && isWhitespace(bytes[lower]) { lower += 1 }
        while upper > lower && isWhitespace(bytes[upper - 1]) { upper -= 1 }
        return lower..<upper
    }

    /// Calls `body` with each element of a comma-separated list in
    /// `bytes[range]`, with OWS trimmed (RFC 9110 §5.6.1). Empty elements are
    /// passed too, so callers can decide whether to ignore or reject them.
    @inline(__always)
    static func forEachListElement(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ body: (Range<Int>) -> Void
    ) {
        var start = range.lowerBound
        var index = start
        while index < range.upperBound {
            if bytes[index] == comma {
                body(trimmingWhitespace(bytes, start..<index))
                start = index + 1
            }
            index += 1
        }
        body(trimmingWhitespace(bytes, start..<range.upperBound))
    }

    /// Whether `bytes[range]` is a valid `uri-host [ ":" port ]` as used by
    /// the Host field (RFC 9110 §7.2) and the authority of a target
    /// (RFC 9112 §3.2.2, §3.2.3). An empty host is accepted here; callers
    /// that need one check `hostEnd`.
    ///
    /// - Returns: nil if invalid, otherwise the end of the host part and
    ///   whether a port followed (`port` is `*DIGIT`, possibly empty).
    static func parseAuthority(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>
    ) -> (hostEnd: Int, hasPort: Bool, portIsEmpty: Bool)? {
        var index = range.lowerBound
        let end = range.upperBound
        if index < end && bytes[index] == openBracket {
            // IP-literal = "[" ( IPv6address / IPvFuture ) "]"  (RFC 3986 §3.2.2)
            index += 1
            let literalStart = index
            while index < end && bytes[index] != closeBracket {
                let b = bytes[index]
                guard isHostChar(b) || b == colon else { return nil }
                index += 1
            }
            guard index < end, index > literalStart else { return nil }
            index += 1  // "]"
        } else {
            while index < end {
                let b = bytes[index]
                if isHostChar(b) {
                    index += 1
                } else if b == percent {
                    // pct-encoded = "%" HEXDIG HEXDIG
                    guard index + 2 < end, hexValue(bytes[index + 1]) != nil,
                        hexValue(bytes[index + 2]) != nil
                    else { return nil }
                    index += 3
                } else {
                    break
                }
            }
        }
        let hostEnd = index
        if index == end { return (hostEnd, false, true) }
        guard bytes[index] == colon else { return nil }
        index += 1
        let portStart = index
        while index < end {
            guard isDigit(bytes[index]) else { return nil }
            index += 1
        }
        return (hostEnd, true, index == portStart)
    }
}
