import Foundation
public import HTTP
public import Logging
public import SQLite
import Synchronization

/// The service's version, reported by `/openapi.json` and `relieflog --version`.
public let reliefLogVersion = "0.1.0"

/// A start-up failure, reported as one line before the process exits non-zero.
public struct StartupError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The assembled service: database, routes and HTTP server. The command line and the tests
/// build it the same way, with `buildApplication(_:logger:)`.
public final class Application: Sendable {
    public let configuration: AppConfiguration
    public let database: DatabasePool
    public let routes: [Router.RouteDescription]
    private let server: HTTPServer
    private let accessLog: AccessLog?
    private let logger: Logger
    private let lifecycle: Lifecycle
    /// The analytics endpoints' cache and computation counter (tests read it).
    let analytics: AnalyticsService

    fileprivate init(
        configuration: AppConfiguration, database: DatabasePool, routes: [Router.RouteDescription],
        server: HTTPServer, accessLog: AccessLog?, logger: Logger, lifecycle: Lifecycle, analytics: AnalyticsService
    ) {
        self.configuration = configuration
        self.database = database
        self.routes = routes
        self.server = server
        self.accessLog = accessLog
        self.logger = logger
        self.lifecycle = lifecycle
        self.analytics = analytics
    }

    /// Binds the listening socket and starts serving; returns the bound port.
    public func start() throws(StartupError) -> Int {
        do {
            let port = try server.start()
            lifecycle.ready.store(true, ordering: .releasing)
            return port
        } catch let error as SocketError where error.isAddressInUse {
            throw StartupError("cannot listen on \(configuration.host):\(configuration.port): the address is already in use")
        } catch {
            throw StartupError("cannot listen on \(configuration.host):\(configuration.port): \(error)")
        }
    }

    /// Stops accepting, lets in-flight requests finish (bounded by the grace period), then
    /// closes the database cleanly (checkpointing the write-ahead log).
    public func shutdown() async {
        lifecycle.ready.store(false, ordering: .releasing)
        await server.shutdown()
        accessLog?.flush()
        database.close()
        logger.info("stopped")
    }
}

/// Readiness shared between the application and its `/readyz` route.
final class Lifecycle: Sendable {
    let ready = Atomic<Bool>(false)
}

/// Opens (creating if needed) and migrates the database, then assembles routes and server.
/// Nothing listens until `start()`.
public func buildApplication(_ configuration: AppConfiguration, logger: Logger) throws(StartupError) -> Application {
    let migrator = try loadMigrator(configuration)
    let database = try openDatabase(configuration, migrator: migrator, logger: logger)

    let metrics = HTTPMetrics()
    let accessLog = configuration.accessLog ? AccessLog() : nil
    let lifecycle = Lifecycle()
    let openAPI = PublishedDocument()
    var api = APIBuilder()
    OperationsRoutes(
        database: database, metrics: metrics, lifecycle: lifecycle,
        expectedMigrations: migrator.migrations.count, openAPI: openAPI
    ).register(in: &api)
    let versions = DataVersions()
    RecordsRoutes(database: database, now: configuration.clock, versions: versions).register(in: &api)
    let analytics = AnalyticsService(database: database, versions: versions, clock: configuration.clock)
    AnalyticsRoutes(service: analytics).register(in: &api)

    let router = api.router.build(logger: logger)
    openAPI.publish(OpenAPI.document(operations: api.operations, version: reliefLogVersion))
    var httpConfiguration = configuration.http
    httpConfiguration.host = configuration.host
    httpConfiguration.port = configuration.port
    let observers: [any HTTPServerObserver] = [metrics] + (accessLog.map { [$0] } ?? [])
    let server = HTTPServer(
        configuration: httpConfiguration, responder: router, observer: ObserverGroup(observers), logger: logger)
    return Application(
        configuration: configuration, database: database, routes: router.routes, server: server,
        accessLog: accessLog, logger: logger, lifecycle: lifecycle, analytics: analytics)
}

func loadMigrator(_ configuration: AppConfiguration) throws(StartupError) -> Migrator {
    let directory = try MigrationsLocator.locate(explicit: configuration.migrationsDirectory)
    do {
        return try Migrator(directory: directory)
    } catch {
        throw StartupError("cannot load migrations from \(directory.path): \(error)")
    }
}

/// Creates the database directory if needed, opens the pool and applies pending migrations.
public func openDatabase(_ configuration: AppConfiguration, migrator: Migrator? = nil, logger: Logger) throws(StartupError) -> DatabasePool {
    let migrator = if let migrator { migrator } else { try loadMigrator(configuration) }
    let path = configuration.databasePath
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
        throw StartupError("cannot create database directory \(directory): \(reason(of: error))")
    }
    guard FileManager.default.isWritableFile(atPath: directory) else {
        throw StartupError("database directory \(directory) is not writable")
    }
    let pool: DatabasePool
    do {
        pool = try DatabasePool(
            path: path,
            configuration: .init(readerCount: configuration.readerCount, maxBatchSize: configuration.maxWriteBatch))
    } catch {
        throw StartupError("cannot open database \(path): \(error)")
    }
    do {
        let applied = try pool.withWriterConnection { connection in
            try migrator.migrate(connection) { message in logger.info("\(message)") }
        }
        if !applied.isEmpty { logger.info("database migrated", metadata: ["applied": "\(applied.count)"]) }
    } catch {
        pool.close()
        throw StartupError("cannot migrate database \(path): \(error)")
    }
    return pool
}

private func reason(of error: any Error) -> String {
    let nsError = error as NSError
    if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
       underlying.domain == NSPOSIXErrorDomain, let code = POSIXErrorCode(rawValue: Int32(underlying.code)) {
        return String(cString: strerror(code.rawValue))
    }
    return nsError.localizedDescription
}
