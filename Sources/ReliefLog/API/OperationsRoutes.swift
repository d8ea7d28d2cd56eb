import Foundation
import HTTP
import JSON
import SQLite
import Synchronization
import ThreadSupport

/// `/healthz`, `/readyz`, `/openapi.json` and `/metrics`: no credentials, no patient data.
struct OperationsRoutes {
    let database: DatabasePool
    let metrics: HTTPMetrics
    let lifecycle: Lifecycle
    let expectedMigrations: Int
    let openAPI: PublishedDocument
    /// More exposition text for `/metrics` (webhook deliveries), appended after the rest.
    var moreMetrics: @Sendable () async -> String = { "" }

    private static let healthBody = JSON.serialize(["status": "ok"])

    func register(in api: inout APIBuilder) {
        api.add(
            Operation(
                method: "GET", path: "/healthz", operationId: "getHealth",
                summary: "Liveness: 200 while the process runs.", tag: "operations", access: .anyone,
                responses: [.json(200, "The process is running.", OpenAPI.ref("Health"))])
        ) { _, _ in
            HTTPResponse(
                status: 200, headers: ["Content-Type": "application/json; charset=utf-8"],
                body: OperationsRoutes.healthBody)
        }

        let database = database
        let lifecycle = lifecycle
        let expectedMigrations = expectedMigrations
        api.add(
            Operation(
                method: "GET", path: "/readyz", operationId: "getReadiness",
                summary: "Readiness: 200 when the database is open and migrated, 503 otherwise.",
                tag: "operations", access: .anyone,
                responses: [
                    .json(200, "Ready to serve.", OpenAPI.ref("Health")),
                    .problem(503, "Starting, shutting down, or the database is unavailable."),
                ])
        ) { _, _ in
            guard lifecycle.ready.load(ordering: .acquiring) else {
                throw Problem(status: 503, detail: "The service is not accepting work (starting or shutting down).")
            }
            let applied = try? await database.read { connection in try appliedMigrationCount(connection) }
            guard let applied, applied >= expectedMigrations else {
                throw Problem(status: 503, detail: "The database is unavailable or not migrated.")
            }
            return HTTPResponse(
                status: 200, headers: ["Content-Type": "application/json; charset=utf-8"],
                body: OperationsRoutes.healthBody)
        }

        api.add(
            Operation(
                method: "GET", path: "/openapi.json", operationId: "getOpenAPI",
                summary: "This OpenAPI 3.1 document.", tag: "operations", access: .anyone,
                responses: [.json(200, "The OpenAPI document.", ["type": "object"])])
        ) { [openAPI] _, _ in
            HTTPResponse(status: 200, headers: ["Content-Type": "application/json; charset=utf-8"], body: openAPI.bytes)
        }

        let metrics = metrics
        let moreMetrics = moreMetrics
        let path = database.path
        api.add(
            Operation(
                method: "GET", path: "/metrics", operationId: "getMetrics",
                summary: "Prometheus metrics: requests by route and status, latency, connections, database size.",
                tag: "operations", access: .anyone,
                responses: [
                    ResponseSpec(
                        status: "200", description: "Prometheus text exposition format 0.0.4.",
                        contentType: "text/plain", schema: ["type": "string"])
                ])
        ) { _, _ in
            let size = [path, path + "-wal"].reduce(Int64(0)) { total, file in
                let attributes = try? FileManager.default.attributesOfItem(atPath: file)
                return total + ((attributes?[.size] as? NSNumber)?.int64Value ?? 0)
            }
            let extra = """
                # HELP relieflog_database_size_bytes Size of the SQLite database file and its write-ahead log.
                # TYPE relieflog_database_size_bytes gauge
                relieflog_database_size_bytes \(size)

                """ + (await moreMetrics())
            return .text(metrics.render(extra: extra), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
    }
}

/// The OpenAPI document, serialised once after every route is registered (the document
/// describes the routes, so it can only be published once they all exist).
final class PublishedDocument: Sendable {
    private let storage = Locked<[UInt8]>([])

    func publish(_ document: JSONValue) {
        let bytes = Array(JSON.prettyString(document).utf8)
        storage.withLock { $0 = bytes }
    }

    var bytes: [UInt8] { storage.withLock { $0 } }
}
