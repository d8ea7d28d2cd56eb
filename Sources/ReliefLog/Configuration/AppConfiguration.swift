public import Foundation
public import HTTP
import JSON

/// Everything the service can be configured with, and where each value came from.
///
/// Precedence, highest first: command-line flags, environment variables, the configuration
/// file (`--config`, `RELIEFLOG_CONFIG`, else `config/relieflog.json` when it exists), defaults.
/// The documented defaults live in `config/relieflog.json` and in `defaults` below; a test keeps
/// the two in step.
public struct AppConfiguration: Sendable {
    /// Where to listen; kept in `http`, the server's own configuration, so there is one copy.
    public var host: String {
        get { http.host }
        set { http.host = newValue }
    }
    public var port: Int {
        get { http.port }
        set { http.port = newValue }
    }
    public var databasePath = "./data/relieflog.sqlite"
    /// Directory holding the numbered `.sql` migrations; nil means "find it" (see `MigrationsLocator`).
    public var migrationsDirectory: String?
    public var logLevel = "info"
    public var accessLog = true
    /// Read-only SQLite connections (each with its own thread) serving GET requests and analytics.
    public var readerCount = 4
    /// Most concurrent writes committed together in one durable transaction (group commit).
    public var maxWriteBatch = 64
    public var http = HTTPServerConfiguration()
    public var rateLimits = RateLimitSettings()
    /// Audit log rows older than this many days are deleted (hourly); 0 keeps them forever.
    /// Six years by default: the retention HIPAA asks of compliance documentation.
    public var auditRetentionDays = 2192
    /// `quick`: `PRAGMA quick_check` of the whole file before serving, so a damaged database stops
    /// the start instead of failing a request (it reads every page: about 15 s per GiB on a small
    /// VM); `off` skips it, for large databases checked by `relieflog verify` from cron instead.
    public var startupCheck = "quick"
    /// The current time in epoch milliseconds, used for validation and the Idempotency-Key
    /// window; the wall clock by default. For tests; not read from files or the environment.
    public var clock: @Sendable () -> Int64 = EpochClock.now
    /// Webhook delivery: retry schedule, timeout, secret key file, TLS proxy.
    public var webhooks = WebhookSettings()
    /// The rate limits' monotonic clock in nanoseconds (buckets refill by it). For tests, which
    /// must not depend on how fast a busy machine runs them; not read from files or the environment.
    public var rateLimitClock: @Sendable () -> UInt64 = RateLimiter<String>.monotonicNanoseconds
    /// Origins (`https://dashboard.example.org`) whose browser pages may call the API
    /// (`http.corsOrigins`); empty by default: no cross-origin access.
    public var corsOrigins: [String] = []
    /// Rows, cells and line lengths one import file may have (`import`; docs/limits.md).
    public var importLimits = ImportLimits()

    public init() {}

    public static let defaults = AppConfiguration()
}

/// A configuration problem, reported as one line before the process exits non-zero.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Values given on the command line; nil where the flag was not given.
public struct ConfigurationOverrides: Sendable {
    public var configFile: String?
    public var host: String?
    public var port: Int?
    public var databasePath: String?
    public var migrationsDirectory: String?
    public var logLevel: String?

    public init(
        configFile: String? = nil, host: String? = nil, port: Int? = nil, databasePath: String? = nil,
        migrationsDirectory: String? = nil, logLevel: String? = nil
    ) {
        self.configFile = configFile
        self.host = host
        self.port = port
        self.databasePath = databasePath
        self.migrationsDirectory = migrationsDirectory
        self.logLevel = logLevel
    }
}

extension AppConfiguration {
    /// The default configuration file, relative to the working directory.
    public static let defaultConfigFile = "config/relieflog.json"

