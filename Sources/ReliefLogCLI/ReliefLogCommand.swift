import ArgumentParser
import Dispatch
import Foundation
import Logging
import ReliefLog

/// `relieflog`: the service's one executable. It parses arguments and calls into the
/// `ReliefLog` module; everything else lives there, where the tests reach it too.
@main
struct ReliefLogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relieflog",
        abstract: "Migraine diary and massage-session records with trend analytics, over HTTP.",
        version: reliefLogVersion,
        subcommands: [
            Serve.self, Migrate.self, Backup.self, Token.self, Verify.self, Restore.self, Export.self, Import.self,
        ])

    /// Errors leave as one line on standard error ("relieflog: ...") with a non-zero status.
    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success || error is CleanExit { exit(withError: error) }
            let message = error is ExitCode ? "" : message(for: error)
            if let line = message.split(separator: "\n").first {
                FileHandle.standardError.write(Data("relieflog: \(line)\n".utf8))
            }
            Foundation.exit(code.rawValue)
        }
    }
}

/// Options shared by every subcommand that opens the database.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "Configuration file (JSON). Default: config/relieflog.json when present; env RELIEFLOG_CONFIG.")
    var config: String?

    @Option(name: .long, help: "SQLite database file. Default: ./data/relieflog.sqlite; env RELIEFLOG_DB.")
    var db: String?

    @Option(
        name: .long,
        help:
            "Directory of numbered .sql migrations to use instead of those built into the binary; env RELIEFLOG_MIGRATIONS."
    )
    var migrations: String?

    @Option(
        name: .customLong("log-level"),
        help: "trace, debug, info, notice, warning, error or critical. Default: info; env RELIEFLOG_LOG_LEVEL.")
    var logLevel: String?
}

