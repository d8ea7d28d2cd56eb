import Crypto
import Foundation

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
        let lookup = (0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) }
            .map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
            .base64EncodedString().base64URL
        return AccessToken(text: "\(prefix)\(lookup)_\(secret)", lookup: lookup)
    }

    /// Splits a presented token into its parts, or nil when it cannot be one of ours (checked
    /// before any database work, so garbage costs nothing).
    init?(presented text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == Self.length, text.hasPrefix(Self.prefix) else { return nil }
        let lookupStart = Self.prefix.utf8.count
        let lookupBytes = bytes[lookupStart..<lookupStart + Self.lookupLength]
        guard lookupBytes.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
            bytes[lookupStart + Self.lookupLength] == UInt8(ascii: "_"),
            bytes[(lookupStart + Self.lookupLength + 1)...].allSatisfy(\.isBase64URL)
        else { return nil }
        self.text = text
        self.lookup = String(decoding: lookupBytes, as: UTF8.self)
    }

    private init(text: String, lookup: String) {
        self.text = text
        self.lookup = lookup
    }

    /// The SHA-256 digest stored in place of the token.
    var digest: [UInt8] { Array(SHA256.hash(data: Array(text.utf8))) }

    /// Whether `storedDigest` is this token's digest, compared in constant time.
    func matches(_ storedDigest: [UInt8]) -> Bool {
        SHA256.hash(data: Array(text.utf8)) == storedDigest
    }
}

private extension UInt8 {
    var isBase64URL: Bool {
        (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) || (0x30...0x39).contains(self)
            || self == UInt8(ascii: "-") || self == UInt8(ascii: "_")
    }
}

private extension String {
    func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }

    /// Standard base64 → unpadded base64url (RFC 4648 §5).
    var base64URL: String {
        String(unicodeScalars.compactMap { scalar -> Character? in
            switch scalar {
            case "+": "-"
            case "/": "_"
            case "=": nil
            default: Character(scalar)
            }
        })
    }
}
