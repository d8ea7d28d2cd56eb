import Foundation
public import Logging
public import SQLite

/// The migrations compiled into the binary (Migrations/*.sql at build time), or those of the
/// directory the configuration names instead.
func loadMigrator(_ configuration: AppConfiguration) throws(StartupError) -> Migrator {
    guard let explicit = configuration.migrationsDirectory else {
        do {
            return try Migrator(files: embeddedMigrationFiles)
        } catch {
            throw StartupError("the migrations built into this binary are invalid: \(error)")
        }
    }
    let directory = try MigrationsLocator.locate(explicit: explicit)
    do {
        return try Migrator(directory: directory)
    } catch {
        throw StartupError("cannot load migrations from \(directory.path): \(error)")
    }
}

/// Creates the database directory if needed, opens the pool and applies pending migrations.
public func openDatabase(
    _ configuration: AppConfiguration, migrator: Migrator? = nil, logger: Logger
) throws(StartupError) -> DatabasePool {
    try openAndMigrate(configuration, migrator: migrator, logger: logger).pool
}

/// Opens an existing database as it is, without migrating it (for `backup`: copying a live
/// database must never change its schema, whatever binary does the copying).
public func openExistingDatabase(_ configuration: AppConfiguration) throws(StartupError) -> DatabasePool {
    let path = configuration.databasePath
    guard FileManager.default.fileExists(atPath: path) else { throw StartupError("no database at \(path)") }
    do {
        return try DatabasePool(path: path, configuration: .init(readerCount: 1, maxBatchSize: 1))
    } catch {
        throw StartupError("cannot open database \(path): \(error)")
    }
}

/// Creates or opens the database, applies pending migrations, closes it, and returns the file
/// names of the migrations it applied (none when it was up to date).
public func migrateDatabase(_ configuration: AppConfiguration, logger: Logger) throws(StartupError) -> [String] {
    let migrator = try loadMigrator(configuration)
    let (pool, applied) = try openAndMigrate(configuration, migrator: migrator, logger: logger)
    pool.close()
    let names = Dictionary(uniqueKeysWithValues: migrator.migrations.map { ($0.version, $0.fileName) })
    return applied.compactMap { names[$0] }
}

private func openAndMigrate(
    _ configuration: AppConfiguration, migrator: Migrator?, logger: Logger
) throws(StartupError) -> (pool: DatabasePool, applied: [Int]) {
    let migrator = if let migrator { migrator } else { try loadMigrator(configuration) }
    let path = configuration.databasePath
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
        throw StartupError("cannot create database directory \(directory): \(reason(of: error))")
    }
    // access(2) also says no for root on a read-only mount (EROFS), so this holds for every user.
    guard FileManager.default.isWritableFile(atPath: directory) else {
        throw StartupError(
            "database directory \(directory) is not writable (SQLite keeps its -wal and -shm files beside "
                + "the database): make it writable for this user, or point --db at a writable directory")
    }
    let pool: DatabasePool
    do {
        pool = try DatabasePool(
            path: path,
            configuration: .init(readerCount: configuration.readerCount, maxBatchSize: configuration.maxWriteBatch))
    } catch let error as SQLiteError where error.isCorruption {
        throw StartupError(corruptionAdvice(path: path, finding: error.message))
    } catch {
        throw StartupError("cannot open database \(path): \(error)")
    }
    // A damaged file is found here, not by the first unlucky request. quick_check reads every
    // page once (about 15 s per GiB on a small VM, 0.2 s for 10 MB) and skips only the
    // index-content checks of integrity_check, which `relieflog verify` runs.
    var problems = ["ok"]
    do {
        if configuration.startupCheck != "off" {
            problems = try pool.withWriterConnection { connection in
                try connection.query("PRAGMA quick_check(1)").compactMap { $0.string(0) }
            }
        }
    } catch {
        pool.close()
        if let error = error as? SQLiteError, error.isCorruption {
            throw StartupError(corruptionAdvice(path: path, finding: error.message))
        }
        throw StartupError("cannot check database \(path): \(error)")
    }
    if problems != ["ok"] {
        pool.close()
        throw StartupError(corruptionAdvice(path: path, finding: problems.first ?? "no result"))
    }
    let applied: [Int]
    do {
        applied = try pool.withWriterConnection { connection in
            try migrator.migrate(connection) { message in logger.info("\(message)") }
        }
        if !applied.isEmpty { logger.info("database migrated", metadata: ["applied": "\(applied.count)"]) }
    } catch {
        pool.close()
        throw StartupError("cannot migrate database \(path): \(error)")
    }
    return (pool, applied)
}

/// What to say when the database file is damaged: what was found and what to do about it.
func corruptionAdvice(path: String, finding: String) -> String {
    "database \(path) is damaged (\(finding)); it was not changed. Stop here: keep the file for "
        + "inspection, then restore the latest backup (relieflog restore --from BACKUP --db NEW_PATH) or "
        + "replica (litestream restore), check it with relieflog verify, and start on the restored file"
}

private func reason(of error: any Error) -> String {
    let nsError = error as NSError
    if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
        underlying.domain == NSPOSIXErrorDomain, let code = POSIXErrorCode(rawValue: Int32(underlying.code))
    {
        return String(cString: strerror(code.rawValue))
    }
    return nsError.localizedDescription
}

/// How many migrations the database has applied (`/readyz` compares it with the bundled ones).
func appliedMigrationCount(_ connection: Connection) throws -> Int {
    guard case .integer(let count)? = try connection.scalar("SELECT count(*) FROM schema_migrations") else { return 0 }
    return Int(count)
}
