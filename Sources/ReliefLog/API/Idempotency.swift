import HTTP
import JSON
import SQLite

/// Idempotent creation (API.md "Idempotent creation"): a create sent again with the same
/// `Idempotency-Key` and body within 24 hours answers the first response again instead of
/// creating a second record; the same key with another body is 422.
///
/// Keys are per token and path, so one client never receives another's stored response. The
/// look-up and the remembering run inside the create's own transaction.
struct IdempotentCreate: Sendable {
    /// How long a key is remembered.
    static let window: Int64 = Timestamp.millisecondsPerDay

    let scope: String
    let key: String
    /// The request body's hash: the same key with another body is refused.
    let requestHash: String

    /// What a create answers: a new record, or the first response again.
    struct Outcome: Sendable {
        var status: Int
        var body: [UInt8]
        /// The record's id (for a replay, read back from the stored body).
        var id: Int64?
        var replayed: Bool
    }

    /// The request's key, or nil when it sent none; 400 for a malformed header.
    init?(_ request: HTTPServerRequest, caller: Caller, path: String) throws(Problem) {
        let values = request.headers.values("Idempotency-Key")
        guard !values.isEmpty else { return nil }
        guard values.count == 1, let key = values.first, (1...255).contains(key.utf8.count),
            key.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E })
        else {
            throw Problem.badRequest(
                "The Idempotency-Key header is invalid.",
                errors: [
                    Problem.FieldError(
                        field: "Idempotency-Key", message: "must be 1 to 255 visible ASCII characters, given once")
                ])
        }
        self.key = key
        scope = "POST \(path) token:\(caller.tokenId)"
        requestHash = FNV1a.hex(request.body)
    }

    /// The stored response of an earlier request with this key, after forgetting expired keys;
    /// `IdempotencyError.keyReused` when that request had another body.
    func replay(_ connection: Connection, now: Int64) throws -> Outcome? {
        let keys = IdempotencyKeys(connection)
        try keys.forget(before: now - Self.window)
        guard let stored = try keys.find(scope: scope, key: key) else { return nil }
        guard stored.requestHash == requestHash else { throw IdempotencyError.keyReused }
        let id = (try? JSON.parse(stored.body))?.objectValue?["id"]?.int64Value
        return Outcome(status: stored.status, body: stored.body, id: id, replayed: true)
    }

    /// Remembers the response of the create that this key made.
    func remember(_ outcome: Outcome, _ connection: Connection, now: Int64) throws {
        try IdempotencyKeys(connection).insert(
            StoredResponse(requestHash: requestHash, status: outcome.status, body: outcome.body), scope: scope,
            key: key,
            now: now)
    }
}

/// An `Idempotency-Key` used again with a different request body.
enum IdempotencyError: Error, Sendable {
    case keyReused
}
