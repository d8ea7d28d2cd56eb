import JSON

// JSON Schemas of webhooks, deliveries and events, as the server renders and accepts them.

extension Schemas {
    static let eventPatterns: JSONValue = [
        "type": "array", "minItems": 1, "maxItems": 30, "uniqueItems": true,
        "items": .object([
            "type": "string",
            "enum": .array(
                (["*"] + ResourceKind.allCases.map { "\($0.rawValue).*" } + EventType.all).map(JSONValue.string)),
        ]),
        "description":
            "Event types to deliver: a type (episode.created), every action on a resource (session.*), or *.",
    ]

    static let webhookURL: JSONValue = [
        "type": "string", "minLength": 8, "maxLength": 2048, "format": "uri", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://",
        "description":
            "Where events are POSTed. https:// receivers are reached through the configured TLS proxy (webhooks.httpsProxy).",
    ]

    static let webhookProperties: JSONObject = [
        "id": OpenAPI.idSchema,
        "url": webhookURL,
        "events": eventPatterns,
        "description": nullable(string(1...500)),
        "active": boolean,
        "disabledReason": nullable([
            "type": "string", "description": "Why the server turned the webhook off (a 410 from the receiver).",
        ]),
        "previousSecretExpiresAt": nullable([
            "type": "string", "format": "date-time",
            "description": "After a rotation: until when the previous secret still signs (a second signature).",
        ]),
        "createdAt": dateTime,
        "updatedAt": dateTime,
    ]

    static var webhooks: JSONObject {
        var schemas = JSONObject()
        let required: [JSONValue] = webhookProperties.keys.map(JSONValue.string)
        schemas["Webhook"] = [
            "type": "object", "description": "A webhook endpoint (never its secret).",
            "required": .array(required), "additionalProperties": false, "properties": .object(webhookProperties),
        ]
        var withSecret = webhookProperties
        withSecret["secret"] = [
            "type": "string", "pattern": "^whsec_[A-Za-z0-9+/]{43}=$",
            "description": "The signing secret (whsec_ + base64 of 32 bytes), shown only in this response.",
        ]
        schemas["WebhookWithSecret"] = [
            "type": "object", "description": "A webhook with its new signing secret.",
            "required": .array(required + ["secret"]), "additionalProperties": false,
            "properties": .object(withSecret),
        ]
        let inputProperties: JSONObject = [
            "url": webhookURL, "events": eventPatterns, "description": nullable(string(1...500)),
            "active": ["type": ["boolean", "null"], "default": true],
        ]
        schemas["WebhookInput"] = [
            "type": "object", "required": ["url", "events"], "additionalProperties": false,
            "properties": .object(inputProperties),
        ]
        schemas["WebhookPatch"] = [
            "type": "object", "additionalProperties": false,
            "properties": [
                "url": webhookURL, "events": eventPatterns, "description": nullable(string(1...500)),
                "active": ["type": ["boolean", "null"], "description": "null restores the default, true."],
            ],
        ]
        schemas["WebhookList"] = list("Webhook")
        schemas["WebhookDelivery"] = [
            "type": "object", "description": "One event owed to one webhook.",
            "required": [
                "id", "webhookId", "event", "state", "attempts", "lastStatus", "lastError", "lastAttemptAt",
                "nextAttemptAt", "deliveredAt", "createdAt",
            ],
            "additionalProperties": false,
            "properties": [
                "id": OpenAPI.idSchema,
                "webhookId": OpenAPI.idSchema,
                "event": [
                    "type": "object", "required": ["id", "type"], "additionalProperties": false,
                    "properties": ["id": ["type": "string", "pattern": "^evt_"], "type": ["type": "string"]],
                ],
                "state": oneOf(DeliveryState.allCases.map(\.rawValue)),
                "attempts": ["type": "integer", "minimum": 0],
                "lastStatus": nullable(["type": "integer", "minimum": 100, "maximum": 599]),
                "lastError": nullable([
                    "type": "string", "description": "Why the last attempt got no HTTP response, if it got none.",
                ]),
                "lastAttemptAt": nullable(dateTime),
                "nextAttemptAt": nullable(dateTime),
                "deliveredAt": nullable(dateTime),
                "createdAt": dateTime,
            ],
        ]
        schemas["WebhookDeliveryList"] = list("WebhookDelivery")
        schemas["Event"] = [
            "type": "object",
            "description":
                "An event as receivers get it. data.object is the record as GET renders it; for deletions (and records of erased patients) only id and patientId.",
            "required": ["id", "type", "createdAt", "data"], "additionalProperties": false,
            "properties": [
                "id": ["type": "string", "pattern": "^evt_"],
                "type": ["type": "string"],
                "createdAt": dateTime,
                "data": [
                    "type": "object", "required": ["object"], "additionalProperties": false,
                    "properties": ["object": ["type": "object"]],
                ],
            ],
        ]
        schemas["EventList"] = [
            "type": "object", "required": ["items", "nextCursor", "hasMore"], "additionalProperties": false,
            "properties": [
                "items": ["type": "array", "items": OpenAPI.ref("Event")],
                "nextCursor": [
                    "type": "string",
                    "description": "Pass as `after` to continue; given at the end too, to poll for newer events.",
                ],
                "hasMore": ["type": "boolean", "description": "Whether more events follow right now."],
            ],
        ]
        return schemas
    }
}
