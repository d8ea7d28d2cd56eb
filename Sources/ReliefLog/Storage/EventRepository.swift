import SQLite

// The event outbox and webhook deliveries (Migrations/0007_webhooks.sql).

/// Events: written inside the transaction of the change they report, read by the feed and
/// the delivery worker.
struct EventRepository {
    let connection: Connection

    init(_ connection: Connection) { self.connection = connection }

    private static let columns = "seq, public_id, type, resource_id, patient_id, object, created_at_ms"

    /// Stores an event and a pending delivery for every webhook it is owed to: the one named
    /// by `webhookId` (a ping), else every active webhook with a matching pattern.
    @discardableResult
    func insert(
        type: String, resourceId: Int64?, patientId: Int64?, object: String?, webhookId: Int64?, now: Int64
    ) throws -> StoredEvent {
        let publicId = "evt_" + EventRepository.randomId()
        try connection.run(
            """
            INSERT INTO events (public_id, type, resource_id, patient_id, object, webhook_id, created_at_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(publicId), .text(type), resourceId.map(SQLiteValue.integer) ?? .null,
                patientId.map(SQLiteValue.integer) ?? .null, object.map(SQLiteValue.text) ?? .null,
                webhookId.map(SQLiteValue.integer) ?? .null, .integer(now),
            ])
        let seq = connection.lastInsertRowID
        if let webhookId {
            try connection.run(
                """
                INSERT INTO webhook_deliveries (webhook_id, event_seq, state, next_attempt_at_ms, created_at_ms)
                VALUES (?, ?, 'pending', ?, ?)
                """, [.integer(webhookId), .integer(seq), .integer(now), .integer(now)])
        } else {
            try connection.run(
                """
                INSERT INTO webhook_deliveries (webhook_id, event_seq, state, next_attempt_at_ms, created_at_ms)
                SELECT w.id, ?1, 'pending', ?2, ?2 FROM webhooks w
                WHERE w.active = 1 AND EXISTS (
                    SELECT 1 FROM json_each(w.events) f WHERE f.value IN ('*', ?3, ?4))
                """,
                [.integer(seq), .integer(now), .text(type), .text(EventType.resourcePattern(of: type))])
        }
        return StoredEvent(
            seq: seq, publicId: publicId, type: type, resourceId: resourceId, patientId: patientId, object: object,
            createdAt: now)
    }

    /// Drops the record contents of every event about `patient` (erasure); ids and types stay.
    func redact(patient: Int64) throws {
        try connection.run(
            "UPDATE events SET object = NULL WHERE patient_id = ? AND object IS NOT NULL", [.integer(patient)])
    }

    /// The feed: events after `after` (a sequence number) in commit order, pings excluded.
    func feed(after: Int64, typePattern: String?, limit: Int) throws -> [StoredEvent] {
        var sql = "SELECT \(Self.columns) FROM events WHERE webhook_id IS NULL AND seq > ?"
        var bindings: [SQLiteValue] = [.integer(after)]
        if let typePattern, typePattern != "*" {
            if typePattern.hasSuffix(".*") {
                sql += " AND substr(type, 1, ?) = ?"
                let prefix = String(typePattern.dropLast(1))
                bindings += [.integer(Int64(prefix.utf8.count)), .text(prefix)]
            } else {
                sql += " AND type = ?"
                bindings.append(.text(typePattern))
            }
        }
        sql += " ORDER BY seq LIMIT ?"
        bindings.append(.integer(Int64(limit)))
        return try connection.fetchAll(sql, bindings, Self.decode)
    }

    /// The newest sequence number, 0 when there are no events.
    func lastSeq() throws -> Int64 {
        guard case .integer(let seq) = try connection.scalar("SELECT coalesce(max(seq), 0) FROM events") else {
            return 0
        }
        return seq
    }

    /// Deletes events older than `cutoff` that no pending delivery still needs, and delivered
    /// or failed deliveries older than `cutoff`. Returns the rows deleted.
    func prune(before cutoff: Int64) throws -> Int {
        try connection.run(
            "DELETE FROM webhook_deliveries WHERE state <> 'pending' AND created_at_ms < ?", [.integer(cutoff)])
        var deleted = connection.changes
        try connection.run(
            """
            DELETE FROM events WHERE created_at_ms < ?
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_seq = events.seq AND d.state = 'pending')
            """, [.integer(cutoff)])
        deleted += connection.changes
        return deleted
    }

    static func decode(_ s: Statement) throws -> StoredEvent {
        StoredEvent(
            seq: s.int64(0), publicId: s.text(1) ?? "", type: s.text(2) ?? "", resourceId: s.optionalInt64(3),
            patientId: s.optionalInt64(4), object: s.optionalText(5), createdAt: s.int64(6))
    }

    /// 16 random bytes in base64url: 22 characters.
    private static func randomId() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt128
        let bytes = (0..<16).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
        return Base64URL.encode(bytes)
    }
}

/// Delivery states of the contract.
enum DeliveryState: String, Sendable, CaseIterable {
    case pending, delivered, failed
}

/// One event owed to one webhook, as the deliveries list shows it.
struct Delivery: Sendable {
    var id: Int64
    var webhookId: Int64
    var eventSeq: Int64
    var eventId: String
    var eventType: String
    var state: DeliveryState
    var attempts: Int
    var lastStatus: Int?
    var lastError: String?
    var lastAttemptAt: Int64?
    var nextAttemptAt: Int64?
    var deliveredAt: Int64?
    var createdAt: Int64
}

/// The head of one webhook's queue, with everything an attempt needs.
struct DueDelivery: Sendable {
    var deliveryId: Int64
    var attempts: Int
    var nextAttemptAt: Int64
    var event: StoredEvent
}

/// A webhook's address and sealed secrets, for the worker.
struct WebhookTarget: Sendable {
    var id: Int64
    var url: String
    var active: Bool
    var secretSealed: [UInt8]
    var previousSecretSealed: [UInt8]?
    var previousSecretUntil: Int64?
}

/// Deliveries: the worker's queue and the admin's view of it.
struct DeliveryRepository {
    let connection: Connection

    init(_ connection: Connection) { self.connection = connection }

    private static let columns = """
        d.id, d.webhook_id, d.event_seq, e.public_id, e.type, d.state, d.attempts, d.last_status, d.last_error,
        d.last_attempt_at_ms, d.next_attempt_at_ms, d.delivered_at_ms, d.created_at_ms
        """

    /// Each active webhook's oldest pending delivery: (webhook, when it is due). One index
    /// lookup per webhook (`webhook_deliveries_pending`), however long the queues are.
    func heads() throws -> [(webhookId: Int64, dueAt: Int64)] {
        try connection.fetchAll(
            """
            SELECT id, due FROM (
                SELECT w.id, (
                    SELECT coalesce(d.next_attempt_at_ms, 0) FROM webhook_deliveries d
                    WHERE d.webhook_id = w.id AND d.state = 'pending' ORDER BY d.event_seq LIMIT 1
                ) AS due
                FROM webhooks w WHERE w.active = 1
            ) WHERE due IS NOT NULL
            """, []
        ) { s in (s.int64(0), s.int64(1)) }
    }

    /// The oldest pending delivery of one webhook, with its event.
    func head(webhookId: Int64) throws -> DueDelivery? {
        try connection.fetchOne(
            """
            SELECT d.id, d.attempts, coalesce(d.next_attempt_at_ms, 0),
                   e.seq, e.public_id, e.type, e.resource_id, e.patient_id, e.object, e.created_at_ms
            FROM webhook_deliveries d JOIN events e ON e.seq = d.event_seq
            WHERE d.webhook_id = ? AND d.state = 'pending' ORDER BY d.event_seq LIMIT 1
            """, [.integer(webhookId)]
        ) { s in
            DueDelivery(
                deliveryId: s.int64(0), attempts: s.int(1), nextAttemptAt: s.int64(2),
                event: StoredEvent(
                    seq: s.int64(3), publicId: s.text(4) ?? "", type: s.text(5) ?? "", resourceId: s.optionalInt64(6),
                    patientId: s.optionalInt64(7), object: s.optionalText(8), createdAt: s.int64(9)))
        }
    }

    func target(webhookId: Int64) throws -> WebhookTarget? {
        try connection.fetchOne(
            """
            SELECT id, url, active, secret_sealed, previous_secret_sealed, previous_secret_until_ms
            FROM webhooks WHERE id = ?
            """, [.integer(webhookId)]
        ) { s in
            WebhookTarget(
                id: s.int64(0), url: s.text(1) ?? "", active: s.int64(2) != 0, secretSealed: s.blob(3) ?? [],
                previousSecretSealed: s.isNull(4) ? nil : s.blob(4), previousSecretUntil: s.optionalInt64(5))
        }
    }

    /// Records an attempt's outcome on a pending delivery: delivered, failed for good, or
    /// pending again with its next attempt.
    func recordAttempt(
        deliveryId: Int64, state: DeliveryState, status: Int?, error: String?, nextAttemptAt: Int64?, now: Int64
    ) throws {
        try connection.run(
            """
            UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, last_status = ?, last_error = ?,
                last_attempt_at_ms = ?, next_attempt_at_ms = ?, delivered_at_ms = ?
            WHERE id = ? AND state = 'pending'
            """,
            [
                .text(state.rawValue), status.map { .integer(Int64($0)) } ?? .null,
                error.map(SQLiteValue.text) ?? .null,
                .integer(now), nextAttemptAt.map(SQLiteValue.integer) ?? .null,
                state == .delivered ? .integer(now) : .null, .integer(deliveryId),
            ])
    }

    /// Turns a webhook off after its receiver answered 410 Gone.
    func disable(webhookId: Int64, reason: String, now: Int64) throws {
        try connection.run(
            "UPDATE webhooks SET active = 0, disabled_reason = ?, updated_at_ms = ? WHERE id = ?",
            [.text(reason), .integer(now), .integer(webhookId)])
    }

    func find(webhookId: Int64, id: Int64) throws -> Delivery? {
        try connection.fetchOne(
            """
            SELECT \(Self.columns) FROM webhook_deliveries d JOIN events e ON e.seq = d.event_seq
            WHERE d.webhook_id = ? AND d.id = ?
            """, [.integer(webhookId), .integer(id)], Self.decode)
    }

    /// One page of a webhook's deliveries, newest first.
    func list(webhookId: Int64, state: DeliveryState?, limit: Int, cursor: String?) throws -> Page<Delivery> {
        var sql = "SELECT \(Self.columns) FROM webhook_deliveries d JOIN events e ON e.seq = d.event_seq"
        sql += " WHERE d.webhook_id = ?"
        var bindings: [SQLiteValue] = [.integer(webhookId)]
        if let state {
            sql += " AND d.state = ?"
            bindings.append(.text(state.rawValue))
        }
        if let cursor {
            guard let key = Cursor.decode(cursor, list: "deliveries", count: 1) else {
                throw RecordsError.invalidCursor
            }
            sql += " AND d.id < ?"
            bindings.append(.integer(key[0]))
        }
        sql += " ORDER BY d.id DESC LIMIT ?"
        bindings.append(.integer(Int64(limit + 1)))
        let rows = try connection.fetchAll(sql, bindings, Self.decode)
        return Page(fetched: rows, limit: limit) { Cursor.encode(list: "deliveries", key: [$0.id]) }
    }

    /// Queues a delivery again for an attempt now (a manual retry); false when there is none.
    func retry(webhookId: Int64, id: Int64, now: Int64) throws -> Bool {
        try connection.run(
            """
            UPDATE webhook_deliveries SET state = 'pending', next_attempt_at_ms = ?, delivered_at_ms = NULL
            WHERE webhook_id = ? AND id = ?
            """, [.integer(now), .integer(webhookId), .integer(id)])
        return connection.changes > 0
    }

    /// Pending deliveries of active webhooks (the queue depth).
    func pendingCount() throws -> Int {
        let value = try connection.scalar(
            """
            SELECT count(*) FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
            WHERE d.state = 'pending' AND w.active = 1
            """)
        guard case .integer(let count) = value else { return 0 }
        return Int(count)
    }

    private static func decode(_ s: Statement) throws -> Delivery {
        guard let state = DeliveryState(rawValue: s.text(5) ?? "") else {
            throw RecordsError.storedDataInvalid(table: "webhook_deliveries", id: s.int64(0), column: "state")
        }
        return Delivery(
            id: s.int64(0), webhookId: s.int64(1), eventSeq: s.int64(2), eventId: s.text(3) ?? "",
            eventType: s.text(4) ?? "", state: state, attempts: s.int(6),
            lastStatus: s.optionalInt64(7).map { Int($0) },
            lastError: s.optionalText(8), lastAttemptAt: s.optionalInt64(9),
            nextAttemptAt: state == .pending ? s.optionalInt64(10) : nil, deliveredAt: s.optionalInt64(11),
            createdAt: s.int64(12))
    }
}

/// What erasing a patient deletes with them (by `ON DELETE CASCADE`), as record changes, so
/// the deletion of each episode and session is reported (and its events written) too.
enum PatientErasure {
    static func dependents(ofPatient patientId: Int64, _ connection: Connection) throws -> [RecordChange] {
        var changes: [RecordChange] = []
        for kind in [ResourceKind.episode, .session] {
            let ids = try connection.fetchAll(
                "SELECT id FROM \(kind.table) WHERE patient_id = ? ORDER BY id", [.integer(patientId)]
            ) { $0.int64(0) }
            changes += ids.map { RecordChange(resource: kind, action: .deleted, id: $0, patients: [patientId]) }
        }
        return changes
    }
}
