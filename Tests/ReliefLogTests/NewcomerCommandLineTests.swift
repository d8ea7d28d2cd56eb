import Foundation
import SQLite
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The binary as a newcomer meets it: copied anywhere, started on a busy port, pointed at the
/// wrong file, given slightly wrong flags.
@Suite("The relieflog executable, tried as a new user would", .serialized)
struct NewcomerCommandLineTests {
    @Test("a binary copied elsewhere migrates and serves with the migrations built into it")
    func copiedBinary() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let binary = directory.url.appendingPathComponent("bin/relieflog")
        try FileManager.default.createDirectory(
            at: binary.deletingLastPathComponent(), withIntermediateDirectories: true)
        let built = try #require(relieflogExecutable())
        try FileManager.default.copyItem(at: built, to: binary)
        let work = directory.url.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let database = directory.file("data/relieflog.sqlite")

        let migrate = try ChildProcess(["migrate", "--db", database], executable: binary, directory: work)
        #expect(try await migrate.wait() == 0, "\(migrate.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: migrationsDirectory).filter {
            $0.hasSuffix(".sql")
        }.sorted()
        #expect(migrate.stdout == "applied \(files.joined(separator: ", ")) to \(database)\n")
        // The same migrations as the files, byte for byte: same versions, same checksums.
        let expected = try Migrator(directory: URL(fileURLWithPath: migrationsDirectory)).migrations.map {
            "\($0.version) \($0.checksum)"
        }
        let pool = try DatabasePool(path: database, configuration: .init(readerCount: 1))
        let applied = try pool.readSync { connection in
            try connection.query("SELECT version, checksum FROM schema_migrations ORDER BY version").map {
                "\($0.int(0) ?? -1) \($0.string(1) ?? "")"
            }
        }
        pool.close()
        #expect(applied == expected)

        let again = try ChildProcess(["migrate", "--db", database], executable: binary, directory: work)
        #expect(try await again.wait() == 0)
        #expect(again.stdout == "database \(database) is up to date\n")

        let serve = try ChildProcess(["serve", "--port", "0", "--db", database], executable: binary, directory: work)
        let output = try await serve.waitForOutput("listening on http://127.0.0.1:")
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("listening on ") })
        let client = try TestHTTPClient(port: try #require(Int(line.split(separator: ":").last ?? "")))
        let ready = try await client.request("GET", "/readyz")
        #expect(ready.status == 200, "\(ready.text)")
        kill(serve.process.processIdentifier, SIGTERM)
        #expect(try await serve.wait() == 0)
    }

    @Test("a start that cannot listen creates no admin token, so the next start still shows one")
    func busyPortKeepsTheFirstToken() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let holder = try ChildProcess(["serve", "--port", "0", "--db", directory.file("holder.sqlite")])
        let output = try await holder.waitForOutput("listening on")
        let port = String(output.split(separator: ":").last!.prefix { $0.isNumber })
        let database = directory.file("fresh.sqlite")

        let refused = try ChildProcess(["serve", "--port", port, "--db", database])
        #expect(try await refused.wait() != 0)
        #expect(refused.stderr.contains("the address is already in use"), "\(refused.stderr)")
        #expect(!refused.stderr.contains("rlg_"), "no token was created, so none was shown and lost")
        kill(holder.process.processIdentifier, SIGTERM)
        #expect(try await holder.wait() == 0)

        let started = try ChildProcess(["serve", "--port", "0", "--db", database])
        _ = try await started.waitForOutput("listening on")
        let deadline = ContinuousClock.now + .seconds(20)
        while !started.stderr.contains("rlg_") && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(started.stderr.split(separator: "\n").contains { isTokenShaped(String($0)) })
        kill(started.process.processIdentifier, SIGTERM)
        #expect(try await started.wait() == 0)
    }

    @Test("token create on a path without a database fails with one line and creates nothing")
    func tokenCreateWithoutDatabase() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.file("typo/relieflog.sqlite")
        let create = try ChildProcess(["token", "create", "--role", "admin", "--db", database])
        #expect(try await create.wait() != 0)
        #expect(create.stdout.isEmpty)
        let lines = create.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("relieflog: no database at \(database)"), "\(create.stderr)")
        #expect(!FileManager.default.fileExists(atPath: database))
    }

    @Test(
        "slightly wrong input gets a message that says what is wrong",
        arguments: [
            (["serve", "--port", "-1"], [:], "relieflog: port must be between 0 and 65535, got -1"),
            (
                ["serve", "--port", "0", "--host", "example.invalid"], [:],
                "relieflog: cannot listen on example.invalid:0: the host is not an address of this machine"
            ),
            (["serve", "--config", "/tmp"], [:], "relieflog: cannot read configuration file /tmp: it is a directory"),
            (["serve", "--port", "0"], ["RELIEFLOG_MIGRATIONS": "EMPTY"], "relieflog: migrations directory "),
            (["serve", "--port", "0", "--log-level", "loud"], [:], "relieflog: the log level (--log-level"),
            (
                ["backup", "--to", "/nonexistent/dir/backup.sqlite"], [:],
                "relieflog: cannot back up to /nonexistent/dir/backup.sqlite: directory /nonexistent/dir does not exist"
            ),
        ] as [([String], [String: String], String)])
    func messages(arguments: [String], environment: [String: String], expected: String) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let empty = directory.url.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let child = try ChildProcess(
            arguments + ["--db", directory.file("relieflog.sqlite")],
            environment: environment.mapValues { $0 == "EMPTY" ? empty.path : $0 })
        #expect(try await child.wait() != 0)
        // One line for the operator (the JSON log may say more before it).
        let lines = child.stderr.split(separator: "\n").filter { !$0.hasPrefix("{") }
        #expect(lines.count == 1, "one line: \(child.stderr)")
        #expect(lines.first?.hasPrefix(expected) == true, "\(child.stderr)")
        if environment["RELIEFLOG_MIGRATIONS"] != nil { #expect(child.stderr.contains("holds no .sql migrations")) }
    }

    @Test("log levels are read without regard to case")
    func logLevelCase() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let migrate = try ChildProcess(
            ["migrate", "--db", directory.file("relieflog.sqlite")], environment: ["RELIEFLOG_LOG_LEVEL": "DEBUG"])
        #expect(try await migrate.wait() == 0, "\(migrate.stderr)")
    }

    @Test("backup copies the database as it is: no migrations offered, none applied, no database refused")
    func backupAsItIs() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let help = try ChildProcess(["backup", "--help"])
        #expect(try await help.wait() == 0)
        #expect(help.stdout.contains("--to") && !help.stdout.contains("--migrations"), "\(help.stdout)")

        let missing = try ChildProcess(["backup", "--db", directory.file("none.sqlite"), "--to", directory.file("b0")])
        #expect(try await missing.wait() != 0)
        #expect(missing.stderr.hasPrefix("relieflog: no database at"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("none.sqlite")))

        // A database at migration 0004, backed up by this binary, stays at 0004, and so does the copy.
        let old = directory.url.appendingPathComponent("old-migrations")
        try FileManager.default.createDirectory(at: old, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: migrationsDirectory)
        where file.hasSuffix(".sql") && file < "0005" {
            try FileManager.default.copyItem(
                atPath: migrationsDirectory + "/" + file, toPath: old.appendingPathComponent(file).path)
        }
        let database = directory.file("live.sqlite")
        #expect(try await ChildProcess(["migrate", "--db", database, "--migrations", old.path]).wait() == 0)
        let backup = try ChildProcess(["backup", "--db", database, "--to", directory.file("copy.sqlite")])
        #expect(try await backup.wait() == 0, "\(backup.stderr)")
        for path in [database, directory.file("copy.sqlite")] {
            let pool = try DatabasePool(path: path, configuration: .init(readerCount: 1))
            let latest = try pool.readSync { try $0.scalar("SELECT max(version) FROM schema_migrations") }
            pool.close()
            #expect(latest == .integer(4), "\(path)")
        }
    }
}
