/// Base64 with the URL and file name safe alphabet, without padding (RFC 4648 §5).
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Whether `byte` is one of the 64 characters of the alphabet.
    static func isAlphabet(_ byte: UInt8) -> Bool {
        (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = UInt32(bytes[i])
            let b1 = i + 1 < bytes.count ? UInt32(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? UInt32(bytes[i + 2]) : 0
            let group = b0 << 16 | b1 << 8 | b2
            output.append(alphabet[Int(group >> 18 & 63)])
            output.append(alphabet[Int(group >> 12 & 63)])
            if i + 1 < bytes.count { output.append(alphabet[Int(group >> 6 & 63)]) }
            if i + 2 < bytes.count { output.append(alphabet[Int(group & 63)]) }
            i += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes, or `nil` for characters outside the alphabet, padding, or a bad length.
    static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt32] = []
        values.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(UInt32(byte - UInt8(ascii: "A")))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(UInt32(byte - UInt8(ascii: "a")) + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(UInt32(byte - UInt8(ascii: "0")) + 52)
            case UInt8(ascii: "-"): values.append(62)
            case UInt8(ascii: "_"): values.append(63)
            default: return nil
            }
        }
        guard values.count % 4 != 1 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 3 / 4)
        var i = 0
        while i < values.count {
            let chunk = values[i..<min(i + 4, values.count)]
            var group: UInt32 = 0
            for (k, value) in chunk.enumerated() {
                group |= value << (18 - 6 * UInt32(k))
            }
            bytes.append(UInt8(group >> 16 & 0xFF))
            if chunk.count > 2 { bytes.append(UInt8(group >> 8 & 0xFF)) }
            if chunk.count > 3 { bytes.append(UInt8(group & 0xFF)) }
            i += 4
        }
        // Canonical form only: the unused low bits of the last character must be zero.
        guard encode(bytes) == text else { return nil }
        return bytes
    }
}
