/// Rate limits (token buckets). A rate of 0 turns the per-address or per-token limit off;
/// the failed-authentication limit is always on.
public struct RateLimitSettings: Sendable, Hashable {
    /// Requests per second each token earns, and how many it may spend at once.
    public var perTokenPerSecond: Double = 100
    public var perTokenBurst = 200
    /// Requests per second each client address earns (before authentication), and its burst.
    public var perAddressPerSecond: Double = 300
    public var perAddressBurst = 600
    /// Failed authentications each address may make per minute once its burst is spent.
    public var failedAuthenticationsPerMinute: Double = 10
    public var failedAuthenticationBurst = 10

    public init() {}
}
