import SQLite

/// The transactional outbox: turns the record changes of one write transaction into event
/// rows (and the deliveries they owe to matching webhooks) inside that same transaction.
///
/// `Transactions` calls it as an `inTransaction` hook for every API write. Other writers that
/// change records (imports, the command line) call `record(_:_:now:)` from inside their own
/// write transaction with one `RecordChange` per record they created, changed or deleted.
enum EventOutbox {
    /// Writes one event per change, in order. For created and updated records the object is
    /// read back on the same connection, so it is exactly what `GET` would render after commit.
    static func record(_ changes: [RecordChange], _ connection: Connection, now: Int64) throws {
        let events = EventRepository(connection)
        for change in changes {
            let type = "\(change.resource.rawValue).\(change.action.rawValue)"
            var object: String?
            var patientId: Int64? = change.resource == .patient ? change.id : nil
            let known = change.rendered.map { (body: $0, owner: change.patients.first) }
            if change.action != .deleted, let record = try known ?? find(change.resource, change.id, connection) {
                object = String(decoding: record.body, as: UTF8.self)
                patientId = record.owner
            } else if change.resource == .episode || change.resource == .session {
                patientId = change.patients.first
            }
            if change.resource == .patient, change.action == .deleted {
                // Erasure: what earlier events held of this patient's data is not kept either.
                try events.redact(patient: change.id)
            }
            try events.insert(
                type: type, resourceId: change.id, patientId: patientId, object: object, webhookId: nil, now: now)
        }
    }

    /// The record as its response body (rendered from its row) and its owning patient.
    private static func find(
        _ kind: ResourceKind, _ id: Int64, _ connection: Connection
    ) throws -> (body: [UInt8], owner: Int64?)? {
        switch kind {
        case .patient: try RecordRepository<Patient>(connection).findJSON(id: id)
        case .therapist: try RecordRepository<Therapist>(connection).findJSON(id: id)
        case .episode: try RecordRepository<Episode>(connection).findJSON(id: id)
        case .session: try RecordRepository<MassageSession>(connection).findJSON(id: id)
        }
    }
}
