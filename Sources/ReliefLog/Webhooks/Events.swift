import JSON

/// An event type of the contract: `{patient,therapist,episode,session}.{created,updated,deleted}`,
/// and `ping` (sent by `POST /v1/webhooks/{id}/test` to that webhook only).
enum EventType {
    static let ping = "ping"

    /// Every type a webhook can subscribe to, in a stable order.
    static let all: [String] = ResourceKind.allCases.flatMap { resource in
        ["created", "updated", "deleted"].map { "\(resource.rawValue).\($0)" }
    }

    /// Whether `pattern` is a valid subscription: `*`, `<resource>.*` or a type.
    static func isValidPattern(_ pattern: String) -> Bool {
        pattern == "*" || all.contains(pattern) || ResourceKind.allCases.contains { "\($0.rawValue).*" == pattern }
    }

    /// Whether an event of `type` matches `pattern`.
    static func matches(_ type: String, pattern: String) -> Bool {
        if pattern == "*" || pattern == type { return true }
        guard pattern.hasSuffix(".*") else { return false }
        return type.hasPrefix(pattern.dropLast(1))
    }

    /// `<resource>.*` for a type, the pattern that matches every action on its resource.
    static func resourcePattern(of type: String) -> String {
        (type.firstIndex(of: ".").map { String(type[..<$0]) } ?? type) + ".*"
    }
}

/// An event as stored in the outbox and rendered for receivers and the feed.
struct StoredEvent: Sendable {
    var seq: Int64
    var publicId: String
    var type: String
    var resourceId: Int64?
    var patientId: Int64?
    /// The record as `GET` rendered it (JSON text), nil for deletions, pings and redacted events.
    var object: String?
    var createdAt: Int64

    /// `{"id": "evt_…", "type": …, "createdAt": …, "data": {"object": {…}}}`.
    var json: JSONValue {
        var data = JSONObject()
        data.append("object", objectJSON)
        var body = JSONObject()
        body.append("id", .string(publicId))
        body.append("type", .string(type))
        body.append("createdAt", .string(Timestamp.format(createdAt)))
        body.append("data", .object(data))
        return .object(body)
    }

    /// The body a receiver gets: the same bytes on every attempt.
    var body: [UInt8] { JSON.serialize(json) }

    private var objectJSON: JSONValue {
        if let object, let parsed = try? JSON.parse(Array(object.utf8)) { return parsed }
        var minimal = JSONObject()
        if type == EventType.ping {
            minimal.append("webhookId", resourceId.map { .number(.integer($0)) } ?? .null)
            return .object(minimal)
        }
        minimal.append("id", resourceId.map { .number(.integer($0)) } ?? .null)
        minimal.append("patientId", patientId.map { .number(.integer($0)) } ?? .null)
        return .object(minimal)
    }
}
