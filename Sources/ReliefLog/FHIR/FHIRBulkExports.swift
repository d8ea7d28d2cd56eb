import Foundation
import JSON
import Logging
import SQLite
import Synchronization
import ThreadSupport

/// FHIR Bulk Data `$export` jobs (HL7 Bulk Data Access, kick-off / status / files / delete).
///
/// A job runs in the server process and writes one NDJSON file per resource type under
/// `directory/<job id>/`, each under a temporary name first and renamed once complete and
/// synced, so a file that is served is never half-written. The manifest lists a file only once
/// the whole job is complete. A job that was running when the server stopped or crashed is
/// marked failed at the next start (see `recover`), so a client polling it learns that.
final class FHIRBulkExports: Sendable {
    /// The resource types an export can hold, in the order they are written.
    static let allTypes = ["Patient", "Practitioner", "Observation", "MedicationStatement", "Procedure"]
    /// The types of a patient-level export when `_type` does not say.
    static let patientTypes = ["Patient", "Observation", "MedicationStatement", "Procedure"]

    let transactions: Transactions
    let directory: URL
    let clock: @Sendable () -> Int64
    let logger: Logger

    private struct Progress: Sendable {
        var completedTypes = 0
        var current: String?
        var cancelled = false
    }

    private let progress = Locked<[Int64: Progress]>([:])

    init(transactions: Transactions, directory: URL, clock: @escaping @Sendable () -> Int64, logger: Logger) {
        self.transactions = transactions
        self.directory = directory
        self.clock = clock
        self.logger = logger
    }

    /// Marks the jobs cut off by the last stop as failed and removes their files.
    func recover() throws {
        let now = clock()
        let ids = try transactions.database.writeSync { connection in
            try FHIRExportJobRepository(connection).failRunning(
                reason: "The server stopped while this export ran; start a new export.", now: now)
        }
        for id in ids { try? FileManager.default.removeItem(at: folder(id)) }
    }

    func folder(_ id: Int64) -> URL { directory.appendingPathComponent(String(id)) }

    func file(_ id: Int64, type: String) -> URL { folder(id).appendingPathComponent("\(type).ndjson") }

    /// Stores a new job and starts it.
    func start(
        tokenId: Int64, request: String, baseURL: String, patientLevel: Bool, types: [String], since: Int64?
    ) async throws -> FHIRExportJob {
        let now = clock()
        let job = try await transactions.database.write { connection in
            try FHIRExportJobRepository(connection).insert(
                tokenId: tokenId, request: request, baseURL: baseURL, patientLevel: patientLevel, types: types,
                since: since, now: now)
        }
        progress.withLock { $0[job.id] = Progress() }
        Task.detached { await self.run(job) }
        return job
    }

    func find(_ id: Int64) async throws -> FHIRExportJob? {
        try await transactions.read { try FHIRExportJobRepository($0).find(id: id) }
    }

    /// `X-Progress` of a running job.
    func progressText(_ job: FHIRExportJob) -> String {
        let state = progress.withLock { $0[job.id] } ?? Progress()
        let current = state.current.map { "writing \($0), " } ?? ""
        return "\(current)\(state.completedTypes) of \(job.types.count) resource types done"
    }

    /// Cancels a running job or removes a finished one, with its files.
    func delete(_ id: Int64) async throws {
        progress.withLock { $0[id]?.cancelled = true }
        try await transactions.database.write { try FHIRExportJobRepository($0).delete(id: id) }
        try? FileManager.default.removeItem(at: folder(id))
    }

    private func isCancelled(_ id: Int64) -> Bool { progress.withLock { $0[id]?.cancelled ?? true } }

