import SQLite

/// A create's response kept under its idempotency key.
struct StoredResponse: Sendable, Hashable {
    var requestHash: String
    var status: Int
    var body: [UInt8]
}

/// Remembered idempotency keys (`idempotency_keys`, Migrations/0002_records.sql).
struct IdempotencyKeys {
    let connection: Connection

    init(_ connection: Connection) { self.connection = connection }

    /// Forgets the keys made before `cutoff` (epoch milliseconds).
    func forget(before cutoff: Int64) throws {
        try connection.run("DELETE FROM idempotency_keys WHERE created_at_ms < ?", [.integer(cutoff)])
    }

    func find(scope: String, key: String) throws -> StoredResponse? {
        guard
            let row = try connection.queryOne(
                "SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE scope = ? AND key = ?",
                [.text(scope), .text(key)]),
            let hash = row.string(0), let status = row.int(1), let body = row.blob(2)
        else { return nil }
        return StoredResponse(requestHash: hash, status: status, body: body)
    }

    func insert(_ response: StoredResponse, scope: String, key: String, now: Int64) throws {
        try connection.run(
            """
            INSERT INTO idempotency_keys (scope, key, request_hash, response_status, response_body, created_at_ms)
            VALUES (?, ?, ?, ?, ?, ?)
            """,
            [
                .text(scope), .text(key), .text(response.requestHash), .integer(Int64(response.status)),
                .blob(response.body), .integer(now),
            ])
    }
}
