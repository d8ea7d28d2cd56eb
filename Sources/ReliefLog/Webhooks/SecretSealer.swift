import Crypto
import Foundation

/// Seals webhook secrets at rest with AES-256-GCM under a key kept outside the database (a
/// key file, created with mode 0600 on first use), so a dump or copy of the database alone does
/// not reveal them. The server must read the secrets to sign, so whoever can read both the
/// database and the key file can read them: the README says so.
struct SecretSealer: Sendable {
    private let key: SymmetricKey

    init(key: SymmetricKey) { self.key = key }

    /// The key in `path`, creating the file (and a random key) when it does not exist.
    static func loadOrCreate(keyFile path: String) throws -> SecretSealer {
        let manager = FileManager.default
        if let data = manager.contents(atPath: path) {
            guard
                let decoded = Data(
                    base64Encoded: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                ),
                decoded.count == 32
            else {
                throw SecretSealerError("\(path) must hold the base64 of 32 bytes (a webhook secret key)")
            }
            return SecretSealer(key: SymmetricKey(data: decoded))
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try manager.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let key = SymmetricKey(size: .bits256)
        let text = key.withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
        guard manager.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        else { throw SecretSealerError("cannot create the webhook secret key file \(path)") }
        return SecretSealer(key: key)
    }

    func seal(_ secret: String) throws -> [UInt8] {
        Array(try AES.GCM.seal(Data(secret.utf8), using: key).combined ?? Data())
    }

    /// The secret, or nil when the bytes were not sealed under this key (another key file).
    func open(_ sealed: [UInt8]) -> String? {
        guard let box = try? AES.GCM.SealedBox(combined: sealed), let plain = try? AES.GCM.open(box, using: key)
        else { return nil }
        return String(decoding: plain, as: UTF8.self)
    }
}

struct SecretSealerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
