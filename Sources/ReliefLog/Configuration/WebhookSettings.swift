/// Webhook delivery settings (`webhooks` in the configuration file).
public struct WebhookSettings: Sendable {
    /// Delays before each retry after a failed attempt, in seconds (fractions allowed): a
    /// delivery is tried once, then once after each delay, then marked failed.
    public var retrySchedule: [Double] = [5, 300, 1800, 7200, 18000, 36000, 36000]
    /// Time one attempt may take: connecting, sending and reading the response.
    public var timeoutSeconds: Double = 15
    /// The file holding the key that seals webhook secrets in the database; nil means the
    /// database path with `.webhook-key` appended. Created (mode 0600) when missing.
    public var secretKeyFile: String?
    /// An `http://host:port` proxy that originates TLS for `https://` receivers (the server
    /// itself speaks plain HTTP only); nil: deliveries to `https://` URLs fail with that reason.
    public var httpsProxy: String?

    public init() {}

    /// The key file for a database at `databasePath`.
    public func keyFile(databasePath: String) -> String {
        secretKeyFile ?? databasePath + ".webhook-key"
    }
}
