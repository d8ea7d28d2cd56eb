import JSON
import SQLite

struct AuditQuery: Sendable, Hashable {
    var patientId: Int64?
    var tokenId: Int64?
    var limit: Int = PageLimit.default
    var cursor: String?
}

/// A stored audit line.
struct AuditRecord: Sendable, Hashable {
    var id: Int64
    var entry: AuditEntry

    var json: JSONValue {
        func optional(_ value: Int64?) -> JSONValue { value.map { .number(.integer($0)) } ?? .null }
        var object = JSONObject()
        object.append("id", .number(.integer(id)))
        object.append("at", .string(Timestamp.format(entry.at)))
        object.append("tokenId", optional(entry.tokenId))
        object.append("role", entry.role.map { .string($0.rawValue) } ?? .null)
        object.append("method", .string(entry.method))
        object.append("route", .string(entry.route))
        object.append("resourceId", optional(entry.resourceId))
        object.append("patientId", optional(entry.patientId))
        object.append("status", .number(.integer(Int64(entry.status))))
        object.append("requestId", entry.requestId.map(JSONValue.string) ?? .null)
        return .object(object)
    }
}

/// The audit log in SQLite (`audit_log`, Migrations/0003_access.sql, rebuilt by 0004), newest first.
struct AuditRepository {
    let connection: Connection

    init(_ connection: Connection) { self.connection = connection }

    func list(_ query: AuditQuery) throws -> Page<AuditRecord> {
        var filter = ListFilter()
        if let patientId = query.patientId { filter.add("patient_id = ?", .integer(patientId)) }
        if let tokenId = query.tokenId { filter.add("token_id = ?", .integer(tokenId)) }
        if let cursor = query.cursor {
            guard let key = Cursor.decode(cursor, list: "audit", count: 1) else { throw RecordsError.invalidCursor }
            filter.add("id < ?", .integer(key[0]))
        }
        let limit = clampedLimit(query.limit)
        let rows = try connection.fetchAll(
            """
            SELECT id, at_ms, token_id, role, method, route, resource_id, patient_id, status, request_id
            FROM audit_log\(filter.whereClause) ORDER BY id DESC LIMIT ?
            """,
            filter.bindings + [.integer(Int64(limit + 1))], Self.decode)
        return Page(fetched: rows, limit: limit) { Cursor.encode(list: "audit", key: [$0.id]) }
    }

    private static func decode(_ s: Statement) -> AuditRecord {
        AuditRecord(
            id: s.int64(0),
            entry: AuditEntry(
                at: s.int64(1), tokenId: s.optionalInt64(2), role: s.optionalText(3).flatMap(Role.init(rawValue:)),
                method: s.text(4) ?? "", route: s.text(5) ?? "", resourceId: s.optionalInt64(6),
                patientId: s.optionalInt64(7), status: s.int(8), requestId: s.optionalText(9)))
    }
}
