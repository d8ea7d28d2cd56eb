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
        if !operation.parameters.isEmpty {
            object["parameters"] = .array(operation.parameters.map { parameter in
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
        for response in operation.responses {
            var entry = JSONObject()
            entry["description"] = .string(response.description)
            if let type = response.contentType {
                entry["content"] = [.init(stringLiteral: type): ["schema": response.schema ?? [:]]]
            }
            var headers = JSONObject()
            headers["X-Request-Id"] = ["description": "The request id (echoed or generated).", "schema": ["type": "string"]]
            for (name, description) in response.headers.sorted(by: { $0.key < $1.key }) {
                headers[name] = ["description": .string(description), "schema": ["type": "string"]]
            }
            entry["headers"] = .object(headers)
            responses[response.status] = .object(entry)
        }
        if responses["default"] == nil {
            responses["default"] = [
                "description": "An error, as RFC 9457 problem details.",
                "content": ["application/problem+json": ["schema": ref("Problem")]],
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
        for (name, schema) in analytics { schemas[name] = schema }
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
