import SQLite

/// Runs the API's write transactions and, once one has committed, hands the record changes it
/// made to the work that must follow every commit: analytics data versions, the token cache,
/// and (through the same list) anything else that reacts to changes. Routes report what they
/// changed; they never remember that follow-up work themselves.
///
/// `inTransaction` hooks run inside the transaction, after the route's own work, so what they
/// write (an event row, say) commits or rolls back with the change it reports.
final class Transactions: Sendable {
    typealias InTransactionHook = @Sendable ([RecordChange], Connection) throws -> Void
    typealias AfterCommitHook = @Sendable ([RecordChange]) -> Void

    let database: DatabasePool
    let pointReads: PointReads
    private let inTransaction: [InTransactionHook]
    private let afterCommit: [AfterCommitHook]

    init(
        database: DatabasePool, pointReads: PointReads? = nil, inTransaction: [InTransactionHook] = [],
        afterCommit: [AfterCommitHook]
    ) {
        self.database = database
        self.pointReads = pointReads ?? PointReads(database: database)
        self.inTransaction = inTransaction
        self.afterCommit = afterCommit
    }

    /// Runs `body` in one write transaction; `body` appends every record it created, changed
    /// or deleted to the list it is given.
    func write<T: Sendable>(
        _ body: @escaping @Sendable (Connection, inout [RecordChange]) throws -> T
    ) async throws -> T {
        let hooks = inTransaction
        let (value, changes) = try await database.write { connection -> (T, [RecordChange]) in
            var changes: [RecordChange] = []
            let value = try body(connection, &changes)
            if !changes.isEmpty {
                for hook in hooks { try hook(changes, connection) }
            }
            return (value, changes)
        }
        if !changes.isEmpty {
            for hook in afterCommit { hook(changes) }
        }
        return value
    }

    /// A read on a reader connection of the pool: for reads that may take long.
    func read<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await database.read(body)
    }

    /// A read of a few rows by key, on the calling event loop's own connection when it has one
    /// (see `PointReads`).
    func pointRead<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await pointReads.read(body)
    }
}
