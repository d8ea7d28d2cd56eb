import Foundation
import HTTP
import JSON
import SQLite

/// `/v1/patients`, `/v1/therapists`, `/v1/episodes` and `/v1/sessions`: create, read, list,
/// merge-patch and delete, with ETags, conditional requests and idempotent creation
/// (API.md "Resources", "Concurrency and caching", "Idempotent creation").
struct RecordsRoutes {
    let database: DatabasePool
    /// The current time in epoch milliseconds; injectable so tests can fix it.
    var now: @Sendable () -> Int64 = RecordsRoutes.wallClock
    /// Bumped after every committed write, for the analytics' ETags and cache.
    var versions: DataVersions

    @Sendable static func wallClock() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// How long an `Idempotency-Key` is remembered.
    static let idempotencyWindow: Int64 = Timestamp.millisecondsPerDay

    func register(in api: inout APIBuilder) {
        register(Patient.self, in: &api)
        register(Therapist.self, in: &api)
        register(Episode.self, in: &api)
        register(MassageSession.self, in: &api)
    }

    // MARK: Responses

    /// A single resource or list body with the headers every record response carries.
    static func response(_ body: [UInt8], status: Int = 200, etag: String? = nil) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json; charset=utf-8")
        headers.add("Cache-Control", "no-store")
        if let etag { headers.add("ETag", etag) }
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    static func notModified(etag: String) -> HTTPResponse {
        .empty(status: 304, headers: ["ETag": etag, "Cache-Control": "no-store"])
    }

    static func preconditionFailed() -> Problem {
        Problem(status: 412, detail: "The record has changed: If-Match does not match its current ETag.")
    }

