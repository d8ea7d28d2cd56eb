import Foundation
import ReliefLog
import TestSupport
import Testing

@Suite("relieflog export and import")
struct BulkCommandLineTests {
    private func run(_ arguments: [String], _ directory: TemporaryDirectory) async throws -> ChildProcess {
        let child = try ChildProcess(
            arguments + ["--db", directory.file("db.sqlite"), "--migrations", migrationsDirectory])
        _ = try await child.wait()
        return child
    }

    @Test("import then export round-trips a CSV file; bad rows, conflicts and Migraine Buddy files as over HTTP")
    func roundTrip() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let patients = "displayName,timezone,externalId,notes\r\nAnn,Europe/Berlin,p-1,'=1+1\r\nBo,UTC,p-2,\r\n"
        try patients.write(toFile: directory.file("patients.csv"), atomically: true, encoding: .utf8)

        let imported = try await run(["import", "patients", directory.file("patients.csv")], directory)
        #expect(imported.process.terminationStatus == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains(#""inserted":2"#))

        let again = try await run(["import", "patients", directory.file("patients.csv")], directory)
        #expect(again.process.terminationStatus != 0)
        let message = again.stderr.split(separator: "\n").last.map(String.init) ?? ""
        #expect(message.hasPrefix("relieflog: 2 invalid row(s), nothing written: line 2 /externalId"))
        let skipped = try await run(
            ["import", "patients", directory.file("patients.csv"), "--on-conflict", "skip", "--dry-run"], directory)
        #expect(skipped.stdout.contains(#""skipped":2"#))
        #expect(skipped.stdout.contains(#""dryRun":true"#))

        let exported = try await run(
            ["export", "patients", "--format", "csv", "--out", directory.file("out.csv")], directory)
        #expect(exported.process.terminationStatus == 0, "\(exported.stderr)")
        let text = try String(contentsOfFile: directory.file("out.csv"), encoding: .utf8)
        #expect(text.hasPrefix("displayName,timezone,birthYear,externalId,notes,id,createdAt,updatedAt\r\n"))
        #expect(text.contains("Ann,Europe/Berlin,,p-1,'=1+1,1,"))
        #expect(!FileManager.default.fileExists(atPath: directory.file("out.csv.part")))

        let file = repositoryRoot.appendingPathComponent("Tests/Fixtures/migraine-buddy/attacks-with-offsets.csv").path
        let buddy = try await run(
            ["import", "episodes", file, "--format", "migraine-buddy", "--patient", "1"], directory)
        #expect(buddy.stdout.contains(#""inserted":4"#), "\(buddy.stderr)")
        let buddyAgain = try await run(
            ["import", "episodes", file, "--format", "migraine-buddy", "--patient", "1"], directory)
        #expect(buddyAgain.stdout.contains(#""skipped":4"#))

        let mine = try await run(["export", "episodes", "--patient", "2"], directory)
        #expect(mine.process.terminationStatus == 0)
        #expect(mine.stdout.isEmpty)
        let all = try await run(["export", "episodes"], directory)
        #expect(all.stdout.split(separator: "\n").count == 4)

        let wrong = try await run(["export", "visits"], directory)
        #expect(wrong.process.terminationStatus != 0)
        #expect(wrong.stderr.contains("COLLECTION must be patients, therapists, episodes or sessions"))
    }
}
