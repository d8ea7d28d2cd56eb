import JSON

// JSON Schemas of tokens and the audit log, as the server renders and accepts them.

extension Schemas {
    static let roleSchema: JSONValue = ["type": "string", "enum": ["admin", "clinician", "patient"]]

    static let tokenProperties: JSONObject = [
        "id": OpenAPI.idSchema,
        "role": roleSchema,
        "patientId": nullable(OpenAPI.idSchema),
        "therapistId": nullable(OpenAPI.idSchema),
        "label": nullable(string(1...100)),
        "prefix": [
            "type": "string",
            "description": "The token's public beginning (rlg_ and its 16-character lookup); not a credential.",
        ],
        "createdAt": dateTime,
        "expiresAt": nullable(dateTime),
    ]

    static var access: JSONObject {
        var schemas = JSONObject()
        let required: [JSONValue] = [
            "id", "role", "patientId", "therapistId", "label", "prefix", "createdAt", "expiresAt",
        ]
        schemas["Token"] = [
            "type": "object", "description": "A bearer token's metadata (never the token).",
            "required": .array(required), "additionalProperties": false, "properties": .object(tokenProperties),
        ]
        var issued = tokenProperties
        issued["token"] = [
            "type": "string", "pattern": "^rlg_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$",
            "description": "The bearer token, shown only in this response.",
        ]
        schemas["IssuedToken"] = [
            "type": "object", "description": "A newly issued token with its secret.",
            "required": .array(required + ["token"]), "additionalProperties": false, "properties": .object(issued),
        ]
        schemas["TokenInput"] = [
            "type": "object",
            "description": "A patient token needs patientId, a clinician token therapistId, an admin token neither.",
            "required": ["role"], "additionalProperties": false,
            "properties": [
                "role": roleSchema,
                "patientId": nullable(OpenAPI.idSchema),
                "therapistId": nullable(OpenAPI.idSchema),
                "label": nullable(string(1...100)),
                "expiresAt": nullable([
                    "type": "string", "format": "date-time", "description": "A future instant; null never expires.",
                ]),
            ],
        ]
        schemas["TokenList"] = list("Token")
        schemas["AuditEntry"] = [
            "type": "object", "description": "Who did what to patient data, and when. Ids only.",
            "required": [
                "id", "at", "tokenId", "role", "method", "route", "resourceId", "patientId", "status", "requestId",
            ],
            "additionalProperties": false,
            "properties": [
                "id": OpenAPI.idSchema,
                "at": dateTime,
                "tokenId": nullable(OpenAPI.idSchema),
                "role": nullable(roleSchema),
                "method": ["type": "string"],
                "route": ["type": "string", "description": "The route template, e.g. /v1/episodes/{id}."],
                "resourceId": nullable(["type": "integer"]),
                "patientId": nullable(["type": "integer"]),
                "status": ["type": "integer", "minimum": 100, "maximum": 599],
                "requestId": nullable(["type": "string"]),
            ],
        ]
        schemas["AuditEntryList"] = list("AuditEntry")
        return schemas
    }
}