    /// The `Idempotency-Key` header: 1–255 visible ASCII characters, or absent.
    static func idempotencyKey(_ request: HTTPServerRequest) throws(Problem) -> String? {
        let values = request.headers.values("Idempotency-Key")
        guard !values.isEmpty else { return nil }
        let message = "must be 1 to 255 visible ASCII characters, given once"
        guard values.count == 1, let key = values.first, (1...255).contains(key.utf8.count),
            key.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E })
        else {
            throw Problem.badRequest(
                "The Idempotency-Key header is invalid.",
                errors: [Problem.FieldError(field: "Idempotency-Key", message: message)])
        }
        return key
    }

    /// What a create answers: the first response again when the key was seen.
    struct Created: Sendable {
        var status: Int
        var body: [UInt8]
        var replayed: Bool
        /// The new record's id; for a replay, read back from the stored body.
        var id: Int64?
        /// The patient whose data the new record is (nil for therapists and replays).
        var owner: Int64? = nil
    }

    /// A clinician token writes only its own therapist's sessions (403 otherwise: the
    /// clinician can read the record, so refusing it reveals nothing).
    static func checkClinician<R: RecordResource>(_ caller: Caller, may _: R.Type, write fields: R.Fields) throws(AccessDenied) {
        guard caller.role == .clinician, let therapistId = caller.therapistId else { return }
        guard R.clinician(therapistId, mayWrite: fields) else {
            throw AccessDenied.other("A clinician token may only record and change its own therapist's sessions.")
        }
    }

    // MARK: Routes

    private func register<R: RecordResource>(_ type: R.Type, in api: inout APIBuilder) {
        let database = database
        let clock = now
        let versions = versions
        let collectionPath = "/v1/\(R.collection)"
        let itemPath = "/v1/\(R.collection)/{id}"
        let authenticator = api.accessControl.authenticator
        let access = R.access
        let patientData = R.isPatientData
        let name = R.schemaName
        let tag = R.collection
        let idParameter = ParameterSpec(
            name: "id", location: .path, required: true, description: "The \(name.lowercased())'s id.",
            schema: OpenAPI.idSchema)
        let etagHeader = ["ETag": "Strong entity tag of this representation."]

        api.add(
            Operation(
                method: "POST", path: collectionPath, operationId: "create\(name)",
                summary: "Create a \(name.lowercased()).", tag: tag,
                access: .roles(access.create, patientData: patientData),
                parameters: [
                    ParameterSpec(
                        name: "Idempotency-Key", location: .header, required: false,
                        description: "1–255 visible ASCII characters. Repeating a key with the same body within 24 hours returns the first response again; with another body, 422.",
                        schema: ["type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"]),
                ],
                requestSchema: OpenAPI.ref("\(name)Input"),
                responses: [
                    .json(201, "Created.", OpenAPI.ref(name), headers: etagHeader.merging([
                        "Location": "The path of the new record.",
                        "Idempotent-Replayed": "true when this is the stored response of an earlier request with the same Idempotency-Key.",
                    ]) { a, _ in a }),
                    .problem(400, "Malformed JSON or an invalid Idempotency-Key."),
                    .problem(409, "Another record has this externalId (or license number)."),
                    .problem(415, "The body is not application/json."),
                    .problem(422, "Validation failed (every failing field listed), a referenced record does not exist, or the Idempotency-Key was used with another body."),
                ])
        ) { request, context in
            let caller = context.authenticated
            let key = try RecordsRoutes.idempotencyKey(request)
            var body = try RequestBody.object(request)
            if R.impliesPatientId, let own = caller.reachablePatient {
                // A patient token's records are its patient's: `patientId` is implied, and naming
                // another patient is answered as if that patient did not exist.
                if let named = body["patientId"] {
                    if let id = named.int64Value, id != own { throw RecordsError.notFound }
                } else {
                    body.append("patientId", .number(.integer(own)))
                }
            }
            let fields = try R.validate(body, now: clock())
            try RecordsRoutes.checkClinician(caller, may: R.self, write: fields)
            // Keys are per token: one client never receives another's stored response.
            let scope = "POST \(collectionPath) token:\(caller.tokenId)"
            let hash = FNV1a.hex(request.body)
            let created = try await database.write { connection -> Created in
                let now = clock()
                if let key {
                    try connection.run(
                        "DELETE FROM idempotency_keys WHERE created_at_ms < ?",
                        [.integer(now - RecordsRoutes.idempotencyWindow)])
                    if let row = try connection.queryOne(
                        "SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE scope = ? AND key = ?",
                        [.text(scope), .text(key)])
                    {
                        guard row.string(0) == hash, let status = row.int(1), let stored = row.blob(2) else {
                            throw Problem(
                                status: 422, type: "urn:relieflog:problem:idempotency-key-reused",
                                title: "Idempotency key reused",
                                detail: "This Idempotency-Key was already used with a different request body.")
                        }
                        return Created(
                            status: status, body: stored, replayed: true,
                            id: (try? JSON.parse(stored))?.objectValue?["id"]?.int64Value)
                    }
                }
                let record = try R.insert(fields, now: now, connection)
                try context.auditChange(
                    connection, status: 201, resource: record.id, patient: record.ownerPatientId, at: now)
                let bytes = JSON.serialize(record.json)
                if let key {
                    try connection.run(
                        """
                        INSERT INTO idempotency_keys (scope, key, request_hash, response_status, response_body, created_at_ms)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """,
                        [.text(scope), .text(key), .text(hash), .integer(201), .blob(bytes), .integer(now)])
                }
                return Created(status: 201, body: bytes, replayed: false, id: record.id, owner: record.ownerPatientId)
            }
            if !created.replayed { versions.recordChanged(R.self, patients: [created.owner]) }
            var response = RecordsRoutes.response(created.body, status: created.status, etag: ETag.of(created.body))
            if let id = created.id { response.headers.add("Location", "\(collectionPath)/\(id)") }
            if created.replayed { response.headers.add("Idempotent-Replayed", "true") }
            return response
        }

        api.add(
            Operation(
                method: "GET", path: collectionPath, operationId: "list\(R.pluralName)",
                summary: "List \(R.collection), one page at a time.", tag: tag,
                access: .roles(access.list, patientData: patientData),
                parameters: OpenAPI.pagingParameters + R.filters,
                responses: [
                    .json(200, "One page.", OpenAPI.ref("\(name)List")),
                    .problem(400, "A malformed, out-of-range or unknown query parameter, or a cursor of another list."),
                ])
        ) { request, context in
            var parameters = try QueryParameters(request)
            var query = R.query(&parameters)
            try parameters.finish()
            if let own = context.authenticated.reachablePatient { try R.scope(&query, toPatient: own) }
            context.audit(patient: R.patientFilter(of: query))
            let scopedQuery = query
            let body = try await database.read { connection in
                JSON.serialize(try R.list(scopedQuery, connection).json(\.json))
            }
            return RecordsRoutes.response(body)
        }

        api.add(
            Operation(
                method: "GET", path: itemPath, operationId: "get\(name)",
                summary: "Read a \(name.lowercased()).", tag: tag,
                access: .roles(access.read, patientData: patientData),
                parameters: [
                    idParameter,
                    ParameterSpec(
                        name: "If-None-Match", location: .header, required: false,
                        description: "Comma-separated entity tags of cached copies, or *; 304 when one is current (weak comparison). Any value is accepted: a malformed member matches nothing.",
                        schema: ["type": "string"]),
                ],
                responses: [
                    .json(200, "The record.", OpenAPI.ref(name), headers: etagHeader),
                    .empty(304, "The cached copy named by If-None-Match is current.", headers: etagHeader),
                    .problem(404, "No such record."),
                ])
        ) { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            guard id > 0 else { throw RecordsError.notFound }
            let record = try await database.read { connection in try R.find(id, connection) }
            // Audited before the reach check, so a refused attempt names whose data it aimed at.
            context.audit(resource: id, patient: record?.ownerPatientId)
            guard let record, context.authenticated.reaches(record) else { throw RecordsError.notFound }
            let body = JSON.serialize(record.json)
            let etag = ETag.of(body)
            if ETag.ifNoneMatchMatches(request, current: etag) { return RecordsRoutes.notModified(etag: etag) }
            return RecordsRoutes.response(body, etag: etag)
        }

        let ifMatch = ParameterSpec(
            name: "If-Match", location: .header, required: false,
            description: "Proceed only if the record's current ETag is one of these comma-separated entity tags (strong comparison; * matches any); otherwise 412. Any value is accepted: a malformed member matches nothing.",
            schema: ["type": "string"])

        api.add(
            Operation(
                method: "PATCH", path: itemPath, operationId: "update\(name)",
                summary: "Change a \(name.lowercased()) with a JSON Merge Patch (RFC 7386); null clears an optional field.",
                tag: tag, access: .roles(access.update, patientData: patientData), parameters: [idParameter, ifMatch],
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
        ) { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            guard id > 0 else { throw RecordsError.notFound }
            let patch = try RequestBody.object(request, accepting: RequestBody.mergePatchMediaTypes)
            // Check, merge, validate and update in one write, so no other change slips between.
            let caller = context.authenticated
            context.audit(resource: id, patient: nil)
            let (body, owners) = try await database.write { connection -> ([UInt8], [Int64?]) in
                guard let current = try R.find(id, connection), caller.reaches(current) else { throw RecordsError.notFound }
                try RecordsRoutes.checkClinician(caller, may: R.self, write: current.fields)
                let currentBody = JSON.serialize(current.json)
                guard ETag.ifMatch(request, current: ETag.of(currentBody)) else { throw RecordsRoutes.preconditionFailed() }
                let now = clock()
                let fields = try current.patched(with: patch, now: now)
                if let own = caller.reachablePatient, let owner = R.owner(of: fields, id: id), owner != own {
                    throw RecordsError.notFound
                }
                try RecordsRoutes.checkClinician(caller, may: R.self, write: fields)
                try context.auditChange(
                    connection, status: 200, resource: id, patient: current.ownerPatientId, at: now)
                // A patch that changes nothing leaves the record (and its updatedAt) alone.
                if fields == current.fields { return (currentBody, []) }
                let updated = try R.update(id, fields, now: now, connection)
                return (JSON.serialize(updated.json), [current.ownerPatientId, updated.ownerPatientId])
            }
            versions.recordChanged(R.self, patients: owners)
            return RecordsRoutes.response(body, etag: ETag.of(body))
        }

        api.add(
            Operation(
                method: "DELETE", path: itemPath, operationId: "delete\(name)",
                summary: R.self == Patient.self
                    ? "Erase a patient with every episode and session of theirs."
                    : "Delete a \(name.lowercased()).",
                tag: tag, access: .roles(access.delete, patientData: patientData), parameters: [idParameter, ifMatch],
                responses: [
                    .empty(204, "Deleted."),
                    .problem(404, "No such record."),
                    .problem(412, "If-Match does not match the current ETag."),
                ] + (R.self == Therapist.self
                    ? [.problem(409, "The therapist has sessions; set active to false instead.")] : []))
        ) { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            guard id > 0 else { throw RecordsError.notFound }
            let conditional = !request.headers.values("If-Match").isEmpty
            let caller = context.authenticated
            context.audit(resource: id, patient: nil)
            let owner = try await database.write { connection -> Int64? in
                guard let current = try R.find(id, connection), caller.reaches(current) else { throw RecordsError.notFound }
                try RecordsRoutes.checkClinician(caller, may: R.self, write: current.fields)
                if conditional {
                    guard ETag.ifMatch(request, current: ETag.of(JSON.serialize(current.json))) else {
                        throw RecordsRoutes.preconditionFailed()
                    }
                }
                try R.delete(id, connection)
                try context.auditChange(
                    connection, status: 204, resource: id, patient: current.ownerPatientId, at: clock())
                return current.ownerPatientId
            }
            // Tokens bound to an erased patient (or a deleted therapist) went with it (ON DELETE
            // CASCADE); forget any copies held for fast authentication.
            if R.self == Patient.self {
                authenticator.forget { $0.patientId == id }
            } else if R.self == Therapist.self {
                authenticator.forget { $0.therapistId == id }
            }
            versions.recordChanged(R.self, patients: [owner])
            return .empty(status: 204, headers: ["Cache-Control": "no-store"])
        }
    }
}
