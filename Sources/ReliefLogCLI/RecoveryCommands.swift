import ArgumentParser
import Foundation
import ReliefLog
import SQLite

/// `relieflog verify`: checks a database file (live or a backup) and exits 0 only if it is sound.
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Check a database without changing it: integrity, foreign keys, migration checksums, rows per table. Exit 0 only if all hold.",
        discussion: "Safe beside a running server (it reads one snapshot) and on a backup file.")

    @OptionGroup var options: DatabaseOptions

    @Flag(name: .long, help: "PRAGMA quick_check instead of the full integrity_check (skips index contents).")
    var quick = false

    func run() async throws {
        let (configuration, _) = try prepare(
            ConfigurationOverrides(
                configFile: options.config, databasePath: options.db, migrationsDirectory: options.migrations,
                logLevel: options.logLevel ?? "warning"))
        let path = configuration.databasePath
        let report = try verifyDatabaseFile(path: path, configuration: configuration, thorough: !quick)
        printReport(report, of: path)
        if let failure = report.firstFailure {
            throw StartupError("verify failed for \(path): \(failure.name): \(failure.detail)")
        }
    }
}

/// `relieflog restore`: puts a backup in place as a new database file, never over an existing one.
struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put a backup in place as the database (verified first; never over an existing database).",
        discussion: """
            Refuses when the target or its -wal/-shm files exist, which is always the case while a \
            server runs on it: stop the server and move the old files aside first.
            """)

    @OptionGroup var options: DatabaseOptions

    @Option(name: .long, help: "The backup file (from relieflog backup).")
    var from: String

    func run() async throws {
        let (configuration, _) = try prepare(
            ConfigurationOverrides(
                configFile: options.config, databasePath: options.db, migrationsDirectory: options.migrations,
                logLevel: options.logLevel ?? "warning"))
        let report = try restoreBackup(from: from, to: configuration.databasePath, configuration: configuration)
        printReport(report, of: from)
        FileHandle.standardOutput.write(Data("restored \(from) to \(configuration.databasePath)\n".utf8))
    }
}

/// One line per check and per table, then "ok" or "FAILED", on standard output.
func printReport(_ report: VerificationReport, of path: String) {
    var lines = ["verifying \(path)"]
    for check in report.checks {
        lines.append("\(check.name): \(check.detail)")
    }
    for (table, rows) in report.rowCounts {
        lines.append("rows \(table): \(rows)")
    }
    lines.append(report.passed ? "ok" : "FAILED")
    FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
}
