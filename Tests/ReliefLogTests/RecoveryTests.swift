import Foundation
import ReliefLog
import SQLite
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A migrated database with one token in it (a row to count), made by the binary itself.
private func migratedDatabase(
    in directory: TemporaryDirectory, name: String = "relieflog.sqlite"
) async throws
    -> String
{
    let database = directory.file(name)
    // `token create` needs an existing database: `migrate` makes it.
    let migrate = try ChildProcess(["migrate", "--db", database, "--migrations", migrationsDirectory])
    #expect(try await migrate.wait() == 0, "\(migrate.stderr)")
    let create = try ChildProcess([
        "token", "create", "--role", "admin", "--db", database, "--migrations", migrationsDirectory,
    ])
    #expect(try await create.wait() == 0, "\(create.stderr)")
    return database
}

/// Damages every b-tree page but the first (the schema stays readable, the tables do not):
/// each page's type byte becomes 0xFF, which no valid page has.
private func corruptPages(of path: String) throws {
    let handle = try #require(FileHandle(forUpdatingAtPath: path))
    defer { try? handle.close() }
    let size = try handle.seekToEnd()
    let pageSize: UInt64 = 4096
    var page: UInt64 = 1
    while page * pageSize < size {
        try handle.seek(toOffset: page * pageSize)
        handle.write(Data(repeating: 0xFF, count: 8))
        page += 1
    }
    try handle.synchronize()
}

@Suite("Verify, restore, and a damaged database at start", .serialized)
struct RecoveryCommandLineTests {
    @Test("verify passes a sound database and lists every check and table's rows")
    func verifySound() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = try await migratedDatabase(in: directory)
        let verify = try ChildProcess(["verify", "--db", database, "--migrations", migrationsDirectory])
        #expect(try await verify.wait() == 0, "\(verify.stderr)")
        let lines = verify.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("integrity_check: ok"))
        #expect(lines.contains("foreign_key_check: ok"))
        #expect(lines.contains { $0.hasPrefix("migrations: \(migrationCount) applied, checksums match") }, "\(lines)")
        #expect(lines.contains("rows tokens: 1"))
        #expect(lines.contains("rows episodes: 0"))
        #expect(lines.last == "ok")
        #expect(verify.stderr.isEmpty)
    }

    @Test("verify fails a damaged file with one line on standard error, and serve refuses to start on it")
    func verifyAndServeRefuseDamage() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = try await migratedDatabase(in: directory)
        try corruptPages(of: database)

        let verify = try ChildProcess(["verify", "--db", database, "--migrations", migrationsDirectory])
        #expect(try await verify.wait() != 0)
        let errorLines = verify.stderr.split(separator: "\n")
        #expect(errorLines.count == 1, "\(verify.stderr)")
        #expect(verify.stderr.hasPrefix("relieflog: "), "\(verify.stderr)")
        #expect(
            verify.stderr.contains("verify failed") || verify.stderr.contains("is damaged"), "\(verify.stderr)")

        let before = try Data(contentsOf: URL(fileURLWithPath: database))
        let serve = try ChildProcess([
            "serve", "--port", "0", "--db", database, "--migrations", migrationsDirectory,
        ])
        #expect(try await serve.wait() != 0)
        #expect(!serve.stdout.contains("listening"), "refused before listening")
        let line = serve.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(line.hasPrefix("relieflog: database \(database) is damaged"), "\(serve.stderr)")
        #expect(line.contains("restore"), "says what to do: \(line)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == before, "the damaged file is left as it was")
    }

    @Test("verify fails a migration edited after it was applied")
    func verifyEditedMigration() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = try await migratedDatabase(in: directory)
        let migrations = directory.url.appendingPathComponent("Migrations")
        try FileManager.default.copyItem(atPath: migrationsDirectory, toPath: migrations.path)
        let first = try #require(try FileManager.default.contentsOfDirectory(atPath: migrations.path).sorted().first)
        let file = migrations.appendingPathComponent(first)
        try (try String(contentsOf: file, encoding: .utf8) + "\n-- edited\n").write(
            to: file, atomically: true, encoding: .utf8)
        let verify = try ChildProcess(["verify", "--db", database, "--migrations", migrations.path])
        #expect(try await verify.wait() != 0)
        #expect(verify.stderr.contains("migrations: migration \(first) was edited after it was applied"))
        #expect(verify.stdout.split(separator: "\n").last == "FAILED")
    }

    @Test("verify of a missing file says so and creates nothing")
    func verifyMissing() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("none.sqlite")
        let verify = try ChildProcess(["verify", "--db", path, "--migrations", migrationsDirectory])
        #expect(try await verify.wait() != 0)
        #expect(verify.stderr == "relieflog: no database at \(path)\n")
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test("restore puts a verified backup in place, and refuses an existing target or a damaged backup")
    func restore() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = try await migratedDatabase(in: directory)
        let backupPath = directory.file("backup.sqlite")
        // `backup` copies the database as it is: it takes no migrations.
        let backup = try ChildProcess(["backup", "--to", backupPath, "--db", database])
        #expect(try await backup.wait() == 0, "\(backup.stderr)")
        #expect(backup.stdout.split(separator: "\n").last == "ok", "the backup is verified: \(backup.stdout)")

        let over = try ChildProcess([
            "restore", "--from", backupPath, "--db", database, "--migrations", migrationsDirectory,
        ])
        #expect(try await over.wait() != 0)
        #expect(over.stderr.hasPrefix("relieflog: \(database) exists; refusing to restore over a database"))

        let target = directory.file("restored/relieflog.sqlite")
        let restore = try ChildProcess([
            "restore", "--from", backupPath, "--db", target, "--migrations", migrationsDirectory,
        ])
        #expect(try await restore.wait() == 0, "\(restore.stderr)")
        #expect(restore.stdout.hasSuffix("restored \(backupPath) to \(target)\n"))
        let verify = try ChildProcess(["verify", "--db", target, "--migrations", migrationsDirectory])
        #expect(try await verify.wait() == 0)
        #expect(verify.stdout.contains("rows tokens: 1"))

        // A database with a write-ahead log beside it is not a backup: copying the file alone would
        // lose what the log holds.
        try Data("frames".utf8).write(to: URL(fileURLWithPath: database + "-wal"))
        let third = directory.file("third/relieflog.sqlite")
        let live = try ChildProcess(["restore", "--from", database, "--db", third, "--migrations", migrationsDirectory])
        #expect(try await live.wait() != 0)
        #expect(live.stderr.hasPrefix("relieflog: \(database)-wal exists"), "\(live.stderr)")
        #expect(!FileManager.default.fileExists(atPath: third))

        try corruptPages(of: backupPath)
        let damaged = directory.file("second/relieflog.sqlite")
        let refused = try ChildProcess([
            "restore", "--from", backupPath, "--db", damaged, "--migrations", migrationsDirectory,
        ])
        #expect(try await refused.wait() != 0)
        #expect(!FileManager.default.fileExists(atPath: damaged), "nothing is put in place")
    }
}

