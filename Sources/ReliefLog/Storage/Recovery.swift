import Foundation
public import SQLite

/// Checks the database file at `path` without changing it: on a read-only connection, so it is
/// safe beside a running server (one snapshot, no lock held against writers) and on a backup.
/// See `Migrator.verify` for the checks. Throws a one-line reason if the file cannot be read at
/// all (missing, not a database, damaged beyond reading).
public func verifyDatabaseFile(
    path: String, configuration: AppConfiguration, thorough: Bool = true
) throws(StartupError) -> VerificationReport {
    guard FileManager.default.fileExists(atPath: path) else {
        throw StartupError("no database at \(path)")
    }
    let migrator = try loadMigrator(configuration)
    do {
        let connection = try Connection(path: path, mode: .readOnly)
        defer { connection.close() }
        return try migrator.verify(connection, thorough: thorough)
    } catch let error as SQLiteError where error.isCorruption {
        throw StartupError(corruptionAdvice(path: path, finding: error.message))
    } catch {
        throw StartupError("cannot verify \(path): \(error)")
    }
}

/// Puts a backup in place as the database at `target`, for `relieflog restore`.
///
/// Refuses when anything is at `target` or beside it (`-wal`, `-shm`, `-journal`): a running
/// server always has its file and `-shm` open, so this also refuses to restore under a live
/// server, and a stopped server's database is never overwritten by accident (move it aside
/// first). The backup is verified first (a damaged one is refused), copied to a temporary file
/// in the target's directory, fsynced, then renamed into place, so a crash leaves either no
/// database or the whole backup.
public func restoreBackup(
    from backup: String, to target: String, configuration: AppConfiguration
) throws(StartupError) -> VerificationReport {
    for suffix in ["", "-wal", "-shm", "-journal"] where FileManager.default.fileExists(atPath: target + suffix) {
        throw StartupError(
            "\(target + suffix) exists; refusing to restore over a database (a running server holds its file). "
                + "Stop the server, move the database and its -wal/-shm files aside, then restore")
    }
    // Only the file itself is copied: a backup with a write-ahead log beside it (a copy of a live
    // database) would lose what is in the log.
    let walSize = (try? FileManager.default.attributesOfItem(atPath: backup + "-wal")[.size] as? Int) ?? 0
    if walSize > 0 {
        throw StartupError(
            "\(backup)-wal exists: \(backup) is a live database or a copy of one, not a backup; "
                + "make a backup of it with relieflog backup --to FILE --db \(backup) and restore that")
    }
    let report = try verifyDatabaseFile(path: backup, configuration: configuration)
    if let failure = report.firstFailure {
        throw StartupError("backup \(backup) failed verification (\(failure.name): \(failure.detail)); not restored")
    }
    let directory = URL(fileURLWithPath: target).deletingLastPathComponent().path
    let temporary = target + ".restoring-\(getpid())"
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: backup, toPath: temporary)
        try synchronize(temporary, directory: false)
        // rename(2) would replace a file created meanwhile; link(2) refuses instead.
        guard link(temporary, target) == 0 else {
            throw StartupError("cannot put the restored file at \(target): \(String(cString: strerror(errno)))")
        }
        unlink(temporary)
        try synchronize(directory, directory: true)
    } catch {
        unlink(temporary)
        if let error = error as? StartupError { throw error }
        throw StartupError("cannot restore \(backup) to \(target): \(error.localizedDescription)")
    }
    return report
}

private func synchronize(_ path: String, directory: Bool) throws(StartupError) {
    let descriptor = open(path, directory ? O_RDONLY | O_DIRECTORY : O_RDONLY)
    guard descriptor >= 0 else { throw StartupError("cannot open \(path) to sync it") }
    defer { close(descriptor) }
    guard fsync(descriptor) == 0 else { throw StartupError("cannot fsync \(path)") }
}
