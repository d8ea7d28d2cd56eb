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
    private let auditTrail: AuditTrail
    private let logger: Logger
    private let lifecycle: Lifecycle
    /// The analytics endpoints' cache and computation counter (tests read it).
    let analytics: AnalyticsService
    /// The webhook delivery worker.
    let webhooks: WebhookDispatcher

    fileprivate init(
        configuration: AppConfiguration, database: DatabasePool, routes: [Router.RouteDescription],
        server: HTTPServer, accessLog: AccessLog?, auditTrail: AuditTrail, logger: Logger, lifecycle: Lifecycle,
        analytics: AnalyticsService, webhooks: WebhookDispatcher
    ) {
        self.configuration = configuration
        self.database = database
        self.routes = routes
        self.server = server
        self.accessLog = accessLog
        self.auditTrail = auditTrail
        self.logger = logger
        self.lifecycle = lifecycle
        self.analytics = analytics
        self.webhooks = webhooks
    }

    /// Binds the listening socket and starts serving; returns the bound port.
    public func start() throws(StartupError) -> Int {
        do {
            let port = try server.start()
            auditTrail.start()
            webhooks.start()
            lifecycle.ready.store(true, ordering: .releasing)
            return port
        } catch let error as SocketError where error.isAddressInUse {
            throw StartupError(
                "cannot listen on \(configuration.host):\(configuration.port): the address is already in use")
        } catch let error as SocketError where error.operation.hasPrefix("resolve") {
            throw StartupError(
                "cannot listen on \(configuration.host):\(configuration.port): the host is not an address of this "
                    + "machine or a name that resolves to one (for example 127.0.0.1, 0.0.0.0 or ::)")
        } catch {
            throw StartupError("cannot listen on \(configuration.host):\(configuration.port): \(error)")
        }
    }

    /// Stops accepting, lets in-flight requests finish (bounded by the grace period), then
    /// closes the database cleanly (checkpointing the write-ahead log).
    public func shutdown() async {
        lifecycle.ready.store(false, ordering: .releasing)
        await server.shutdown()
        await webhooks.stop()
        accessLog?.flush()
        await auditTrail.close()
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
    let auditTrail = AuditTrail(
        database: database, retentionDays: configuration.auditRetentionDays, clock: configuration.clock, logger: logger)
    // One read-only connection per event loop, for the point reads a loop answers itself.
    let pointReads: PointReads
    do {
        pointReads = try PointReads(
            database: database, slots: max(1, configuration.http.eventLoopCount),
            currentSlot: { HTTPServer.currentEventLoopIndex })
    } catch {
        database.close()
        throw StartupError("cannot open the event loops' database connections: \(error)")
    }
    let accessControl = AccessControl(
        authenticator: Authenticator(reads: pointReads, clock: configuration.clock), auditTrail: auditTrail,
        limits: configuration.rateLimits, clock: configuration.clock, rateLimitClock: configuration.rateLimitClock)
    var api = APIBuilder(accessControl: accessControl)
    let sealer: SecretSealer
    do {
        sealer = try SecretSealer.loadOrCreate(
            keyFile: configuration.webhooks.keyFile(databasePath: configuration.databasePath))
    } catch {
        throw StartupError("webhook secret key: \(error)")
    }
    let webhookMetrics = WebhookMetrics()
    let webhooks = WebhookDispatcher(
        database: database, settings: configuration.webhooks, sealer: sealer, client: HTTPClient(),
        clock: configuration.clock, metrics: webhookMetrics, retentionDays: configuration.auditRetentionDays,
        logger: logger)
    OperationsRoutes(
        database: database, metrics: metrics, lifecycle: lifecycle,
        expectedMigrations: migrator.migrations.count, openAPI: openAPI,
        moreMetrics: {
            let depth = try? await database.read { connection in try DeliveryRepository(connection).pendingCount() }
            return webhookMetrics.render(queueDepth: depth)
        }
    ).register(in: &api)
    let versions = DataVersions()
    let authenticator = accessControl.authenticator
    let clock = configuration.clock
    let transactions = Transactions(
        database: database, pointReads: pointReads,
        inTransaction: [{ changes, connection in try EventOutbox.record(changes, connection, now: clock()) }],
        afterCommit: [
            { changes in versions.apply(changes) },
            { changes in authenticator.forgetTokens(boundToRecordsDeletedIn: changes) },
            { _ in webhooks.wake() },
        ])
    RecordsRoutes(transactions: transactions, clock: configuration.clock).register(in: &api)
    BulkRoutes(
        transactions: transactions, auditTrail: auditTrail, clock: configuration.clock,
        importLimits: configuration.importLimits
    ).register(in: &api)
    MigraineBuddyRoutes(
        transactions: transactions, clock: configuration.clock, importLimits: configuration.importLimits
    ).register(in: &api)
    let fhirExports = FHIRBulkExports(
        transactions: transactions,
        directory: URL(fileURLWithPath: configuration.databasePath).deletingLastPathComponent()
            .appendingPathComponent("fhir-exports"),
        clock: configuration.clock, logger: logger)
    do {
        try fhirExports.recover()
    } catch {
        throw StartupError("cannot recover FHIR export jobs: \(error)")
    }
    FHIRRoutes(transactions: transactions, clock: configuration.clock, version: reliefLogVersion, exports: fhirExports)
        .register(in: &api)
    TokensRoutes(database: database, clock: configuration.clock).register(in: &api)
    AuditRoutes(database: database).register(in: &api)
    WebhooksRoutes(database: database, sealer: sealer, clock: configuration.clock, wake: { webhooks.wake() })
        .register(in: &api)
    VocabularyRoutes().register(in: &api)
    let analytics = AnalyticsService(database: database, versions: versions, clock: configuration.clock)
    AnalyticsRoutes(service: analytics).register(in: &api)
    ReportRoutes(service: analytics).register(in: &api)
    DashboardRoutes().register(in: &api)
    CallerRoutes().register(in: &api)

    let router = api.router.build(logger: logger)
    openAPI.publish(OpenAPI.document(operations: api.operations, version: reliefLogVersion))
    let observers: [any HTTPServerObserver] = [metrics] + (accessLog.map { [$0] } ?? [])
    // Browsers on the allowed origins (`http.corsOrigins`); none by default.
    let responder: any HTTPResponder =
        configuration.corsOrigins.isEmpty
        ? router : CORSResponder(origins: Set(configuration.corsOrigins), next: router)
    var http = configuration.http
    http.parserLimits.largeBodyPathSuffixes += BulkRoutes.importPathSuffixes
    // A loop's point reads share one snapshot per turn (`ConfinedReader`), ended here.
    http.eventLoopTurnEnded = { [pointReads] index in pointReads.endTurn(slot: index) }
    let server = HTTPServer(
        configuration: http, responder: responder, observer: ObserverGroup(observers), logger: logger)
    return Application(
        configuration: configuration, database: database, routes: router.routes, server: server,
        accessLog: accessLog, auditTrail: auditTrail, logger: logger, lifecycle: lifecycle, analytics: analytics,
        webhooks: webhooks)
}
