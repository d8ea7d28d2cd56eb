import JSON

/// The OpenAPI declarations of the five operations on one resource (API.md "Resources"):
/// what the router needs, what the document says, and who may call each.
enum RecordOperations<R: RecordResource> {
    private static var name: String { R.schemaName }
    /// "a" or "an" before the lower-case name ("an episode").
    private static var article: String { "aeiou".contains(name.lowercased().first ?? "x") ? "an" : "a" }
    private static var itemPath: String { "\(R.collectionPath)/{id}" }
    private static var idParameter: ParameterSpec {
        ParameterSpec(
            name: "id", location: .path, required: true, description: "The \(name.lowercased())'s id.",
            schema: OpenAPI.idSchema)
    }
    private static var etagHeader: [String: String] { ["ETag": "Strong entity tag of this representation."] }
    private static var ifMatch: ParameterSpec {
        ParameterSpec(
            name: "If-Match", location: .header, required: false,
            description:
                "Proceed only if the record's current ETag is one of these comma-separated entity tags (strong comparison; * matches any); otherwise 412. Any value is accepted: a malformed member matches nothing.",
            schema: ["type": "string"])
    }

    private static func access(_ roles: Set<Role>) -> Access {
        .roles(roles, patientData: R.isPatientData)
    }

    static var create: Operation {
        Operation(
            method: "POST", path: R.collectionPath, operationId: "create\(name)",
            summary: "Create \(article) \(name.lowercased()).", tag: R.collection, access: access(R.access.create),
            parameters: [
                ParameterSpec(
                    name: "Idempotency-Key", location: .header, required: false,
                    description:
                        "1–255 visible ASCII characters. Repeating a key with the same body within 24 hours returns the first response again; with another body, 422.",
                    schema: ["type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"])
            ],
            requestSchema: OpenAPI.ref("\(name)Input"),
            responses: [
                .json(
                    201, "Created.", OpenAPI.ref(name),
                    headers: etagHeader.merging([
                        "Location": "The path of the new record.",
                        "Idempotent-Replayed":
                            "true when this is the stored response of an earlier request with the same Idempotency-Key.",
                    ]) { a, _ in a }),
                .problem(400, "Malformed JSON or an invalid Idempotency-Key."),
                .problem(409, "Another record has this externalId (or license number)."),
                .problem(415, "The body is not application/json."),
                .problem(
                    422,
                    "Validation failed (every failing field listed), a referenced record does not exist, or the Idempotency-Key was used with another body."
                ),
            ])
    }

    static var list: Operation {
        Operation(
            method: "GET", path: R.collectionPath, operationId: "list\(R.pluralName)",
            summary: "List \(R.collection), one page at a time.", tag: R.collection, access: access(R.access.list),
            parameters: OpenAPI.pagingParameters + [OpenAPI.externalIdParameter] + R.filters,
            responses: [
                .json(200, "One page.", OpenAPI.ref("\(name)List")),
                .problem(400, "A malformed, out-of-range or unknown query parameter, or a cursor of another list."),
            ])
    }

    static var read: Operation {
        Operation(
            method: "GET", path: itemPath, operationId: "get\(name)",
            summary: "Read \(article) \(name.lowercased()).", tag: R.collection, access: access(R.access.read),
            parameters: [
                idParameter,
                ParameterSpec(
                    name: "If-None-Match", location: .header, required: false,
                    description:
                        "Comma-separated entity tags of cached copies, or *; 304 when one is current (weak comparison). Any value is accepted: a malformed member matches nothing.",
                    schema: ["type": "string"]),
            ],
            responses: [
                .json(200, "The record.", OpenAPI.ref(name), headers: etagHeader),
                .empty(304, "The cached copy named by If-None-Match is current.", headers: etagHeader),
                .problem(404, "No such record."),
            ])
    }

    static var update: Operation {
        Operation(
            method: "PATCH", path: itemPath, operationId: "update\(name)",
            summary:
                "Change \(article) \(name.lowercased()) with a JSON Merge Patch (RFC 7386); null clears an optional field.",
            tag: R.collection, access: access(R.access.update), parameters: [idParameter, ifMatch],
            requestSchema: OpenAPI.ref("\(name)Patch"),
            requestContentTypes: ["application/merge-patch+json", "application/json"],
            responses: [
                .json(200, "The changed record.", OpenAPI.ref(name), headers: etagHeader),
                .problem(400, "Malformed JSON."),
                .problem(404, "No such record."),
                .problem(409, "Another record has this externalId (or license number)."),
                .problem(412, "If-Match does not match the current ETag."),
                .problem(415, "The body is not a merge patch or JSON."),
                .problem(422, "The patched record fails validation (every failing field listed)."),
            ])
    }

    static var delete: Operation {
        var responses: [ResponseSpec] = [
            .empty(204, "Deleted."),
            .problem(404, "No such record."),
            .problem(412, "If-Match does not match the current ETag."),
        ]
        if R.resource == .therapist {
            responses.append(.problem(409, "The therapist has sessions; set active to false instead."))
        }
        return Operation(
            method: "DELETE", path: itemPath, operationId: "delete\(name)",
            summary: R.resource == .patient
                ? "Erase a patient with every episode and session of theirs."
                : "Delete \(article) \(name.lowercased()).",
            tag: R.collection, access: access(R.access.delete), parameters: [idParameter, ifMatch],
            responses: responses)
    }
}
