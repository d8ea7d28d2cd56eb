import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("The relieflog executable", .serialized)
struct CommandLineTests {
    @Test("serve --port 0 prints its address, serves, and exits 0 on SIGTERM after closing the database")
    func serveAndStop() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.file("data/relieflog.sqlite")
        let child = try ChildProcess(["serve", "--port", "0", "--db", database, "--migrations", migrationsDirectory])
        let output = try await child.waitForOutput("listening on http://127.0.0.1:")
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("listening on ") })
        let port = try #require(Int(line.split(separator: ":").last ?? ""))
        let client = try TestHTTPClient(port: port)
        #expect(try await client.request("GET", "/healthz").status == 200)
        kill(child.process.processIdentifier, SIGTERM)
        #expect(try await child.wait() == 0)
        #expect(FileManager.default.fileExists(atPath: database))
        let walSize = (try? FileManager.default.attributesOfItem(atPath: database + "-wal")[.size] as? Int) ?? 0
        #expect(walSize == 0, "a clean close checkpoints the write-ahead log")
        #expect(child.stderr.contains("\"msg\":\"request\""), "the access log is on by default")
    }

    @Test("refuses a port in use with one line and a non-zero status")
    func portInUse() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let first = try ChildProcess([
            "serve", "--port", "0", "--db", directory.file("a.sqlite"), "--migrations", migrationsDirectory,
        ])
        let output = try await first.waitForOutput("listening on")
        let port = String(output.split(separator: ":").last!.prefix { $0.isNumber })
        let second = try ChildProcess([
            "serve", "--port", port, "--db", directory.file("b.sqlite"), "--migrations", migrationsDirectory,
        ])
        let status = try await second.wait()
        #expect(status != 0)
        #expect(second.stderr.contains("relieflog: cannot listen on 127.0.0.1:\(port): the address is already in use"))
        kill(first.process.processIdentifier, SIGINT)
        #expect(try await first.wait() == 0)
    }

    @Test(
        "refuses an unwritable database directory, an unknown flag, a bad port",
        arguments: [
            (
                ["serve", "--db", "/proc/relieflog/db.sqlite"],
                "relieflog: cannot create database directory /proc/relieflog"
            ),
            (["serve", "--bogus"], "relieflog: Unknown option '--bogus'"),
            (["serve", "--port", "99999"], "relieflog: port must be between 0 and 65535"),
        ])
    func badConfiguration(arguments: [String], expected: String) async throws {
        let child = try ChildProcess(arguments + ["--migrations", migrationsDirectory])
        let status = try await child.wait()
        #expect(status != 0)
        let lines = child.stderr.split(separator: "\n")
        #expect(lines.count == 1, "one line: \(child.stderr)")
        #expect(child.stderr.hasPrefix(expected), "\(child.stderr)")
    }

    @Test("migrate applies the migrations once; an edited migration stops the server with one line")
    func migrateAndRefuseEdited() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let migrations = directory.url.appendingPathComponent("Migrations")
        try FileManager.default.copyItem(atPath: migrationsDirectory, toPath: migrations.path)
        let database = directory.file("relieflog.sqlite")
        let migrate = try ChildProcess(["migrate", "--db", database, "--migrations", migrations.path])
        #expect(try await migrate.wait() == 0)

        let first = try #require(try FileManager.default.contentsOfDirectory(atPath: migrations.path).sorted().first)
        let handle = try FileHandle(forWritingTo: migrations.appendingPathComponent(first))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("\n-- edited\n".utf8))
        try handle.close()

        let serve = try ChildProcess(["serve", "--port", "0", "--db", database, "--migrations", migrations.path])
        #expect(try await serve.wait() != 0)
        let lines = serve.stderr.split(separator: "\n").filter { $0.hasPrefix("relieflog:") }
        #expect(lines.count == 1)
        #expect(lines.first?.contains("edited") == true, "\(serve.stderr)")
    }
}