@Suite("A full disk")
struct FullDiskTests {
    /// `PRAGMA max_page_count` on the writer connection makes SQLite answer SQLITE_FULL exactly
    /// as a full file system would (https://www.sqlite.org/pragma.html#pragma_max_page_count);
    /// the end-to-end suite does the same on a real, small tmpfs where mounting is allowed.
    @Test("answers writes 503 with a problem document, keeps serving reads, loses no acknowledged write, recovers")
    func fullDisk() async throws {
        let app = try TestApp()
        let client = try app.client()
        let patient = try await client.post("/v1/patients", #"{"displayName": "Ann"}"#)
        let patientId = try #require(patient.object["id"] as? Int)
        let database = app.application.database
        try database.withWriterConnection { connection in
            guard case .integer(let pages)? = try connection.scalar("PRAGMA page_count") else { return }
            try connection.execute("PRAGMA max_page_count = \(pages)")
        }

        var acknowledged: [Int] = []
        var refusal: TestResponse?
        for number in 0..<2000 {
            let response = try await client.post(
                "/v1/episodes",
                #"{"patientId": \#(patientId), "startedAt": "2026-01-01T08:00:00Z", "intensity": 5, "notes": "write \#(number) \#(String(repeating: "x", count: 500))"}"#
            )
            if response.status == 201 {
                acknowledged.append(try #require(response.object["id"] as? Int))
            } else {
                refusal = response
                break
            }
        }
        let full = try #require(refusal, "the database filled up")
        #expect(full.status == 503)
        #expect(full.header("Content-Type") == "application/problem+json")
        #expect(full.object["type"] as? String == "urn:relieflog:problem:storage-unavailable")
        #expect((full.object["detail"] as? String)?.isEmpty == false)

        // Reads go on, and what was acknowledged is there.
        for id in acknowledged {
            #expect(try await client.get("/v1/episodes/\(id)").status == 200)
        }
        #expect(try await client.get("/v1/patients/\(patientId)").status == 200)

        // Space returns: writes work again, without a restart.
        try database.withWriterConnection { try $0.execute("PRAGMA max_page_count = 1073741823") }
        let after = try await client.post(
            "/v1/episodes", #"{"patientId": \#(patientId), "startedAt": "2026-01-02T08:00:00Z", "intensity": 4}"#)
        #expect(after.status == 201)
        let stored = try await database.read { connection in
            try connection.query("SELECT id FROM episodes").compactMap { $0.int(0) }
        }
        #expect(Set(acknowledged).isSubset(of: Set(stored)), "no acknowledged write was lost")
        #expect(stored.count == acknowledged.count + 1, "and no refused write was kept")
        await app.stop()
    }
}

@Suite("Verification of a database")
struct VerificationTests {
    @Test("counts the rows of every table and finds a foreign key violation")
    func foreignKeys() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("v.sqlite")
        let connection = try Connection(path: path)
        defer { connection.close() }
        let migrator = Migrator(migrations: [
            Migration(
                version: 1, name: "t",
                sql: "CREATE TABLE p(id INTEGER PRIMARY KEY); CREATE TABLE c(p INTEGER REFERENCES p(id));")
        ])
        try migrator.migrate(connection)
        try connection.execute("PRAGMA foreign_keys=OFF; INSERT INTO c VALUES (7); PRAGMA foreign_keys=ON")
        let report = try migrator.verify(connection)
        #expect(!report.passed)
        #expect(report.firstFailure?.name == "foreign_key_check")
        #expect(report.rowCounts.map(\.table) == ["c", "p", "schema_migrations"])
        #expect(report.rowCounts.map(\.rows) == [1, 0, 1])
    }
}
