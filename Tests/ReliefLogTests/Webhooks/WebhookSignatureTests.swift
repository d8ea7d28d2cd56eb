import Foundation
import Testing

@testable import ReliefLog

@Suite("Standard Webhooks signatures")
struct WebhookSignatureTests {
    @Test("the specification's published test vector signs to the published signature")
    func publishedVector() throws {
        let key = try #require(WebhookSignature.keyBytes(ofSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let body = Array(#"{"test": 2432232314}"#.utf8)
        let signature = WebhookSignature.sign(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: body, key: key)
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(
            WebhookSignature.verify(
                header: "v1,bogus " + signature, id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
                body: body, key: key))
        #expect(
            !WebhookSignature.verify(
                header: signature, id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_331, body: body, key: key))
    }

    @Test("a new secret is whsec_ and the base64 of 32 random bytes")
    func secretShape() throws {
        let first = WebhookSignature.generateSecret()
        let second = WebhookSignature.generateSecret()
        #expect(first != second)
        #expect(first.hasPrefix("whsec_"))
        #expect(try #require(WebhookSignature.keyBytes(ofSecret: first)).count == 32)
        #expect(WebhookSignature.keyBytes(ofSecret: "secret") == nil)
    }

    @Test("constant-time equality compares whole byte strings")
    func constantTime() {
        #expect(WebhookSignature.constantTimeEqual(Array("abc".utf8), Array("abc".utf8)))
        #expect(!WebhookSignature.constantTimeEqual(Array("abc".utf8), Array("abd".utf8)))
        #expect(!WebhookSignature.constantTimeEqual(Array("abc".utf8), Array("abcd".utf8)))
    }

    @Test("sealed secrets open only with the key that sealed them, and do not contain the secret")
    func sealing() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("key").path
        let sealer = try SecretSealer.loadOrCreate(keyFile: path)
        let again = try SecretSealer.loadOrCreate(keyFile: path)
        let other = try SecretSealer.loadOrCreate(keyFile: directory.appendingPathComponent("other").path)
        let secret = WebhookSignature.generateSecret()
        let sealed = try sealer.seal(secret)
        #expect(again.open(sealed) == secret)
        #expect(other.open(sealed) == nil)
        #expect(!String(decoding: sealed, as: UTF8.self).contains(secret.dropFirst(6).prefix(12)))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    }

    @Test("Retry-After is read as seconds or as an HTTP date")
    func retryAfter() {
        #expect(WebhookDispatcher.retryAfterSeconds("120", now: 0) == 120)
        #expect(WebhookDispatcher.retryAfterSeconds("Thu, 01 Jan 1970 00:01:40 GMT", now: 40_000) == 60)
        #expect(WebhookDispatcher.retryAfterSeconds("soon", now: 0) == nil)
        #expect(WebhookDispatcher.retryAfterSeconds("999999999", now: 0) == 86_400)
    }
}
