import JSON

// JSON Schemas of the records (API.md "Resources"), as the server renders and accepts them.
// Each resource is described once as a list of fields; the response schema, the create
// schema (`<Name>Input`) and the merge patch schema (`<Name>Patch`) are derived from it.

/// One member of a record.
struct FieldSchema {
    var name: String
    /// The non-null schema of the value.
    var schema: JSONValue
    /// Required in a create body.
    var required: Bool = false
    /// May be `null` in a response (absent optional value).
    var nullable: Bool = false
    var defaultValue: JSONValue? = nil
    /// Required, except from a patient token, which implies it (`patientId`): not listed as
    /// required in the create schema, whose description says so instead.
    var impliedForPatientTokens = false
}

extension Schemas {
    static let slug: JSONValue = [
        "type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$",
        "description": "A slug: a lowercase letter, then up to 39 lowercase letters, digits or underscores.",
    ]

    static func string(_ length: ClosedRange<Int>, _ description: String? = nil) -> JSONValue {
        var object: JSONObject = [
            "type": "string", "minLength": JSONValue(length.lowerBound), "maxLength": JSONValue(length.upperBound),
            "pattern": .string(noNulPattern),
        ]
        let note = "No U+0000."
        object["description"] = .string(description.map { "\($0) \(note)" } ?? note)
        return .object(object)
    }

    /// No U+0000 anywhere (SQLite's `length()` stops at it).
    static let noNulPattern = #"^[^\u0000]*$"#
    /// No U+0000, and not only Unicode White_Space, which the server checks against (not
    /// ECMA-262 `\s`, which differs).
    static let notBlankPattern =
        #"^[^\u0000]*[^\u0000\t-\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000]*$"#

    /// `string(length)` that must not be only white space.
    static func text(_ length: ClosedRange<Int>, _ description: String? = nil) -> JSONValue {
        guard var object = string(length, description).objectValue else { return string(length, description) }
        object["pattern"] = .string(notBlankPattern)
        let note = "No U+0000; not only white space."
        object["description"] = .string(description.map { "\($0) \(note)" } ?? note)
        return .object(object)
    }

    /// An integer: JSON Schema's `integer` admits `5.0` and `5e0`, and so does the server.
    static func integer(_ minimum: Int64, _ maximum: Int64 = .max) -> JSONValue {
        let object: JSONObject = [
            "type": "integer", "minimum": JSONValue(minimum), "maximum": JSONValue(maximum),
            "description": "A number with an integral value: 5, 5.0 and 5e0 are the same; 5.5 is refused.",
        ]
        return .object(object)
    }

    static let dateTime: JSONValue = [
        "type": "string", "format": "date-time",
        "description": "RFC 3339 with an offset; responses render UTC (Z).",
    ]

    static func slugs(_ known: [String], minimum: Int = 0) -> JSONValue {
        var object: JSONObject = [
            "type": "array", "items": slug, "maxItems": 50, "uniqueItems": true,
            "description": .string(
                "Distinct slugs. Known: \(known.joined(separator: ", ")); other slugs are accepted."),
        ]
        if minimum > 0 { object["minItems"] = JSONValue(minimum) }
        return .object(object)
    }

    static func oneOf(_ values: [String]) -> JSONValue {
        ["type": "string", "enum": .array(values.map(JSONValue.string))]
    }

    static let boolean: JSONValue = ["type": "boolean"]

    /// `schema` that also admits `null`.
    static func nullable(_ schema: JSONValue) -> JSONValue {
        guard var object = schema.objectValue else { return schema }
        if let type = object["type"]?.stringValue { object["type"] = [.string(type), "null"] }
        if case .array(var values)? = object["enum"] {
            values.append(.null)
            object["enum"] = .array(values)
        }
        return .object(object)
    }

    static let managed: [FieldSchema] = [
        FieldSchema(name: "id", schema: integer(1)),
        FieldSchema(name: "createdAt", schema: dateTime),
        FieldSchema(name: "updatedAt", schema: dateTime),
    ]

