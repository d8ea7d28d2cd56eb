import Crypto

/// A bearer token's text: `rlg_<lookup>_<secret>`.
///
/// - `rlg_` makes a leaked token recognisable to secret scanners and to people.
/// - `lookup` is 16 lowercase hex characters (64 random bits) that find the token's row; it is
///   not secret and is stored as is.
/// - `secret` is 43 base64url characters: 256 bits from the system's cryptographic random
///   source (swift-crypto's `SymmetricKey`).
///
/// The database keeps only the lookup and the SHA-256 digest of the whole token. A fast hash
/// suffices because the token is 256 random bits, not a password: there is nothing to
/// brute-force offline. Digests are compared in constant time (swift-crypto's `Digest ==`).
struct AccessToken: Sendable {
    static let prefix = "rlg_"
    static let lookupLength = 16
    static let secretLength = 43
    static let length = prefix.utf8.count + lookupLength + 1 + secretLength

    let text: String
    let lookup: String

    /// A new random token.
    static func generate() -> AccessToken {
        var generator = SystemRandomNumberGenerator()  // getrandom(2) on Linux
        let lookupValue = generator.next()
        let lookup = String(lookupValue, radix: 16).leftPadded(to: lookupLength)
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { Base64URL.encode(Array($0)) }
        return AccessToken(text: "\(prefix)\(lookup)_\(secret)", lookup: lookup, lookupValue: lookupValue)
    }

    /// Checks a presented token's shape, or nil when it cannot be one of ours (checked before
    /// any database work, so garbage costs nothing). Runs on every request, on the header's
    /// bytes: nothing is allocated but the token text.
    init?(presented bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count == Self.length, bytes.starts(with: Self.prefix.utf8) else { return nil }
        let lookupStart = Self.prefix.utf8.count
        let separator = lookupStart + Self.lookupLength
        var lookupValue: UInt64 = 0
        for offset in lookupStart..<separator {
            guard let digit = bytes[offset].hexDigitValue else { return nil }
            lookupValue = lookupValue << 4 | UInt64(digit)
        }
        guard bytes[separator] == UInt8(ascii: "_") else { return nil }
        for offset in (separator + 1)..<bytes.count where !Base64URL.isAlphabet(bytes[offset]) { return nil }
        self.text = String(decoding: bytes, as: UTF8.self)
        self.lookup = String(decoding: UnsafeBufferPointer(rebasing: bytes[lookupStart..<separator]), as: UTF8.self)
        self.lookupValue = lookupValue
    }

    private init(text: String, lookup: String, lookupValue: UInt64) {
        self.text = text
        self.lookup = lookup
        self.lookupValue = lookupValue
    }

    /// `lookup` as a number: a cheap key for the in-memory cache of verified tokens.
    let lookupValue: UInt64

    /// The SHA-256 digest stored in place of the token.
    var digest: [UInt8] { Array(sha256) }

    /// Whether `storedDigest` is this token's digest, compared in constant time.
    func matches(_ storedDigest: [UInt8]) -> Bool {
        // Compared as raw bytes: with the array itself swift-crypto's generic comparison looked
        // up type metadata on every request.
        storedDigest.withUnsafeBytes { sha256 == $0 }
    }

    private var sha256: SHA256.Digest {
        var text = text
        return text.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
    }
}

private extension UInt8 {
    var hexDigitValue: UInt8? {
        switch self {
        case 0x30...0x39: self - 0x30
        case 0x61...0x66: self - 0x61 + 10
        default: nil
        }
    }

}

private extension String {
    func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }

}