    private func run(_ job: FHIRExportJob) async {
        do {
            try FileManager.default.createDirectory(at: folder(job.id), withIntermediateDirectories: true)
            var output: [JSONValue] = []
            for type in job.types {
                if isCancelled(job.id) { break }
                progress.withLock { $0[job.id]?.current = type }
                let count = try await write(type, job)
                progress.withLock {
                    $0[job.id]?.completedTypes += 1
                    $0[job.id]?.current = nil
                }
                if count > 0 { output.append(["type": .string(type), "count": .number(.integer(Int64(count)))]) }
            }
            let cancelled = isCancelled(job.id)
            progress.withLock { _ = $0.removeValue(forKey: job.id) }
            if cancelled {
                try? FileManager.default.removeItem(at: folder(job.id))
                return
            }
            let text = JSON.string(.array(output))
            let now = clock()
            try await transactions.database.write { connection in
                try FHIRExportJobRepository(connection).finish(
                    id: job.id, state: .complete, output: text, error: nil, now: now)
            }
        } catch {
            progress.withLock { _ = $0.removeValue(forKey: job.id) }
            logger.error("FHIR export failed", metadata: ["job": "\(job.id)", "error": "\(error)"])
            try? FileManager.default.removeItem(at: folder(job.id))
            let now = clock()
            _ = try? await transactions.database.write { connection in
                try FHIRExportJobRepository(connection).finish(
                    id: job.id, state: .failed, output: nil, error: "The export failed; start a new one.", now: now)
            }
        }
    }

    /// Writes one type's file; the number of resources in it.
    private func write(_ type: String, _ job: FHIRExportJob) async throws -> Int {
        let final = file(job.id, type: type)
        let partial = final.appendingPathExtension("part")
        _ = FileManager.default.createFile(atPath: partial.path, contents: nil)
        let handle = try FileHandle(forWritingTo: partial)
        var count = 0
        do {
            let since = job.since
            @Sendable func pick(_ resources: [JSONValue]) -> [JSONValue] {
                resources.filter { $0.objectValue?["resourceType"]?.stringValue == type }
            }
            switch type {
            case "Patient":
                count += try await each(Patient.self, PatientQuery(updatedSince: since), job, handle) {
                    [FHIR.patient($0)]
                }
            case "Practitioner":
                count += try await each(Therapist.self, TherapistQuery(updatedSince: since), job, handle) {
                    [FHIR.practitioner($0)]
                }
            case "Observation", "MedicationStatement":
                count += try await each(Episode.self, EpisodeQuery(updatedSince: since), job, handle) {
                    pick(FHIR.episode($0))
                }
                if type == "Observation" {
                    count += try await each(MassageSession.self, SessionQuery(updatedSince: since), job, handle) {
                        pick(FHIR.session($0))
                    }
                }
            default:
                count += try await each(MassageSession.self, SessionQuery(updatedSince: since), job, handle) {
                    pick(FHIR.session($0))
                }
            }
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            throw error
        }
        try FileManager.default.moveItem(at: partial, to: final)
        return count
    }

    /// Renders every record of a collection the query matches, a batch at a time.
    private func each<R: StoredRecord>(
        _: R.Type, _ query: R.Query, _ job: FHIRExportJob, _ handle: FileHandle,
        _ render: @escaping @Sendable (R) -> [JSONValue]
    ) async throws -> Int {
        var afterId: Int64 = 0
        var count = 0
        while !isCancelled(job.id) {
            let last = afterId
            let batch = try await transactions.read {
                connection -> (bytes: [UInt8], lastId: Int64?, rows: Int, count: Int) in
                var bytes: [UInt8] = []
                var lastId: Int64?
                var rows = 0
                var count = 0
                try RecordRepository<R>(connection).forEachExported(query, after: last, limit: 1000) { record in
                    rows += 1
                    lastId = record.id
                    for resource in render(record) {
                        JSON.serialize(resource, into: &bytes)
                        bytes.append(0x0A)
                        count += 1
                    }
                }
                return (bytes, lastId, rows, count)
            }
            if !batch.bytes.isEmpty { try handle.write(contentsOf: batch.bytes) }
            count += batch.count
            guard let lastId = batch.lastId, batch.rows == 1000 else { break }
            afterId = lastId
        }
        return count
    }
}