/// Loads the configuration and sets up logging, or fails with a one-line reason.
func prepare(_ overrides: ConfigurationOverrides) throws -> (AppConfiguration, Logger) {
    let configuration = try AppConfiguration.load(flags: overrides)
    let level = Logger.Level(configurationName: configuration.logLevel) ?? .info
    LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
    return (configuration, Logger(label: "relieflog"))
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending migrations, then serve HTTP until SIGINT or SIGTERM.")

    @OptionGroup var options: DatabaseOptions

    @Option(name: .long, help: "Address to listen on. Default: 127.0.0.1; env RELIEFLOG_HOST.")
    var host: String?

    // Unconditional, so `--port -1` reaches the range check instead of reading as a flag.
    @Option(
        name: .long, parsing: .unconditional,
        help: "Port to listen on; 0 picks a free one. Default: 8080; env RELIEFLOG_PORT.")
    var port: Int?

    func run() async throws {
        let (configuration, logger) = try prepare(
            ConfigurationOverrides(
                configFile: options.config, host: host, port: port, databasePath: options.db,
                migrationsDirectory: options.migrations, logLevel: options.logLevel))
        let application = try buildApplication(configuration, logger: logger)
        let signals = ShutdownSignal()
        // Bind first: a start that cannot listen (a busy port) must not create, and lose, the
        // first admin token; the next start would find a token and show none.
        let boundPort: Int
        do {
            boundPort = try application.start()
        } catch {
            application.database.close()
            throw error
        }
        // The first start against a database without tokens creates one admin token and shows
        // it this once (standard error, not the log: the log must never hold a token).
        let bootstrapToken: String?
        do {
            bootstrapToken = try TokenIssuing.bootstrapAdminIfNeeded(
                in: application.database, now: configuration.clock())
        } catch {
            await application.shutdown()
            throw StartupError("cannot create the first admin token: \(error)")
        }
        if let token = bootstrapToken {
            FileHandle.standardError.write(
                Data(
                    """
                    relieflog: no tokens existed, so an admin token was created. It is shown only now; keep it safe:
                    \(token)

                    """.utf8))
        }
        let shownHost = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        // Unbuffered, so a supervisor or test reading the pipe sees it at once.
        FileHandle.standardOutput.write(Data("listening on http://\(shownHost):\(boundPort)\n".utf8))
        logger.info(
            "listening",
            metadata: [
                "host": "\(configuration.host)", "port": "\(boundPort)", "database": "\(configuration.databasePath)",
            ])
        let signal = await signals.wait()
        logger.info("shutting down", metadata: ["signal": "\(signal)"])
        await application.shutdown()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending migrations and exit.")

    @OptionGroup var options: DatabaseOptions

    func run() async throws {
        let (configuration, logger) = try prepare(
            ConfigurationOverrides(
                configFile: options.config, databasePath: options.db, migrationsDirectory: options.migrations,
                logLevel: options.logLevel))
        let applied = try migrateDatabase(configuration, logger: logger)
        // What it did, for the operator (the log says it too, as JSON).
        let summary =
            applied.isEmpty
            ? "database \(configuration.databasePath) is up to date"
            : "applied \(applied.joined(separator: ", ")) to \(configuration.databasePath)"
        FileHandle.standardOutput.write(Data("\(summary)\n".utf8))
    }
}

/// `backup`'s options: the database as it is, so no migrations.
struct BackupOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "Configuration file (JSON). Default: config/relieflog.json when present; env RELIEFLOG_CONFIG.")
    var config: String?

    @Option(name: .long, help: "SQLite database file. Default: ./data/relieflog.sqlite; env RELIEFLOG_DB.")
    var db: String?

    @Option(
        name: .customLong("log-level"),
        help: "trace, debug, info, notice, warning, error or critical. Default: info; env RELIEFLOG_LOG_LEVEL.")
    var logLevel: String?
}

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Write a consistent copy of the database while the server runs (VACUUM INTO). The database is copied as it is, never migrated."
    )

    @OptionGroup var options: BackupOptions

    @Option(name: .long, help: "Destination file; must not exist.")
    var to: String

    func run() async throws {
        let (configuration, logger) = try prepare(
            ConfigurationOverrides(configFile: options.config, databasePath: options.db, logLevel: options.logLevel))
        let destination = URL(fileURLWithPath: to).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw StartupError("cannot back up to \(to): directory \(destination) does not exist")
        }
        guard !FileManager.default.fileExists(atPath: to) else {
            throw StartupError("cannot back up to \(to): the file exists (a backup never overwrites)")
        }
        let database = try openExistingDatabase(configuration)
        defer { database.close() }
        do {
            try database.backup(to: to)
        } catch {
            throw StartupError("backup to \(to) failed: \(error)")
        }
        logger.info("backup written", metadata: ["to": "\(to)"])
        // A backup is only as good as the check that it opens and holds together.
        let report = try verifyDatabaseFile(path: to, configuration: configuration)
        printReport(report, of: to)
        if let failure = report.firstFailure {
            throw StartupError("backup \(to) was written but failed verification: \(failure.name): \(failure.detail)")
        }
    }
}

struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage bearer tokens.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Create a bearer token and print it (the token alone, on one line). It is stored only as a digest.")

        @OptionGroup var options: DatabaseOptions

        @Option(name: .long, help: "admin, clinician or patient.")
        var role: String

        @Option(name: .customLong("patient"), help: "The patient a patient token is bound to.")
        var patientId: Int64?

        @Option(name: .customLong("therapist"), help: "The therapist a clinician token acts for.")
        var therapistId: Int64?

        @Option(name: .long, help: "A label to tell tokens apart (1–100 characters).")
        var label: String?

        @Option(name: .long, help: "Expiry as an RFC 3339 timestamp; default: never.")
        var expires: String?

        func run() async throws {
            guard let role = Role(rawValue: role) else {
                throw ValidationError("--role must be admin, clinician or patient, got '\(role)'")
            }
            let (configuration, logger) = try prepare(
                ConfigurationOverrides(
                    configFile: options.config, databasePath: options.db, migrationsDirectory: options.migrations,
                    logLevel: options.logLevel ?? "warning"))
            var expiresAt: Int64?
            if let expires {
                guard let instant = TokenIssuing.instant(fromTimestamp: expires) else {
                    throw ValidationError("--expires must be an RFC 3339 timestamp such as 2027-01-31T00:00:00Z")
                }
                expiresAt = instant
            }
            // A token in a database the server does not use would be rejected: never create one.
            guard FileManager.default.fileExists(atPath: configuration.databasePath) else {
                throw StartupError(
                    "no database at \(configuration.databasePath); start the server or run `relieflog migrate` first")
            }
            let database = try openDatabase(configuration, logger: logger)
            defer { database.close() }
            let token: String
            do {
                token = try TokenIssuing.create(
                    in: database, role: role, patientId: patientId, therapistId: therapistId, label: label,
                    expiresAt: expiresAt, now: configuration.clock())
            } catch {
                throw StartupError(Self.flagWording(error))
            }
            FileHandle.standardOutput.write(Data("\(token)\n".utf8))
        }
    }
}

