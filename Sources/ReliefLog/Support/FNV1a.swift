/// 64-bit FNV-1a (http://www.isthe.com/chongo/tech/comp/fnv/): fast, stable across runs and
/// platforms, and plenty to tell representations (or request bodies) apart. Not a MAC.
enum FNV1a {
    static func hash(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// The hash as 16 lowercase hexadecimal digits.
    static func hex(_ bytes: [UInt8]) -> String {
        let text = String(hash(bytes), radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }
}

/// The strong entity tag of a representation: `"` + the FNV-1a hash of its exact bytes + `"`,
/// so the same bytes always carry the same tag, across restarts too (RFC 9110 §8.8.1).
enum ContentTag {
    static func of(_ body: [UInt8]) -> String {
        "\"" + FNV1a.hex(body) + "\""
    }
}