    /// The response schema: every member always present, `id` first, the record's own managed
    /// fields after the others, timestamps last.
    static func resource(_ fields: [FieldSchema], _ description: String, managed own: [FieldSchema] = []) -> JSONValue {
        let all = [managed[0]] + fields + own + managed.dropFirst()
        var properties = JSONObject()
        for field in all {
            properties[field.name] = field.nullable ? nullable(field.schema) : field.schema
        }
        return [
            "type": "object", "description": .string(description),
            "required": .array(all.map { .string($0.name) }),
            "properties": .object(properties),
        ]
    }

    /// The create body: required members, optional ones (`null` reads as absent), nothing else.
    static func input(_ fields: [FieldSchema], _ description: String) -> JSONValue {
        var properties = JSONObject()
        for field in fields {
            var schema = field.required ? field.schema : nullable(field.schema)
            if let value = field.defaultValue, var object = schema.objectValue {
                object["default"] = value
                schema = .object(object)
            }
            properties[field.name] = schema
        }
        return [
            "type": "object", "description": .string(description), "additionalProperties": false,
            "required": .array(fields.filter { $0.required && !$0.impliedForPatientTokens }.map { .string($0.name) }),
            "properties": .object(properties),
        ]
    }

    /// A JSON Merge Patch of the create body: any subset of its members; `null` clears an
    /// optional member (a required one cannot be cleared, so it is not nullable here).
    static func patch(_ fields: [FieldSchema], _ description: String) -> JSONValue {
        var properties = JSONObject()
        for field in fields {
            properties[field.name] = field.required ? field.schema : nullable(field.schema)
        }
        return [
            "type": "object", "description": .string(description), "additionalProperties": false,
            "properties": .object(properties),
        ]
    }

    static func list(_ name: String) -> JSONValue {
        [
            "type": "object", "required": ["items", "nextCursor"],
            "properties": [
                "items": ["type": "array", "items": OpenAPI.ref(name)],
                "nextCursor": [
                    "type": ["string", "null"],
                    "description": "Pass as `cursor` for the next page; null on the last page.",
                ],
            ],
        ]
    }