extension Token.Create {
    /// A token issuing error in the words of this command's flags.
    static func flagWording(_ error: TokenIssuingError) -> String {
        switch error {
        case .bindingDoesNotFitRole(.patient): "a patient token needs --patient ID (and no --therapist)"
        case .bindingDoesNotFitRole(.clinician): "a clinician token needs --therapist ID (and no --patient)"
        case .bindingDoesNotFitRole(.admin): "an admin token takes neither --patient nor --therapist"
        case .labelLength: "--label must have 1 to 100 characters"
        case .expiryNotInFuture: "--expires must be in the future"
        default: error.description
        }
    }
}

/// Turns SIGINT and SIGTERM into an awaitable event (the default action would kill the
/// process before in-flight requests finish and the database closes). The sources start at
/// once, so a signal that arrives before `wait()` is not lost.
///
/// `@unchecked Sendable`: the mutable state is guarded by `lock`; the sources are immutable
/// after `init` and Dispatch sources are thread-safe, but the Linux overlay does not mark
/// them `Sendable`.
final class ShutdownSignal: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    private let lock = NSLock()
    private var received: String?
    private var waiter: CheckedContinuation<String, Never>?

    init() {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let queue = DispatchQueue(label: "relieflog.signals")
        sources = [SIGINT, SIGTERM].map { DispatchSource.makeSignalSource(signal: $0, queue: queue) }
        for (source, name) in zip(sources, ["SIGINT", "SIGTERM"]) {
            source.setEventHandler { [weak self] in self?.fire(name) }
            source.resume()
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }

    private func fire(_ name: String) {
        lock.lock()
        let pending = waiter
        waiter = nil
        if received == nil { received = name }
        lock.unlock()
        pending?.resume(returning: name)
    }

    func wait() async -> String {
        await withCheckedContinuation { continuation in
            lock.lock()
            if let received {
                lock.unlock()
                continuation.resume(returning: received)
            } else {
                waiter = continuation
                lock.unlock()
            }
        }
    }
}

/// A progress line on standard error for long files: rewritten in place on a terminal, one
/// line per update (at most one a second) otherwise. Short files show nothing.
final class ProgressLine: @unchecked Sendable {
    private var shown = false
    private var last = Date.distantPast
    private let terminal = isatty(STDERR_FILENO) != 0
    private let started = Date()

    /// Shows `text` once the work has taken a second, then at most a few times a second.
    func update(_ text: String) {
        let now = Date()
        guard now.timeIntervalSince(started) >= 1, now.timeIntervalSince(last) >= (terminal ? 0.25 : 1) else {
            return
        }
        last = now
        shown = true
        write(text, end: terminal ? "" : "\n")
    }

    /// Ends the line (with a last state) if anything was shown.
    func finish(_ text: String) {
        if shown { write(text, end: "\n") }
        shown = false
    }

