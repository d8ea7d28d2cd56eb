import Foundation
import Logging
import ReliefLog
import TestSupport

/// The repository root, found from this file's path (tests run from anywhere).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let migrationsDirectory = repositoryRoot.appendingPathComponent("Migrations").path
/// How many migrations the repository has (what a fresh database applies).
let migrationCount =
    (try? FileManager.default.contentsOfDirectory(atPath: migrationsDirectory))?
    .filter { $0.hasSuffix(".sql") }.count ?? 0

/// A running application on a loopback port over a SQLite file in a temporary directory.
final class TestApp: Sendable {
    let application: Application
    let port: Int
    let directory: TemporaryDirectory
    /// An admin token, which `client()` sends unless told otherwise.
    let adminToken: String

    init(configure: (inout AppConfiguration) -> Void = { _ in }) throws {
        directory = TemporaryDirectory()
        var configuration = AppConfiguration()
        configuration.port = 0
        configuration.databasePath = directory.file("data/relieflog.sqlite")
        configuration.migrationsDirectory = migrationsDirectory
        configuration.accessLog = false
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        // Tests issue many requests quickly from one address and token; the limits have tests of their own.
        configuration.rateLimits.perTokenPerSecond = 0
        configuration.rateLimits.perAddressPerSecond = 0
        // A busy machine can leave a test's kept-alive connection silent for longer than the
        // production idle timeout; a closed connection would fail a test that is not about it.
        configuration.http.idleTimeout = .seconds(300)
        configuration.http.headerTimeout = .seconds(300)
        configuration.http.bodyTimeout = .seconds(300)
        configure(&configuration)
        application = try buildApplication(configuration, logger: logger)
        adminToken = try TokenIssuing.create(
            in: application.database, role: .admin, label: "tests", now: configuration.clock())
        port = try application.start()
    }

    /// A client sending `token` (the admin token by default; nil sends no credentials).
    func client(token: String?) throws -> TestHTTPClient {
        let client = try TestHTTPClient(port: port)
        if let token { client.defaultHeaders = [("Authorization", "Bearer \(token)")] }
        return client
    }

    func client() throws -> TestHTTPClient { try client(token: adminToken) }

    /// A new token for `role`, bound to `patientId` or `therapistId`.
    func token(_ role: Role, patient: Int? = nil, therapist: Int? = nil, expiresAt: Int64? = nil) throws -> String {
        try TokenIssuing.create(
            in: application.database, role: role, patientId: patient.map(Int64.init),
            therapistId: therapist.map(Int64.init),
            expiresAt: expiresAt, now: application.configuration.clock())
    }

    func stop() async {
        await application.shutdown()
        directory.remove()
    }
}

/// The `relieflog` executable built next to the test bundle.
func relieflogExecutable() -> URL? {
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("relieflog"),
        Bundle.main.bundleURL.appendingPathComponent("relieflog"),
        Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("relieflog"),
        repositoryRoot.appendingPathComponent(".build/debug/relieflog"),
    ]
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
}

/// A child process with captured output, for command-line tests.
final class ChildProcess: @unchecked Sendable {
    // Output is appended from the pipe's reader thread and read by the test: guarded by `lock`.
    let process = Process()
    private let lock = NSLock()
    private var stdoutData = Data()
    private var stderrData = Data()

    init(
        _ arguments: [String], environment: [String: String] = [:], executable: URL? = nil, directory: URL? = nil
    ) throws {
        guard let executable = executable ?? relieflogExecutable() else {
            throw TestClientError("relieflog executable not found next to the tests; run `swift build` first")
        }
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("RELIEFLOG_") }
        env.merge(environment) { _, new in new }
        process.environment = env
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // A blocking reader thread per pipe, not `readabilityHandler`: on Linux a FileHandle
        // released with a readability handler still armed can leave a dispatch source behind
        // on a closed descriptor, which crashed the whole test process now and then.
        Self.drain(out.fileHandleForReading) { [weak self] data in self?.lock.withLock { self?.stdoutData.append(data) }
        }
        Self.drain(err.fileHandleForReading) { [weak self] data in self?.lock.withLock { self?.stderrData.append(data) }
        }
    }

    private static func drain(_ handle: FileHandle, into append: @escaping @Sendable (Data) -> Void) {
        let box = UncheckedHandle(handle)
        Thread {
            while true {
                let data = box.handle.availableData  // blocks; empty at end of file
                if data.isEmpty { return }
                append(data)
            }
        }.start()
    }

    /// FileHandle is thread-safe but not marked Sendable on Linux.
    private struct UncheckedHandle: @unchecked Sendable {
        let handle: FileHandle
        init(_ handle: FileHandle) { self.handle = handle }
    }

    var stdout: String { lock.withLock { String(decoding: stdoutData, as: UTF8.self) } }
    var stderr: String { lock.withLock { String(decoding: stderrData, as: UTF8.self) } }

    /// Waits for the process to exit (bounded) and returns its status.
    func wait(timeout: Duration = .seconds(20)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                process.terminate()
                throw TestClientError("process did not exit in time")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: .milliseconds(50))  // let the pipes drain
        return process.terminationStatus
    }

    /// Waits until standard output contains `text`.
    func waitForOutput(_ text: String, timeout: Duration = .seconds(20)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while !stdout.contains(text) {
            guard ContinuousClock.now < deadline, process.isRunning else {
                throw TestClientError("no '\(text)' in output; stderr: \(stderr)")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        return stdout
    }
}
