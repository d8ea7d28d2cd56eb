import HTTP
import JSON

/// `/v1/patients`, `/v1/therapists`, `/v1/episodes` and `/v1/sessions`: create, read, list,
/// merge-patch and delete, with ETags, conditional requests and idempotent creation
/// (API.md "Resources", "Concurrency and caching", "Idempotent creation").
struct RecordsRoutes {
    let transactions: Transactions
    /// The current time in epoch milliseconds; injectable so tests can fix it.
    let clock: @Sendable () -> Int64

    func register(in api: inout APIBuilder) {
        register(Patient.self, in: &api)
        register(Therapist.self, in: &api)
        register(Episode.self, in: &api)
        register(MassageSession.self, in: &api)
    }

    private func register<R: RecordResource>(_: R.Type, in api: inout APIBuilder) {
        let handlers = RecordHandlers<R>(transactions: transactions, clock: clock)
        api.add(RecordOperations<R>.create, handler: handlers.create)
        api.add(RecordOperations<R>.list, handler: handlers.list)
        api.add(RecordOperations<R>.read, handler: handlers.read)
        api.add(RecordOperations<R>.update, handler: handlers.update)
        api.add(RecordOperations<R>.delete, handler: handlers.delete)
    }
}

/// The handlers of the five operations on one resource. Each write reports the record it
/// changed to its transaction; what follows a commit (analytics versions, the token cache)
/// is `Transactions`' business.
struct RecordHandlers<R: RecordResource>: Sendable {
    let transactions: Transactions
    let clock: @Sendable () -> Int64

    @Sendable func create(_ request: HTTPServerRequest, _ context: APIContext) async throws -> HTTPResponse {
        let caller = context.authenticated
        let idempotency = try IdempotentCreate(request, caller: caller, path: R.collectionPath)
        var body = try RequestBody.object(request)
        if R.impliesPatientId, let own = caller.reachablePatient { try Self.imply(patient: own, in: &body) }
        var validated = try R.Fields(validating: body, now: clock())
        validated.recordCreation(byPatient: caller.role == .patient)
        let fields = validated
        try Self.checkClinician(caller, write: fields)
        let clock = clock
        let outcome = try await transactions.write { connection, changes -> IdempotentCreate.Outcome in
            let now = clock()
            if let replay = try idempotency?.replay(connection, now: now) { return replay }
            let records = RecordRepository<R>(connection)
            let record = try records.insert(fields, now: now)
            // Rendered once, from the row just written, as GET renders it: for the response, the
            // change event and a replay.
            let body = try records.findJSON(id: record.id)?.body ?? JSON.serialize(record.json)
            var change = Self.change(.created, record.id, patients: [record.ownerPatientId])
            change.rendered = body
            changes.append(change)
            try context.auditChange(
                connection, status: 201, resource: record.id, patient: record.ownerPatientId, at: now)
            let outcome = IdempotentCreate.Outcome(status: 201, body: body, id: record.id, replayed: false)
            try idempotency?.remember(outcome, connection, now: now)
            return outcome
        }
        var response = Responses.json(outcome.body, status: outcome.status, etag: ETag.of(outcome.body))
        if let id = outcome.id { response.headers.add("Location", "\(R.collectionPath)/\(id)") }
        if outcome.replayed { response.headers.add("Idempotent-Replayed", "true") }
        return response
    }

    @Sendable func list(_ request: HTTPServerRequest, _ context: APIContext) async throws -> HTTPResponse {
        var parameters = try QueryParameters(request)
        var query = R.query(&parameters)
        try parameters.finish()
        if let own = context.authenticated.reachablePatient { try R.scope(&query, toPatient: own) }
        context.audit(patient: R.patientFilter(of: query))
        let scopedQuery = query
        let filters = parameters
        // The page written straight from its rows: `{"items": [...], "nextCursor": ...}`.
        let body = try await transactions.read { connection in
            var writer = JSONTextWriter(capacity: 16 * 1024)
            writer.beginObject()
            writer.key("items")
            writer.beginArray()
            let next = try RecordRepository<R>(connection).listJSON(scopedQuery, into: &writer)
            writer.endArray()
            writer.key("nextCursor")
            if let next = filters.bound(cursor: next) { writer.string(next) } else { writer.null() }
            writer.endObject()
            return writer.finish()
        }
        return Responses.json(body)
    }

    @Sendable func read(_ request: HTTPServerRequest, _ context: APIContext) async throws -> HTTPResponse {
        let id = try Self.id(context)
        // Rendered straight from the row: the record itself is not needed, only its body.
        let found = try await transactions.pointRead { connection in
            try RecordRepository<R>(connection).findJSON(id: id)
        }
        // Audited before the reach check, so a refused attempt names whose data it aimed at.
        context.audit(resource: id, patient: found?.owner)
        guard let found, context.authenticated.reaches(owner: found.owner) else { throw RecordsError.notFound }
        let body = found.body
        let etag = ETag.of(body)
        if ETag.ifNoneMatchMatches(request, current: etag) { return Responses.notModified(etag: etag) }
        return Responses.json(body, etag: etag)
    }

