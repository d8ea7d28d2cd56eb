import HTTP
import JSON

/// A webhook endpoint as admins manage it (never its secret, which is shown once).
struct Webhook: Sendable {
    var id: Int64
    var url: String
    var events: [String]
    var description: String?
    var active: Bool
    /// Why the server turned it off (a 410 from the receiver); nil otherwise.
    var disabledReason: String?
    /// Until when the previous secret still signs, after a rotation.
    var previousSecretUntil: Int64?
    var createdAt: Int64
    var updatedAt: Int64

    func json(now: Int64) -> JSONValue {
        var object = JSONObject()
        object.append("id", .number(.integer(id)))
        object.append("url", .string(url))
        object.append("events", .array(events.map(JSONValue.string)))
        object.append("description", description.map(JSONValue.string) ?? .null)
        object.append("active", .bool(active))
        object.append("disabledReason", disabledReason.map(JSONValue.string) ?? .null)
        let rotating = previousSecretUntil.flatMap { $0 > now ? $0 : nil }
        object.append("previousSecretExpiresAt", rotating.map { .string(Timestamp.format($0)) } ?? .null)
        object.append("createdAt", .string(Timestamp.format(createdAt)))
        object.append("updatedAt", .string(Timestamp.format(updatedAt)))
        return .object(object)
    }
}

/// What a create or a merge patch sets.
struct WebhookFields: Sendable, Equatable {
    var url: String
    var events: [String]
    var description: String?
    var active: Bool

    static let known: Set<String> = ["url", "events", "description", "active"]

    /// Validates a `POST /v1/webhooks` body, or the current fields with a merge patch applied.
    init(validating body: JSONObject) throws(ValidationError) {
        var reader = ObjectReader(body, known: Self.known)
        let url = reader.string("url", required: true, length: 8...2048)
        if let url, HTTPClientURL(url) == nil {
            reader.fail(
                "url", "must be an absolute http:// or https:// URL without user information or fragment")
        }
        if body["events"] == nil || body["events"]?.isNull == true { reader.fail("events", "is required") }
        let events = reader.strings("events", maximumCount: 30) { pattern in
            EventType.isValidPattern(pattern)
                ? nil : "must be *, a resource with .* (episode.*) or an event type such as episode.created"
        }
        if events.isEmpty, case .array(let items)? = body["events"], items.isEmpty {
            reader.fail("events", "must name at least one event type (or *)")
        }
        let description = reader.string("description", length: 1...500)
        let active = reader.bool("active") ?? true
        try reader.errors.throwIfAny()
        guard let url else { preconditionFailure("a required field without an error") }
        self.init(url: url, events: events, description: description, active: active)
    }

    init(url: String, events: [String], description: String?, active: Bool) {
        self.url = url
        self.events = events
        self.description = description
        self.active = active
    }

    /// The fields as a create body, so a merge patch applies to them.
    var json: JSONObject {
        var object = JSONObject()
        object.append("url", .string(url))
        object.append("events", .array(events.map(JSONValue.string)))
        if let description { object.append("description", .string(description)) }
        object.append("active", .bool(active))
        return object
    }
}
