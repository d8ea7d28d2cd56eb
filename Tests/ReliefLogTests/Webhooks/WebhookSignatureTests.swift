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

@Suite("Webhook configuration")
struct WebhookConfigurationTests {
    func load(_ json: String) throws -> AppConfiguration {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("config.json").path
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return try AppConfiguration.load(flags: .init(configFile: path), environment: [:])
    }

    @Test("the retry schedule takes fractions of a second; bad values are refused with the setting named")
    func settings() throws {
        let configuration = try load(
            #"{"webhooks": {"retryScheduleSeconds": [0.05, 1, 2.5], "timeoutSeconds": 0.5, "httpsProxy": "http://127.0.0.1:8443"}}"#
        )
        #expect(configuration.webhooks.retrySchedule == [0.05, 1, 2.5])
        #expect(configuration.webhooks.timeoutSeconds == 0.5)
        #expect(configuration.webhooks.keyFile(databasePath: "/d/x.sqlite") == "/d/x.sqlite.webhook-key")
        for bad in [
            #"{"webhooks": {"retryScheduleSeconds": [5, 0]}}"#, #"{"webhooks": {"retryScheduleSeconds": "5"}}"#,
            #"{"webhooks": {"timeoutSeconds": 0}}"#, #"{"webhooks": {"httpsProxy": "https://proxy"}}"#,
            #"{"webhooks": {"retries": 3}}"#,
        ] {
            #expect(throws: ConfigurationError.self) { try load(bad) }
        }
    }
}
