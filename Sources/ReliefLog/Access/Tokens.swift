import JSON

/// What is known of a token besides its secret: everything `GET /v1/tokens` shows.
struct TokenMetadata: Sendable, Hashable {
    var id: Int64
    var lookup: String
    var role: Role
    var patientId: Int64?
    var therapistId: Int64?
    var label: String?
    var createdAt: Int64
    var expiresAt: Int64?

    /// The caller a request with this token acts as.
    var caller: Caller { Caller(tokenId: id, role: role, patientId: patientId, therapistId: therapistId) }

    /// The API representation. `prefix` is the token's public beginning, enough to tell tokens
    /// apart in a list and to recognise one in a leak report, useless for authenticating.
    var json: JSONValue {
        var object = JSONObject()
        object.append("id", .number(.integer(id)))
        object.append("role", .string(role.rawValue))
        object.append("patientId", patientId.map { .number(.integer($0)) } ?? .null)
        object.append("therapistId", therapistId.map { .number(.integer($0)) } ?? .null)
        object.append("label", label.map(JSONValue.string) ?? .null)
        object.append("prefix", .string("\(AccessToken.prefix)\(lookup)"))
        object.append("createdAt", .string(Timestamp.format(createdAt)))
        object.append("expiresAt", expiresAt.map { .string(Timestamp.format($0)) } ?? .null)
        return .object(object)
    }
}

/// A token as stored: its metadata and the SHA-256 digest of the token text.
struct StoredToken: Sendable {
    var metadata: TokenMetadata
    var digest: [UInt8]
}

/// What a new token is for.
struct TokenGrant: Sendable, Hashable {
    var role: Role
    var patientId: Int64?
    var therapistId: Int64?
    var label: String?
    var expiresAt: Int64?
}

struct TokenQuery: Sendable, Hashable {
    var patientId: Int64?
    var role: Role?
    var limit: Int = PageLimit.default
    var cursor: String?
}
