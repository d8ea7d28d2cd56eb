import JSON
import SQLite

/// Webhook endpoints (`webhooks`, Migrations/0007_webhooks.sql). Secrets arrive sealed.
struct WebhookRepository {
    let connection: Connection

    init(_ connection: Connection) { self.connection = connection }

    private static let columns =
        "id, url, events, description, active, disabled_reason, previous_secret_until_ms, created_at_ms, updated_at_ms"

    func insert(_ fields: WebhookFields, secretSealed: [UInt8], now: Int64) throws -> Webhook {
        try connection.run(
            """
            INSERT INTO webhooks (url, events, description, active, secret_sealed, created_at_ms, updated_at_ms)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            [
                .text(fields.url), .text(Self.encode(fields.events)), fields.description.map(SQLiteValue.text) ?? .null,
                .integer(fields.active ? 1 : 0), .blob(secretSealed), .integer(now), .integer(now),
            ])
        return Webhook(
            id: connection.lastInsertRowID, url: fields.url, events: fields.events, description: fields.description,
            active: fields.active, disabledReason: nil, previousSecretUntil: nil, createdAt: now, updatedAt: now)
    }

    func find(id: Int64) throws -> Webhook? {
        try connection.fetchOne("SELECT \(Self.columns) FROM webhooks WHERE id = ?", [.integer(id)], Self.decode)
    }

    func list(limit: Int, cursor: String?) throws -> Page<Webhook> {
        var sql = "SELECT \(Self.columns) FROM webhooks"
        var bindings: [SQLiteValue] = []
        if let cursor {
            guard let key = Cursor.decode(cursor, list: "webhooks", count: 1) else { throw RecordsError.invalidCursor }
            sql += " WHERE id > ?"
            bindings.append(.integer(key[0]))
        }
        sql += " ORDER BY id LIMIT ?"
        bindings.append(.integer(Int64(limit + 1)))
        let rows = try connection.fetchAll(sql, bindings, Self.decode)
        return Page(fetched: rows, limit: limit) { Cursor.encode(list: "webhooks", key: [$0.id]) }
    }

    /// Replaces the fields; turning a webhook on clears why the server had turned it off.
    func update(id: Int64, _ fields: WebhookFields, now: Int64) throws -> Webhook? {
        try connection.run(
            """
            UPDATE webhooks SET url = ?, events = ?, description = ?, active = ?,
                disabled_reason = CASE WHEN ? = 1 THEN NULL ELSE disabled_reason END,
                updated_at_ms = max(?, updated_at_ms + 1)
            WHERE id = ?
            """,
            [
                .text(fields.url), .text(Self.encode(fields.events)), fields.description.map(SQLiteValue.text) ?? .null,
                .integer(fields.active ? 1 : 0), .integer(fields.active ? 1 : 0), .integer(now), .integer(id),
            ])
        return try find(id: id)
    }

    func delete(id: Int64) throws -> Bool {
        try connection.run("DELETE FROM webhooks WHERE id = ?", [.integer(id)])
        return connection.changes > 0
    }

    /// The sealed current secret, for a rotation.
    func sealedSecret(id: Int64) throws -> [UInt8]? {
        try connection.fetchOne("SELECT secret_sealed FROM webhooks WHERE id = ?", [.integer(id)]) { $0.blob(0) ?? [] }
    }

    /// Installs a new secret; the old one keeps signing until `previousUntil`.
    func rotate(id: Int64, newSealed: [UInt8], previousSealed: [UInt8], previousUntil: Int64, now: Int64) throws {
        try connection.run(
            """
            UPDATE webhooks SET secret_sealed = ?, previous_secret_sealed = ?, previous_secret_until_ms = ?,
                updated_at_ms = max(?, updated_at_ms + 1)
            WHERE id = ?
            """,
            [.blob(newSealed), .blob(previousSealed), .integer(previousUntil), .integer(now), .integer(id)])
    }

    private static func encode(_ events: [String]) -> String {
        String(decoding: JSON.serialize(.array(events.map(JSONValue.string))), as: UTF8.self)
    }

    private static func decode(_ s: Statement) throws -> Webhook {
        let id = s.int64(0)
        guard let text = s.text(2), case .array(let items)? = try? JSON.parse(Array(text.utf8)) else {
            throw RecordsError.storedDataInvalid(table: "webhooks", id: id, column: "events")
        }
        let events = items.compactMap { item -> String? in
            if case .string(let pattern) = item { return pattern }
            return nil
        }
        return Webhook(
            id: id, url: s.text(1) ?? "", events: events, description: s.optionalText(3), active: s.int64(4) != 0,
            disabledReason: s.optionalText(5), previousSecretUntil: s.optionalInt64(6), createdAt: s.int64(7),
            updatedAt: s.int64(8))
    }
}