    /// Resolves flags > environment > file > defaults.
    public static func load(
        flags: ConfigurationOverrides, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) -> AppConfiguration {
        var configuration = AppConfiguration()
        let explicitFile = flags.configFile ?? environment["RELIEFLOG_CONFIG"]
        let file = explicitFile ?? defaultConfigFile
        if explicitFile != nil || FileManager.default.fileExists(atPath: file) {
            try configuration.apply(file: file)
        }
        try configuration.apply(environment: environment)
        try configuration.apply(flags: flags)
        // Level names are matched without regard to case (DEBUG, Debug and debug are one level).
        configuration.logLevel = configuration.logLevel.lowercased()
        try configuration.validate()
        return configuration
    }

    mutating func apply(file path: String) throws(ConfigurationError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            let reason =
                !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
                ? "no such file" : isDirectory.boolValue ? "it is a directory" : "permission denied"
            throw ConfigurationError("cannot read configuration file \(path): \(reason)")
        }
        let value: JSONValue
        do {
            value = try JSON.parse(Array(data))
        } catch {
            throw ConfigurationError("configuration file \(path) is not valid JSON: \(error)")
        }
        guard case .object(let object) = value else {
            throw ConfigurationError("configuration file \(path) must hold a JSON object")
        }
        try apply(object: object, source: path)
    }

    mutating func apply(object: JSONObject, source: String) throws(ConfigurationError) {
        var reader = ConfigReader(object: object, source: source, prefix: "")
        host = try reader.string("host") ?? host
        port = try reader.int("port") ?? port
        databasePath = try reader.string("database") ?? databasePath
        migrationsDirectory = try reader.string("migrations") ?? migrationsDirectory
        logLevel = try reader.string("logLevel") ?? logLevel
        accessLog = try reader.bool("accessLog") ?? accessLog
        readerCount = try reader.int("readers") ?? readerCount
        maxWriteBatch = try reader.int("maxWriteBatch") ?? maxWriteBatch
        auditRetentionDays = try reader.int("auditRetentionDays") ?? auditRetentionDays
        startupCheck = try reader.string("startupCheck") ?? startupCheck
        if let limitsObject = try reader.object("rateLimits") {
            var limitsReader = ConfigReader(object: limitsObject, source: source, prefix: "rateLimits.")
            rateLimits.perTokenPerSecond = try limitsReader.number("perTokenPerSecond") ?? rateLimits.perTokenPerSecond
            rateLimits.perTokenBurst = try limitsReader.int("perTokenBurst") ?? rateLimits.perTokenBurst
            rateLimits.perAddressPerSecond =
                try limitsReader.number("perAddressPerSecond") ?? rateLimits.perAddressPerSecond
            rateLimits.perAddressBurst = try limitsReader.int("perAddressBurst") ?? rateLimits.perAddressBurst
            rateLimits.failedAuthenticationsPerMinute =
                try limitsReader.number("failedAuthenticationsPerMinute") ?? rateLimits.failedAuthenticationsPerMinute
            rateLimits.failedAuthenticationBurst =
                try limitsReader.int("failedAuthenticationBurst") ?? rateLimits.failedAuthenticationBurst
            try limitsReader.rejectUnknownKeys()
        }
        if let webhooksObject = try reader.object("webhooks") {
            var webhooksReader = ConfigReader(object: webhooksObject, source: source, prefix: "webhooks.")
            webhooks.retrySchedule = try webhooksReader.numbers("retryScheduleSeconds") ?? webhooks.retrySchedule
            webhooks.timeoutSeconds = try webhooksReader.number("timeoutSeconds") ?? webhooks.timeoutSeconds
            webhooks.secretKeyFile = try webhooksReader.string("secretKeyFile") ?? webhooks.secretKeyFile
            webhooks.httpsProxy = try webhooksReader.string("httpsProxy") ?? webhooks.httpsProxy
            try webhooksReader.rejectUnknownKeys()
        }
        if let importObject = try reader.object("import") {
            var importReader = ConfigReader(object: importObject, source: source, prefix: "import.")
            importLimits.maxRows = try importReader.int("maxRows") ?? importLimits.maxRows
            importLimits.maxColumns = try importReader.int("maxColumns") ?? importLimits.maxColumns
            importLimits.maxFieldBytes = try importReader.int("maxFieldBytes") ?? importLimits.maxFieldBytes
            importLimits.maxLineBytes = try importReader.int("maxLineBytes") ?? importLimits.maxLineBytes
            try importReader.rejectUnknownKeys()
        }
        if let httpObject = try reader.object("http") {
            var httpReader = ConfigReader(object: httpObject, source: source, prefix: "http.")
            var limits = http.parserLimits
            limits.maxRequestLineBytes = try httpReader.int("maxRequestLineBytes") ?? limits.maxRequestLineBytes
            limits.maxHeaderBytes = try httpReader.int("maxHeaderBytes") ?? limits.maxHeaderBytes
            limits.maxHeaderCount = try httpReader.int("maxHeaderCount") ?? limits.maxHeaderCount
            limits.maxBodyBytes = try httpReader.int("maxBodyBytes") ?? limits.maxBodyBytes
            limits.maxLargeBodyBytes = try httpReader.int("maxImportBytes") ?? limits.maxLargeBodyBytes
            http.parserLimits = limits
            http.headerTimeout = try httpReader.seconds("headerTimeoutSeconds") ?? http.headerTimeout
            http.bodyTimeout = try httpReader.seconds("bodyTimeoutSeconds") ?? http.bodyTimeout
            http.idleTimeout = try httpReader.seconds("idleTimeoutSeconds") ?? http.idleTimeout
            http.writeTimeout = try httpReader.seconds("writeTimeoutSeconds") ?? http.writeTimeout
            http.shutdownGracePeriod = try httpReader.seconds("shutdownGraceSeconds") ?? http.shutdownGracePeriod
            http.maxConnections = try httpReader.int("maxConnections") ?? http.maxConnections
            http.eventLoopCount = try httpReader.int("eventLoops") ?? http.eventLoopCount
            if let origins = try httpReader.strings("corsOrigins") {
                if let bad = origins.first(where: { !CORSResponder.isOrigin($0) }) {
                    throw ConfigurationError(
                        "\(source): http.corsOrigins: '\(bad)' is not an origin (scheme://host[:port], no path, no *)")
                }
                corsOrigins = origins
            }
            if let proxies = try httpReader.strings("trustedProxies") {
                http.trustedProxies = try Self.trustedProxies(proxies, source: "\(source): http.trustedProxies")
            }
            try httpReader.rejectUnknownKeys()
        }
        try reader.rejectUnknownKeys()
    }

    mutating func apply(environment: [String: String]) throws(ConfigurationError) {
        if let value = environment["RELIEFLOG_HOST"], !value.isEmpty { host = value }
        if let value = environment["RELIEFLOG_PORT"], !value.isEmpty {
            guard let port = Int(value) else {
                throw ConfigurationError("RELIEFLOG_PORT must be a number, got '\(value)'")
            }
            self.port = port
        }
        if let value = environment["RELIEFLOG_DB"], !value.isEmpty { databasePath = value }
        if let value = environment["RELIEFLOG_MIGRATIONS"], !value.isEmpty { migrationsDirectory = value }
        if let value = environment["RELIEFLOG_LOG_LEVEL"], !value.isEmpty { logLevel = value }
        if let value = environment["RELIEFLOG_TRUSTED_PROXIES"] {
            let entries = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
            http.trustedProxies = try Self.trustedProxies(entries, source: "RELIEFLOG_TRUSTED_PROXIES")
        }
        if let value = environment["RELIEFLOG_ACCESS_LOG"], !value.isEmpty {
            switch value.lowercased() {
            case "1", "true", "on", "yes": accessLog = true
            case "0", "false", "off", "no": accessLog = false
            default: throw ConfigurationError("RELIEFLOG_ACCESS_LOG must be true or false, got '\(value)'")
            }
        }
    }

    /// Canonical addresses of the given reverse proxies, or the entry that is not an address.
    static func trustedProxies(_ entries: [String], source: String) throws(ConfigurationError) -> Set<String> {
        var addresses: Set<String> = []
        for entry in entries {
            guard let address = ClientAddress.canonical(entry) else {
                throw ConfigurationError(
                    "\(source): '\(entry)' is not an IP address (list each proxy's address; no names or ranges)")
            }
            addresses.insert(address)
        }
        return addresses
    }

    mutating func apply(flags: ConfigurationOverrides) throws(ConfigurationError) {
        if let value = flags.host { host = value }
        if let value = flags.port { port = value }
        if let value = flags.databasePath { databasePath = value }
        if let value = flags.migrationsDirectory { migrationsDirectory = value }
        if let value = flags.logLevel { logLevel = value }
    }

    func validate() throws(ConfigurationError) {
        guard (0...65535).contains(port) else {
            throw ConfigurationError("port must be between 0 and 65535, got \(port)")
        }
        guard !host.isEmpty else { throw ConfigurationError("host must not be empty") }
        guard !databasePath.isEmpty else { throw ConfigurationError("database path must not be empty") }
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) else {
            throw ConfigurationError(
                "the log level (--log-level, RELIEFLOG_LOG_LEVEL or logLevel) must be one of trace, debug, info, "
                    + "notice, warning, error, critical; got '\(logLevel)'")
        }
        guard (1...64).contains(readerCount) else {
            throw ConfigurationError("readers must be between 1 and 64, got \(readerCount)")
        }
        guard (1...1024).contains(maxWriteBatch) else {
            throw ConfigurationError("maxWriteBatch must be between 1 and 1024, got \(maxWriteBatch)")
        }
        guard auditRetentionDays >= 0 else {
            throw ConfigurationError("auditRetentionDays must be 0 (keep forever) or more, got \(auditRetentionDays)")
        }
        guard startupCheck == "quick" || startupCheck == "off" else {
            throw ConfigurationError("startupCheck must be quick or off, got '\(startupCheck)'")
        }
        let rates = rateLimits
        guard rates.perTokenPerSecond >= 0, rates.perAddressPerSecond >= 0, rates.failedAuthenticationsPerMinute > 0
        else {
            throw ConfigurationError(
                "rateLimits: rates must be 0 (off) or positive, and failedAuthenticationsPerMinute positive")
        }
        for (name, value) in [
            ("perTokenBurst", rates.perTokenBurst), ("perAddressBurst", rates.perAddressBurst),
            ("failedAuthenticationBurst", rates.failedAuthenticationBurst),
        ] where value < 1 {
            throw ConfigurationError("rateLimits.\(name) must be at least 1, got \(value)")
        }
        guard webhooks.retrySchedule.count <= 50, webhooks.retrySchedule.allSatisfy({ $0 > 0 && $0 <= 604_800 }) else {
            throw ConfigurationError(
                "webhooks.retryScheduleSeconds must hold at most 50 delays, each above 0 and at most 604800 seconds")
        }
        guard webhooks.timeoutSeconds > 0, webhooks.timeoutSeconds <= 300 else {
            throw ConfigurationError("webhooks.timeoutSeconds must be above 0 and at most 300")
        }
        if let proxy = webhooks.httpsProxy, HTTPClientURL(proxy)?.scheme != "http" {
            throw ConfigurationError("webhooks.httpsProxy must be an http://host:port URL, got '\(proxy)'")
        }
        let limits = http.parserLimits
        for (name, value) in [
            ("maxRequestLineBytes", limits.maxRequestLineBytes), ("maxHeaderBytes", limits.maxHeaderBytes),
            ("maxHeaderCount", limits.maxHeaderCount), ("maxBodyBytes", limits.maxBodyBytes),
            ("maxImportBytes", limits.maxLargeBodyBytes),
            ("maxConnections", http.maxConnections), ("eventLoops", http.eventLoopCount),
        ] where value <= 0 {
            throw ConfigurationError("http.\(name) must be positive, got \(value)")
        }
        for (name, value) in [
            ("maxRows", importLimits.maxRows), ("maxColumns", importLimits.maxColumns),
            ("maxFieldBytes", importLimits.maxFieldBytes), ("maxLineBytes", importLimits.maxLineBytes),
        ] where value <= 0 {
            throw ConfigurationError("import.\(name) must be positive, got \(value)")
        }
    }
}