    static let medication: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["name"],
        "description": "A medication taken during an episode; responses list every member.",
        "properties": [
            "name": text(1...100),
            "class": nullable(slugWithKnown(Vocabulary.medicationClasses)),
            "doseMg": ["type": ["number", "null"], "exclusiveMinimum": 0],
            "takenAt": nullable(dateTime),
            "effective": ["type": ["boolean", "null"]],
        ],
    ]

    static func slugWithKnown(_ known: [String]) -> JSONValue {
        guard var object = slug.objectValue else { return slug }
        object["description"] = .string("A slug. Known: \(known.joined(separator: ", ")); other slugs are accepted.")
        return .object(object)
    }

    /// The schema of each field of a described record, derived from its kind, presence and note.
    static func fields<Fields>(of description: RecordDescription<Fields>) -> [FieldSchema] {
        description.fields.map { field in
            var schema = FieldSchema(name: field.name, schema: Self.schema(of: field))
            switch field.presence {
            case .required: schema.required = true
            case .optional: schema.nullable = true
            case .defaulted(let value): schema.defaultValue = field.render(value)
            case .derived: break
            }
            schema.impliedForPatientTokens = field.impliedForPatientTokens
            return schema
        }
    }

    /// The schemas of a described record's managed fields: read-only, never null.
    static func managedFields<Fields>(of description: RecordDescription<Fields>) -> [FieldSchema] {
        description.managed.map { field in
            var schema = Self.schema(of: field).objectValue ?? [:]
            schema["readOnly"] = true
            return FieldSchema(name: field.name, schema: .object(schema))
        }
    }

    /// The non-null schema of one field's value.
    static func schema<Fields>(of field: FieldDescription<Fields>) -> JSONValue {
        let note = field.note
        switch field.kind {
        case .text(let length, _, .email):
            return [
                "type": "string", "format": "email", "minLength": JSONValue(length.lowerBound),
                "maxLength": JSONValue(length.upperBound),
            ]
        case .text(let length, _, .phone):
            return [
                "type": "string", "minLength": JSONValue(length.lowerBound), "maxLength": JSONValue(length.upperBound),
                "pattern": "^[0-9 +()-]+$",
            ]
        case .text(let length, let notBlank, _):
            return notBlank ? text(length, note) : string(length, note)
        case .integer(let range):
            return integer(range.lowerBound, range.upperBound)
        case .calendarYear(let first):
            return ["type": "integer", "minimum": JSONValue(first), "description": note.map(JSONValue.string) ?? .null]
        case .reference:
            return [
                "type": "integer", "minimum": 1, "maximum": JSONValue(Int64.max),
                "description": note.map(JSONValue.string) ?? .null,
            ]
        case .boolean:
            return boolean
        case .timestamp:
            guard let note else { return dateTime }
            return ["type": "string", "format": "date-time", "description": .string(note)]
        case .choice(let values):
            guard let note else { return oneOf(values) }
            return ["type": "string", "enum": .array(values.map(JSONValue.string)), "description": .string(note)]
        case .slugs(let known, let minimum):
            return slugs(known, minimum: minimum)
        case .texts(let length):
            return [
                "type": "array", "items": string(length), "maxItems": 50, "uniqueItems": true,
                "description": note.map(JSONValue.string) ?? .null,
            ]
        case .medications:
            return [
                "type": "array", "items": OpenAPI.ref("Medication"), "maxItems": JSONValue(Medication.maximumCount),
            ]
        }
    }

    /// Every record schema: `<Name>`, `<Name>Input`, `<Name>Patch`, `<Name>List`, and `Medication`.
    static var records: JSONObject {
        var schemas = JSONObject()
        let resources: [(String, [FieldSchema], String, [FieldSchema])] = [
            ("Patient", fields(of: Patient.Fields.recordDescription), "A patient.", []),
            ("Therapist", fields(of: Therapist.Fields.recordDescription), "A massage therapist.", []),
            ("Episode", fields(of: Episode.Fields.recordDescription), "A migraine diary entry.", []),
            (
                "Session", fields(of: MassageSession.Fields.recordDescription),
                "A massage session, given by a therapist (professional) or by the patient (self).",
                managedFields(of: MassageSession.Fields.recordDescription)
            ),
        ]
        for (name, fields, description, managed) in resources {
            schemas[name] = resource(fields, description, managed: managed)
            schemas[name + "Input"] = input(fields, "The body that creates a record: \(description)")
            schemas[name + "Patch"] = patch(fields, "A JSON Merge Patch (RFC 7386) of \(name)Input.")
            schemas[name + "List"] = list(name)
        }
        schemas["Medication"] = medication
        return schemas
    }
}

extension OpenAPI {
    static let idSchema: JSONValue = ["type": "integer", "minimum": 1, "maximum": JSONValue(Int64.max)]
    static let slugSchema: JSONValue = Schemas.slug
    static let dateOrTimestampSchema: JSONValue = [
        "type": "string",
        "description": "A date (YYYY-MM-DD, midnight UTC) or an RFC 3339 timestamp with an offset.",
        "anyOf": [["format": "date"], ["format": "date-time"]],
    ]

    static let pagingParameters: [ParameterSpec] = [
        .query(
            "limit", "Page size, 1–500 (default 50).", ["type": "integer", "minimum": 1, "maximum": 500, "default": 50]),
        .query(
            "cursor",
            "The nextCursor of the previous page (opaque; one made for another list or other filters, or altered, answers 400).",
            ["type": "string", "pattern": "^[A-Za-z0-9_.-]{1,220}$"]),
        .query(
            "updatedSince", "Only records created or changed at or after this instant.",
            ["type": "string", "format": "date-time"]),
    ]

    /// `externalId`: every record list can find a record by the clinic's own identifier.
    static let externalIdParameter: ParameterSpec = .query(
        "externalId", "Only the record with this externalId (exact match).",
        ["type": "string", "minLength": 1, "maxLength": 100])
}
