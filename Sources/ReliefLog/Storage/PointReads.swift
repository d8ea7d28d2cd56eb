import SQLite

/// Short reads (a record by id, a token by its look-up key) done on the calling thread when it
/// is an HTTP event loop with a read-only connection of its own, and on the pool's reader
/// threads otherwise.
///
/// On a loop, a point read takes microseconds; handing it to a reader thread and waiting for
/// the answer costs two thread wake-ups, more than the read itself. Reads that can take long
/// (lists, analytics, exports) go through `Transactions.read` to the pool, never here: they
/// would hold up every other connection of the loop.
final class PointReads: Sendable {
    private let database: DatabasePool
    private let readers: [ConfinedReader]
    private let currentSlot: @Sendable () -> Int?

    /// `slots` connections, one per serial context; `currentSlot` names the caller's
    /// (`nil` when it has none, and then the pool serves the read).
    init(database: DatabasePool, slots: Int, currentSlot: @escaping @Sendable () -> Int?) throws {
        self.database = database
        self.readers = try (0..<slots).map { _ in try database.makeConfinedReader() }
        self.currentSlot = currentSlot
    }

    /// Without slots: every read goes to the pool (the command line, tests of one part).
    init(database: DatabasePool) {
        self.database = database
        self.readers = []
        self.currentSlot = { nil }
    }

    /// Ends the snapshot the reads of slot `slot` shared during its owner's turn (see
    /// `ConfinedReader`); called by that slot's owner, on its thread.
    func endTurn(slot: Int) {
        if readers.indices.contains(slot) { readers[slot].endSnapshot() }
    }

    /// Runs `body` on the caller's own connection if it has one, else on a pool reader.
    func read<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        if let slot = currentSlot(), readers.indices.contains(slot) {
            return try readers[slot].read(body)
        }
        return try await database.read(body)
    }
}
