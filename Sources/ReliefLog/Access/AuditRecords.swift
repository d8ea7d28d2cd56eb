import JSON

/// Filters and paging of `GET /v1/audit`.
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
