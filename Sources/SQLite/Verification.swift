import CSQLite

/// What `verifyDatabase` found: every check's outcome and the row count of every table.
public struct VerificationReport: Sendable {
    /// One check and what it found.
    public struct Check: Sendable {
        /// Short name, e.g. `integrity_check`.
        public let name: String
        /// Whether the check passed.
        public let passed: Bool
        /// One line: "ok", or what is wrong.
        public let detail: String
    }

    /// The checks, in the order they ran.
    public var checks: [Check] = []
    /// Every table (the database's own `sqlite_` tables excepted) with its row count, by name.
    public var rowCounts: [(table: String, rows: Int64)] = []

    /// Whether every check passed.
    public var passed: Bool { checks.allSatisfy(\.passed) }

    /// The first failing check, if any.
    public var firstFailure: Check? { checks.first { !$0.passed } }
}

extension Migrator {
    /// Checks a database without changing it: `PRAGMA integrity_check` (or `quick_check` when
    /// `thorough` is false; https://www.sqlite.org/pragma.html#pragma_integrity_check),
    /// `PRAGMA foreign_key_check`, the applied migrations against these ones (same versions
    /// known, same checksums; pending ones are reported, not failed, since `migrate` applies
    /// them), and counts the rows of every table.
    ///
    /// Runs in one read transaction, so on a live database every figure is of one snapshot.
    /// Errors SQLite reports while reading (a file that is not a database, say) are thrown.
    public func verify(_ connection: Connection, thorough: Bool = true) throws -> VerificationReport {
        var report = VerificationReport()
        try connection.transaction(.deferred) { connection in
            let pragma = thorough ? "integrity_check" : "quick_check"
            // At most 100 problems are listed (SQLite's default); the first says enough.
            let problems = try connection.query("PRAGMA \(pragma)").compactMap { $0.string(0) }
            let intact = problems == ["ok"]
            report.checks.append(
                .init(
                    name: pragma, passed: intact,
                    detail: intact ? "ok" : "\(problems.count) problem(s), first: \(problems.first ?? "?")"))

            let violations = try connection.query("PRAGMA foreign_key_check")
            report.checks.append(
                .init(
                    name: "foreign_key_check", passed: violations.isEmpty,
                    detail: violations.isEmpty
                        ? "ok"
                        : "\(violations.count) row(s) name a missing parent, first in table "
                            + "\(violations.first?.string(0) ?? "?")"))

            report.checks.append(try migrationCheck(connection))

            let tables = try connection.query(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
            ).compactMap { $0.string(0) }
            for table in tables {
                let count = try connection.scalar("SELECT count(*) FROM \(quoteIdentifier(table))")
                if case .integer(let rows)? = count { report.rowCounts.append((table, rows)) }
            }
        }
        return report
    }

    private func migrationCheck(_ connection: Connection) throws -> VerificationReport.Check {
        let exists = try connection.scalar(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'")
        guard exists == .integer(1) else {
            return .init(
                name: "migrations", passed: false, detail: "no schema_migrations table: not a ReliefLog database")
        }
        do {
            let pending = try self.pending(connection)
            let applied = migrations.count - pending.count
            var detail = "\(applied) applied, checksums match"
            if !pending.isEmpty {
                detail +=
                    "; \(pending.count) pending (\(pending.map(\.fileName).joined(separator: ", "))), "
                    + "applied by the next migrate or serve"
            }
            return .init(name: "migrations", passed: true, detail: detail)
        } catch let error as MigrationError {
            return .init(name: "migrations", passed: false, detail: error.description)
        }
    }
}