    private func write(_ text: String, end: String) {
        let start = terminal ? "\r\u{1B}[K" : ""
        FileHandle.standardError.write(Data("\(start)relieflog: \(text)\(end)".utf8))
    }
}

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export a collection (patients, therapists, episodes, sessions) as NDJSON or CSV, by id ascending.")

    @OptionGroup var options: DatabaseOptions

    @Argument(help: "patients, therapists, episodes or sessions.")
    var collection: String

    @Option(name: .long, help: "ndjson (default) or csv.")
    var format: String = "ndjson"

    @Option(name: .customLong("patient"), help: "Only this patient's rows (as that patient's token would see).")
    var patientId: Int64?

    @Option(name: .long, help: "Output file (written under a temporary name, then renamed); default: standard output.")
    var out: String?

    func run() async throws {
        let (configuration, logger) = try prepare(
            ConfigurationOverrides(
                configFile: options.config, databasePath: options.db, migrationsDirectory: options.migrations,
                logLevel: options.logLevel ?? "warning"))
        let partial = out.map { $0 + ".part" }
        let handle: FileHandle
        // Interrupted (SIGINT, SIGTERM), the command removes its partial file before it exits.
        let interruption = partial.map { RemoveOnInterrupt(path: $0) }
        if let partial {
            guard FileManager.default.createFile(atPath: partial, contents: nil),
                let file = FileHandle(forWritingAtPath: partial)
            else { throw StartupError("cannot write \(partial)") }
            handle = file
        } else {
            handle = FileHandle.standardOutput
        }
        defer { withExtendedLifetime(interruption) {} }
        let progress = ProgressLine()
        let rows: Int
        do {
            rows = try await BulkCommands.export(
                configuration, logger: logger, collection: collection, format: format, patient: patientId,
                write: { bytes in try handle.write(contentsOf: Data(bytes)) },
                progress: { rows in progress.update("exported \(rows) rows") })
            if let partial, let out {
                try handle.synchronize()
                try handle.close()
                // rename(2) replaces an existing file in one step: `out` is always either the
                // previous file or the new one, never missing or half-written.
                guard rename(partial, out) == 0 else {
                    throw StartupError("cannot rename \(partial) to \(out): \(String(cString: strerror(errno)))")
                }
            }
        } catch {
            if let partial { try? FileManager.default.removeItem(atPath: partial) }
            progress.finish("failed")
            throw error
        }
        progress.finish("exported \(rows) rows")
    }
}

/// Removes a partial output file when SIGINT or SIGTERM arrives, then exits with the shell's
/// status for that signal (128 + its number). Without it the default action would end the
/// process at once and leave the file behind. `_exit`: the export's own threads are still
/// running, and nothing else needs flushing.
///
/// `@unchecked Sendable`: immutable after `init`; Dispatch sources are thread-safe, but the
/// Linux overlay does not mark them `Sendable`.
final class RemoveOnInterrupt: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]

    init(path: String) {
        let queue = DispatchQueue(label: "relieflog.export-signals")
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler {
                unlink(path)
                FileHandle.standardError.write(Data("\nrelieflog: interrupted; removed \(path)\n".utf8))
                _exit(128 + number)
            }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }
}

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Import a CSV or NDJSON file (or a Migraine Buddy CSV export) into a collection: every row validated as a single create, all rows or none. Prints the counts as JSON."
    )

    @OptionGroup var options: DatabaseOptions

    @Argument(help: "patients, therapists, episodes or sessions.")
    var collection: String

    @Argument(help: "The file to import.")
    var file: String

    @Option(
        name: .long, help: "csv, ndjson or migraine-buddy (episodes of --patient). Default: by the file's extension.")
    var format: String?

    @Option(name: .customLong("patient"), help: "Import as this patient's token would (patientId implied).")
    var patientId: Int64?

    @Flag(name: .customLong("dry-run"), help: "Validate and count without writing.")
    var dryRun = false

    @Option(
        name: .customLong("on-conflict"), help: "error (default), skip or update, for rows whose externalId exists.")
    var onConflict: String = "error"

    func run() async throws {
        let (configuration, logger) = try prepare(
            ConfigurationOverrides(
                configFile: options.config, databasePath: options.db, migrationsDirectory: options.migrations,
                logLevel: options.logLevel ?? "warning"))
        if format == "migraine-buddy" && collection != "episodes" {
            throw ValidationError("--format migraine-buddy imports episodes")
        }
        let progress = ProgressLine()
        let summary: String
        do {
            summary = try await BulkCommands.importFile(
                configuration, logger: logger, collection: collection, path: file, format: format, patient: patientId,
                dryRun: dryRun, onConflict: onConflict, progress: { progress.update($0) })
        } catch {
            progress.finish("failed")
            throw error
        }
        progress.finish("done")
        FileHandle.standardOutput.write(Data("\(summary)\n".utf8))
    }
}
