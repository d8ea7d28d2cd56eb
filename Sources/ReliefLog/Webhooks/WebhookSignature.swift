import Crypto
import Foundation

/// Signing per the Standard Webhooks specification (https://www.standardwebhooks.com):
/// `webhook-signature` is `v1,` + base64 of HMAC-SHA256 over `id.timestamp.body`, keyed with
/// the bytes of the secret (`whsec_` + base64). Several signatures are separated by spaces.
enum WebhookSignature {
    static let secretPrefix = "whsec_"

    /// A new secret: `whsec_` + base64 of 32 random bytes (from the system's generator).
    static func generateSecret() -> String {
        let key = SymmetricKey(size: .bits256)
        return secretPrefix + key.withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// The key bytes of a `whsec_…` secret, or nil when it is not one.
    static func keyBytes(ofSecret secret: String) -> [UInt8]? {
        guard secret.hasPrefix(secretPrefix),
            let data = Data(base64Encoded: String(secret.dropFirst(secretPrefix.count)))
        else { return nil }
        return data.isEmpty ? nil : Array(data)
    }

    /// `v1,<base64>` for one message under one secret's key bytes.
    static func sign(id: String, timestamp: Int64, body: [UInt8], key: [UInt8]) -> String {
        var content = Array("\(id).\(timestamp).".utf8)
        content.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: key))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The `webhook-signature` value: one signature per key, space-separated.
    static func header(id: String, timestamp: Int64, body: [UInt8], keys: [[UInt8]]) -> String {
        keys.map { sign(id: id, timestamp: timestamp, body: body, key: $0) }.joined(separator: " ")
    }

    /// Whether `header` holds a `v1` signature of the message under `key`, comparing in
    /// constant time (every candidate is compared in full, whatever matched before).
    static func verify(header: String, id: String, timestamp: Int64, body: [UInt8], key: [UInt8]) -> Bool {
        let expected = Array(sign(id: id, timestamp: timestamp, body: body, key: key).utf8)
        var matched = false
        for candidate in header.split(separator: " ") {
            if constantTimeEqual(Array(candidate.utf8), expected) { matched = true }
        }
        return matched
    }

    /// Byte equality whose running time depends only on the lengths, never on where the
    /// first difference is.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