/// Reads typed keys from one configuration object and remembers which it consumed, so an
/// unknown (misspelt) key is an error rather than a silently ignored setting.
private struct ConfigReader {
    let object: JSONObject
    let source: String
    let prefix: String
    private var seen: Set<String> = []

    init(object: JSONObject, source: String, prefix: String) {
        self.object = object
        self.source = source
        self.prefix = prefix
    }

    private mutating func value(_ key: String) -> JSONValue? {
        seen.insert(key)
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    private func wrongType(_ key: String, _ expected: String) -> ConfigurationError {
        ConfigurationError("\(source): \(prefix)\(key) must be \(expected)")
    }

    mutating func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw wrongType(key, "a string") }
        return text
    }

    mutating func int(_ key: String) throws(ConfigurationError) -> Int? {
        guard let value = value(key) else { return nil }
        guard case .number(.integer(let number)) = value, let int = Int(exactly: number) else {
            throw wrongType(key, "an integer")
        }
        return int
    }

    mutating func number(_ key: String) throws(ConfigurationError) -> Double? {
        guard let value = value(key) else { return nil }
        switch value {
        case .number(.integer(let number)): return Double(number)
        case .number(.double(let number)): return number
        default: throw wrongType(key, "a number")
        }
    }

    mutating func numbers(_ key: String) throws(ConfigurationError) -> [Double]? {
        guard let value = value(key) else { return nil }
        guard case .array(let items) = value else { throw wrongType(key, "an array of numbers") }
        var numbers: [Double] = []
        for item in items {
            switch item {
            case .number(.integer(let number)): numbers.append(Double(number))
            case .number(.double(let number)): numbers.append(number)
            default: throw wrongType(key, "an array of numbers")
            }
        }
        return numbers
    }

    mutating func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { throw wrongType(key, "true or false") }
        return flag
    }

    mutating func seconds(_ key: String) throws(ConfigurationError) -> Duration? {
        guard let value = value(key) else { return nil }
        switch value {
        case .number(.integer(let number)) where number > 0: return .seconds(number)
        case .number(.double(let number)) where number > 0: return .milliseconds(Int64(number * 1000))
        default: throw wrongType(key, "a positive number of seconds")
        }
    }

    mutating func strings(_ key: String) throws(ConfigurationError) -> [String]? {
        guard let value = value(key) else { return nil }
        guard case .array(let items) = value else { throw wrongType(key, "an array of strings") }
        var strings: [String] = []
        for item in items {
            guard case .string(let text) = item else { throw wrongType(key, "an array of strings") }
            strings.append(text)
        }
        return strings
    }

    mutating func object(_ key: String) throws(ConfigurationError) -> JSONObject? {
        guard let value = value(key) else { return nil }
        guard case .object(let object) = value else { throw wrongType(key, "an object") }
        return object
    }

    func rejectUnknownKeys() throws(ConfigurationError) {
        // Keys starting with "_" are comments in the documented defaults file.
        if let unknown = object.keys.first(where: { !seen.contains($0) && !$0.hasPrefix("_") }) {
            throw ConfigurationError("\(source): unknown setting '\(prefix)\(unknown)'")
        }
    }
}
