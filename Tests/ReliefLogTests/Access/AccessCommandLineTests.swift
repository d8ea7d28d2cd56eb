import Foundation
import TestSupport
import Testing

@Suite("Tokens on the command line, the first admin token, and what the logs never hold")
struct AccessCommandLineTests {
    /// Starts `relieflog serve` on `database` and returns it with its port.
    private func serve(_ database: String, extra: [String] = []) async throws -> (ChildProcess, Int) {
        let child = try ChildProcess(
            ["serve", "--port", "0", "--db", database, "--migrations", migrationsDirectory] + extra)
        let output = try await child.waitForOutput("listening on http://127.0.0.1:")
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("listening on ") })
        return (child, try #require(Int(line.split(separator: ":").last ?? "")))
    }

    @Test("the first serve creates one admin token and shows it once; later starts do not")
    func bootstrapToken() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.file("data/relieflog.sqlite")
        let (first, port) = try await serve(database)
        let token = try #require(first.stderr.split(separator: "\n").map(String.init).first(where: isTokenShaped))
        let client = try TestHTTPClient(port: port)
        client.defaultHeaders = [("Authorization", "Bearer \(token)")]
        let tokens = try await client.request("GET", "/v1/tokens")
        #expect(tokens.status == 200)
        #expect(tokens.text.contains(#""role":"admin""#))
        kill(first.process.processIdentifier, SIGTERM)
        #expect(try await first.wait() == 0)

        let (second, _) = try await serve(database)
        kill(second.process.processIdentifier, SIGTERM)
        #expect(try await second.wait() == 0)
        #expect(!second.stderr.contains("rlg_"))
    }

    @Test("token create prints the token alone on one line, and refuses a role without its binding")
    func tokenCreate() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.file("relieflog.sqlite")
        #expect(try await ChildProcess(["migrate", "--db", database]).wait() == 0)
        let admin = try ChildProcess([
            "token", "create", "--role", "admin", "--label", "ops", "--db", database, "--migrations",
            migrationsDirectory,
        ])
        #expect(try await admin.wait() == 0)
        let lines = admin.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2 && lines[1].isEmpty)
        #expect(isTokenShaped(String(lines[0])))
        #expect(!admin.stderr.contains(String(lines[0])))

        let unbound = try ChildProcess([
            "token", "create", "--role", "patient", "--db", database, "--migrations", migrationsDirectory,
        ])
        #expect(try await unbound.wait() != 0)
        #expect(
            unbound.stderr.hasPrefix("relieflog: ") && unbound.stderr.split(separator: "\n").count == 1,
            "\(unbound.stderr)")
        #expect(unbound.stdout.isEmpty)

        let missing = try ChildProcess([
            "token", "create", "--role", "patient", "--patient", "42", "--db", database, "--migrations",
            migrationsDirectory,
        ])
        #expect(try await missing.wait() != 0)
        #expect(missing.stderr.contains("no patient with id 42"), "\(missing.stderr)")
    }

    @Test("a whole session's logs hold no token, name, note or guessed token, at the most verbose level")
    func logsHoldNoSecrets() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let database = directory.file("relieflog.sqlite")
        #expect(try await ChildProcess(["migrate", "--db", database]).wait() == 0)
        let create = try ChildProcess([
            "token", "create", "--role", "admin", "--db", database, "--migrations", migrationsDirectory,
        ])
        #expect(try await create.wait() == 0)
        let token = create.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let (server, port) = try await serve(database, extra: ["--log-level", "trace"])
        let client = try TestHTTPClient(port: port)
        client.defaultHeaders = [("Authorization", "Bearer \(token)")]

        let name = "Quenby Zartoulian"
        let note = "sister-visit-Zanzibar-1987"
        let patient = try await client.request(
            "POST", "/v1/patients", body: #"{"displayName": "\#(name)", "notes": "\#(note)"}"#)
        #expect(patient.status == 201)
        let patientId = try #require(patient.object["id"] as? Int)
        let episode = try await client.request(
            "POST", "/v1/episodes",
            body:
                #"{"patientId": \#(patientId), "startedAt": "2026-11-20T08:00:00Z", "intensity": 7, "notes": "\#(note)"}"#
        )
        #expect(episode.status == 201)
        let issued = try await client.request(
            "POST", "/v1/tokens", body: #"{"role": "patient", "patientId": \#(patientId), "label": "\#(name)'s phone"}"#
        )
        let patientToken = try #require(issued.object["token"] as? String)
        let guessed = "rlg_00000000deadbeef_" + String(repeating: "Q", count: 43)
        #expect(
            try await client.request("GET", "/v1/patients", headers: [("Authorization", "Bearer \(guessed)")]).status
                == 401)
        #expect(
            try await client.request(
                "PATCH", "/v1/patients/\(patientId)", headers: [("Content-Type", "application/merge-patch+json")],
                body: #"{"displayName": 5}"#
            ).status == 422)
        #expect(
            try await client.request(
                "GET", "/v1/patients/\(patientId)", headers: [("Authorization", "Bearer \(patientToken)")]
            ).status == 200)
        #expect(try await client.request("GET", "/v1/audit").status == 200)

        kill(server.process.processIdentifier, SIGTERM)
        #expect(try await server.wait() == 0)
        let logs = server.stdout + server.stderr
        #expect(logs.contains(#""msg":"request""#), "the access log was on")
        for secret in [
            token, patientToken, guessed, name, note, String(token.suffix(43)), String(patientToken.suffix(43)),
        ] {
            #expect(!logs.contains(secret), "the logs contain \(secret.prefix(8))…")
        }
    }
}
