import JSON

/// Builds the OpenAPI 3.1 document from the registered operations and the shared schemas.
enum OpenAPI {
    static func ref(_ name: String) -> JSONValue {
        ["$ref": .string("#/components/schemas/\(name)")]
    }

    static func document(operations: [Operation], version: String) -> JSONValue {
        var paths = JSONObject()
        for operation in operations {
            var item = paths[operation.path]?.objectValue ?? JSONObject()
            item[operation.method.lowercased()] = describe(operation)
            paths[operation.path] = .object(item)
        }
        var components = JSONObject()
        components["schemas"] = .object(Schemas.all)
        components["securitySchemes"] = [
            "bearer": [
                "type": "http", "scheme": "bearer",
                "description":
                    "A token from POST /v1/tokens or `relieflog token create` (rlg_…). Roles: admin, clinician (bound to a therapist), patient (bound to a patient).",
            ]
        ]
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "ReliefLog API",
                "version": .string(version),
                "summary": "Migraine diary and massage-therapy records with trend analytics.",
                "description": "Observational summaries of diary data; not medical advice.",
                "license": ["name": "Proprietary", "identifier": "LicenseRef-Proprietary"],
            ],
            "paths": .object(paths),
            "components": .object(components),
        ]
    }

    private static func describe(_ operation: Operation) -> JSONValue {
        var object = JSONObject()
        object["operationId"] = .string(operation.operationId)
        object["summary"] = .string(operation.summary)
        object["tags"] = [.string(operation.tag)]
        let roles = operation.access.roles
        if roles.isEmpty {
            object["security"] = []
        } else {
            object["security"] = [["bearer": []]]
            object["x-roles"] = .array(roles.sorted().map { .string($0.rawValue) })
        }
        if !operation.parameters.isEmpty {
            object["parameters"] = .array(
                operation.parameters.map { parameter in
                    [
                        "name": .string(parameter.name),
                        "in": .string(parameter.location.rawValue),
                        "required": .bool(parameter.required),
                        "description": .string(parameter.description),
                        "schema": parameter.schema,
                    ]
                })
        }
        if let schema = operation.requestSchema {
            var content = JSONObject()
            for type in operation.requestContentTypes { content[type] = ["schema": schema] }
            object["requestBody"] = ["required": true, "content": .object(content)]
        }
        var responses = JSONObject()
        var documented = operation.responses
        // Operations that answer errors in a format of their own (FHIR's OperationOutcome) say so
        // for the errors every protected route can give, too.
        let errorType = operation.renderError == nil ? "application/problem+json" : "application/fhir+json"
        let errorSchema: JSONValue = operation.renderError == nil ? ref("Problem") : ["type": "object"]
        func error(_ status: Int, _ description: String) -> ResponseSpec {
            ResponseSpec(status: String(status), description: description, contentType: errorType, schema: errorSchema)
        }
        if !roles.isEmpty {
            documented.append(
                ResponseSpec(
                    status: "401", description: "No, or an invalid, expired or revoked bearer token.",
                    contentType: errorType, schema: errorSchema,
                    headers: ["WWW-Authenticate": "Bearer challenge (RFC 6750)."]))
            // Writes can be refused per object too: a clinician's session of another therapist.
            if Set(Role.allCases) != roles || operation.method != "GET" {
                documented.append(
                    error(
                        403,
                        "The token's role may not do this (roles: \(roles.sorted().map(\.rawValue).joined(separator: ", ")))."
                    ))
            }
            documented.append(
                ResponseSpec(
                    status: "429",
                    description: "Rate limit exceeded (per token, per address, or after failed authentications).",
                    contentType: errorType, schema: errorSchema,
                    headers: ["Retry-After": "Seconds until a request may succeed."]))
            if operation.method != "GET" {
                documented.append(
                    error(
                        503,
                        "The database could not store the change (a full disk, an I/O error): nothing was saved; "
                            + "retry later. Type urn:relieflog:problem:storage-unavailable."))
            }
        }
        for response in documented {
            var entry = JSONObject()
            entry["description"] = .string(response.description)
            if let type = response.contentType {
                var content: JSONObject = [.init(stringLiteral: type): ["schema": response.schema ?? [:]]]
                for more in response.moreContentTypes { content[more] = ["schema": response.schema ?? [:]] }
                entry["content"] = .object(content)
            }
            var headers = JSONObject()
            headers["X-Request-Id"] = [
                "description": "The request id (echoed or generated).", "schema": ["type": "string"],
            ]
            for (name, description) in response.headers.sorted(by: { $0.key < $1.key }) {
                headers[name] = ["description": .string(description), "schema": ["type": "string"]]
            }
            entry["headers"] = .object(headers)
            responses[response.status] = .object(entry)
        }
        if responses["default"] == nil {
            responses["default"] = [
                "description": operation.renderError == nil
                    ? "An error, as RFC 9457 problem details." : "An error, as a FHIR OperationOutcome.",
                "content": [.init(stringLiteral: errorType): ["schema": errorSchema]],
            ]
        }
        object["responses"] = .object(responses)
        return .object(object)
    }
}

/// JSON Schemas shared by the document (`#/components/schemas`).
enum Schemas {
    static var all: JSONObject {
        var schemas = JSONObject()
        schemas["Problem"] = problem
        schemas["Health"] = health
        for (name, schema) in records { schemas[name] = schema }
        for (name, schema) in access { schemas[name] = schema }
        for (name, schema) in analytics { schemas[name] = schema }
        for (name, schema) in webhooks { schemas[name] = schema }
        for (name, schema) in bulk { schemas[name] = schema }
        return schemas
    }

    static let problem: JSONValue = [
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status"],
        "properties": [
            "type": ["type": "string"],
            "title": ["type": "string"],
            "status": ["type": "integer", "minimum": 100, "maximum": 599],
            "detail": ["type": "string"],
            "errors": [
                "type": "array",
                "items": [
                    "type": "object",
                    "required": ["field", "message"],
                    "properties": [
                        "field": ["type": "string", "description": "JSON Pointer into the request body or query."],
                        "message": ["type": "string"],
                    ],
                ],
            ],
        ],
    ]

    static let health: JSONValue = [
        "type": "object",
        "required": ["status"],
        "properties": ["status": ["type": "string", "enum": ["ok", "unavailable"]]],
    ]
}