    @Sendable func update(_ request: HTTPServerRequest, _ context: APIContext) async throws -> HTTPResponse {
        let id = try Self.id(context)
        let patch = try RequestBody.object(request, accepting: RequestBody.mergePatchMediaTypes)
        let caller = context.authenticated
        context.audit(resource: id, patient: nil)
        let clock = clock
        // Check, merge, validate and update in one write, so no other change slips between.
        let body = try await transactions.write { connection, changes -> [UInt8] in
            let records = RecordRepository<R>(connection)
            guard let current = try records.find(id: id), caller.reaches(current) else { throw RecordsError.notFound }
            try Self.checkClinician(caller, write: current.fields)
            let currentBody = JSON.serialize(current.json)
            guard ETag.ifMatch(request, current: ETag.of(currentBody)) else { throw Responses.preconditionFailed() }
            let now = clock()
            let fields = try current.patched(with: patch, now: now)
            let patched = R(id: id, fields: fields, createdAt: current.createdAt, updatedAt: current.updatedAt)
            // A patient token cannot move a record to another patient: as if it did not exist.
            guard caller.reaches(patched) else { throw RecordsError.notFound }
            try Self.checkClinician(caller, write: fields)
            try context.auditChange(connection, status: 200, resource: id, patient: current.ownerPatientId, at: now)
            // A patch that changes nothing leaves the record (and its updatedAt) alone.
            if fields == current.fields { return currentBody }
            let updated = try records.update(id: id, fields, now: now)
            changes.append(Self.change(.updated, id, patients: [current.ownerPatientId, updated.ownerPatientId]))
            return JSON.serialize(updated.json)
        }
        return Responses.json(body, etag: ETag.of(body))
    }

    @Sendable func delete(_ request: HTTPServerRequest, _ context: APIContext) async throws -> HTTPResponse {
        let id = try Self.id(context)
        let conditional = !request.headers.values("If-Match").isEmpty
        let caller = context.authenticated
        context.audit(resource: id, patient: nil)
        let clock = clock
        try await transactions.write { connection, changes in
            let records = RecordRepository<R>(connection)
            guard let current = try records.find(id: id), caller.reaches(current) else { throw RecordsError.notFound }
            try Self.checkClinician(caller, write: current.fields)
            if conditional, !ETag.ifMatch(request, current: ETag.of(JSON.serialize(current.json))) {
                throw Responses.preconditionFailed()
            }
            // Erasure takes the patient's episodes and sessions along: each deletion is reported.
            if R.resource == .patient { changes += try PatientErasure.dependents(ofPatient: id, connection) }
            try records.delete(id: id)
            changes.append(Self.change(.deleted, id, patients: [current.ownerPatientId]))
            try context.auditChange(connection, status: 204, resource: id, patient: current.ownerPatientId, at: clock())
        }
        return .empty(status: 204, headers: ["Cache-Control": "no-store"])
    }

    // MARK: Rules the handlers share

    /// The path's id; ids are positive, so anything else is no record.
    private static func id(_ context: APIContext) throws -> Int64 {
        let id = try context.parameters.require("id", as: Int64.self)
        guard id > 0 else { throw RecordsError.notFound }
        return id
    }

    /// A patient token's records are its patient's: `patientId` is implied, and naming another
    /// patient is answered as if that patient did not exist.
    private static func imply(patient own: Int64, in body: inout JSONObject) throws {
        if let named = body["patientId"] {
            if let id = named.integralValue, id != own { throw RecordsError.notFound }
        } else {
            body.append("patientId", .number(.integer(own)))
        }
    }

    /// A clinician token writes only its own therapist's sessions (403 otherwise: the clinician
    /// can read the record, so refusing it reveals nothing).
    private static func checkClinician(_ caller: Caller, write fields: R.Fields) throws(AccessDenied) {
        guard caller.role == .clinician, let therapistId = caller.therapistId else { return }
        guard R.clinician(therapistId, mayWrite: fields) else {
            throw AccessDenied.other("A clinician token may only record and change its own therapist's sessions.")
        }
    }

    private static func change(_ action: RecordChange.Action, _ id: Int64, patients: [Int64?]) -> RecordChange {
        var owners: [Int64] = []
        for case let patient? in patients where !owners.contains(patient) { owners.append(patient) }
        return RecordChange(resource: R.resource, action: action, id: id, patients: owners)
    }
}
