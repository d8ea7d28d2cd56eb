import Foundation
import ReliefLog
import TestSupport
import Testing

@Suite("Configuration precedence: flags > environment > file > defaults")
struct ConfigurationTests {
    private func write(_ text: String) -> (TemporaryDirectory, String) {
        let directory = TemporaryDirectory()
        let path = directory.file("relieflog.json")
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return (directory, path)
    }

    @Test("defaults apply when nothing else is given")
    func defaults() throws {
        let configuration = try AppConfiguration.load(flags: .init(configFile: nil), environment: [:])
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.databasePath == "./data/relieflog.sqlite")
    }

    @Test("each layer overrides the one below it")
    func precedence() throws {
        let (directory, path) = write(
            #"{"host": "10.0.0.1", "port": 9000, "database": "/tmp/file.sqlite", "logLevel": "debug"}"#)
        defer { directory.remove() }
        let fileOnly = try AppConfiguration.load(flags: .init(configFile: path), environment: [:])
        #expect(fileOnly.port == 9000)
        #expect(fileOnly.host == "10.0.0.1")
        let environment = ["RELIEFLOG_PORT": "9100", "RELIEFLOG_DB": "/tmp/env.sqlite"]
        let withEnvironment = try AppConfiguration.load(flags: .init(configFile: path), environment: environment)
        #expect(withEnvironment.port == 9100)
        #expect(withEnvironment.databasePath == "/tmp/env.sqlite")
        #expect(withEnvironment.host == "10.0.0.1")
        let withFlags = try AppConfiguration.load(flags: .init(configFile: path, port: 9200), environment: environment)
        #expect(withFlags.port == 9200)
        #expect(withFlags.databasePath == "/tmp/env.sqlite")
        #expect(withFlags.logLevel == "debug")
    }

    @Test("RELIEFLOG_CONFIG names the file when no flag does")
    func configFromEnvironment() throws {
        let (directory, path) = write(#"{"port": 7777}"#)
        defer { directory.remove() }
        let configuration = try AppConfiguration.load(flags: .init(), environment: ["RELIEFLOG_CONFIG": path])
        #expect(configuration.port == 7777)
    }

    @Test(
        "rejects unknown keys, wrong types, bad values and a missing file with one clear line",
        arguments: [
            (#"{"prot": 1}"#, "unknown setting 'prot'"),
            (#"{"http": {"maxBodyBytez": 1}}"#, "unknown setting 'http.maxBodyBytez'"),
            (#"{"port": "80"}"#, "port must be an integer"),
            (#"{"port": 70000}"#, "port must be between 0 and 65535"),
            (#"{"logLevel": "loud"}"#, "logLevel) must be one of"),
            (#"{"http": {"headerTimeoutSeconds": -1}}"#, "http.headerTimeoutSeconds must be a positive number"),
            (#"{"http": {"trustedProxies": "127.0.0.1"}}"#, "http.trustedProxies must be an array of strings"),
            (#"{"http": {"trustedProxies": ["proxy.internal"]}}"#, "'proxy.internal' is not an IP address"),
            (#"{"http": {"trustedProxies": ["10.0.0.0/8"]}}"#, "'10.0.0.0/8' is not an IP address"),
            ("{not json", "is not valid JSON"),
        ])
    func rejects(text: String, expected: String) throws {
        let (directory, path) = write(text)
        defer { directory.remove() }
        let error = #expect(throws: ConfigurationError.self) {
            try AppConfiguration.load(flags: .init(configFile: path), environment: [:])
        }
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "no error")")
        #expect(error?.description.contains("\n") == false)
    }

    @Test("trusted proxies from the file or the environment, in canonical form")
    func trustedProxies() throws {
        let (directory, path) = write(#"{"http": {"trustedProxies": ["127.0.0.1", "0:0:0:0:0:0:0:1"]}}"#)
        defer { directory.remove() }
        let fromFile = try AppConfiguration.load(flags: .init(configFile: path), environment: [:])
        #expect(fromFile.http.trustedProxies == ["127.0.0.1", "::1"])
        let fromEnvironment = try AppConfiguration.load(
            flags: .init(configFile: path), environment: ["RELIEFLOG_TRUSTED_PROXIES": " 10.0.0.2, ::ffff:10.0.0.3 "])
        #expect(fromEnvironment.http.trustedProxies == ["10.0.0.2", "10.0.0.3"])
        #expect(throws: ConfigurationError.self) {
            try AppConfiguration.load(flags: .init(), environment: ["RELIEFLOG_TRUSTED_PROXIES": "10.0.0.2,nginx"])
        }
    }

    @Test("a bad environment value is an error, not ignored")
    func badEnvironment() {
        #expect(throws: ConfigurationError.self) {
            try AppConfiguration.load(flags: .init(), environment: ["RELIEFLOG_PORT": "eighty"])
        }
    }

    @Test("the documented defaults file matches the built-in defaults")
    func documentedDefaults() throws {
        let path = repositoryRoot.appendingPathComponent("config/relieflog.json").path
        let fromFile = try AppConfiguration.load(flags: .init(configFile: path), environment: [:])
        let builtIn = AppConfiguration.defaults
        #expect(fromFile.host == builtIn.host)
        #expect(fromFile.port == builtIn.port)
        #expect(fromFile.databasePath == builtIn.databasePath)
        #expect(fromFile.logLevel == builtIn.logLevel)
        #expect(fromFile.accessLog == builtIn.accessLog)
        #expect(fromFile.readerCount == builtIn.readerCount)
        #expect(fromFile.maxWriteBatch == builtIn.maxWriteBatch)
        #expect(fromFile.http.parserLimits == builtIn.http.parserLimits)
        #expect(fromFile.rateLimits == builtIn.rateLimits)
        #expect(fromFile.auditRetentionDays == builtIn.auditRetentionDays)
        #expect(fromFile.startupCheck == builtIn.startupCheck)
        #expect(fromFile.http.headerTimeout == builtIn.http.headerTimeout)
        #expect(fromFile.http.bodyTimeout == builtIn.http.bodyTimeout)
        #expect(fromFile.http.idleTimeout == builtIn.http.idleTimeout)
        #expect(fromFile.http.writeTimeout == builtIn.http.writeTimeout)
        #expect(fromFile.http.maxConnections == builtIn.http.maxConnections)
        #expect(fromFile.http.shutdownGracePeriod == builtIn.http.shutdownGracePeriod)
        #expect(fromFile.http.trustedProxies == builtIn.http.trustedProxies)
        #expect(fromFile.webhooks.retrySchedule == builtIn.webhooks.retrySchedule)
        #expect(fromFile.webhooks.timeoutSeconds == builtIn.webhooks.timeoutSeconds)
        #expect(fromFile.webhooks.secretKeyFile == builtIn.webhooks.secretKeyFile)
        #expect(fromFile.webhooks.httpsProxy == builtIn.webhooks.httpsProxy)
        #expect(fromFile.corsOrigins == builtIn.corsOrigins)
        #expect(fromFile.importLimits == builtIn.importLimits)
    }

    @Test("a migrations directory given instead of the built-in ones must exist and hold migrations")
    func migrationsOverride() throws {
        let found = try MigrationsLocator.locate(explicit: migrationsDirectory)
        #expect(found.standardizedFileURL.path == URL(fileURLWithPath: migrationsDirectory).standardizedFileURL.path)
        #expect(throws: StartupError.self) { try MigrationsLocator.locate(explicit: "/nonexistent/migrations") }
        let empty = TemporaryDirectory()
        defer { empty.remove() }
        #expect(throws: StartupError.self) { try MigrationsLocator.locate(explicit: empty.url.path) }
    }
}
