import HTTP

/// The gate in front of every route that needs a token: per-address and per-token rate
/// limits, a much tighter limit on failed authentication (so tokens cannot be guessed online),
/// authentication, and the audit trail the routes write to.
final class AccessControl: Sendable {
    let authenticator: Authenticator
    let auditTrail: AuditTrail
    let clock: @Sendable () -> Int64
    private let perAddress: RateLimiter<String>?
    private let perToken: RateLimiter<Int64>?
    private let failedAuthentication: RateLimiter<String>

    init(
        authenticator: Authenticator, auditTrail: AuditTrail, limits: RateLimitSettings,
        clock: @escaping @Sendable () -> Int64,
        rateLimitClock: @escaping @Sendable () -> UInt64 = RateLimiter<String>.monotonicNanoseconds
    ) {
        self.authenticator = authenticator
        self.auditTrail = auditTrail
        self.clock = clock
        perAddress =
            limits.perAddressPerSecond > 0
            ? RateLimiter(
                rule: .init(ratePerSecond: limits.perAddressPerSecond, burst: Double(limits.perAddressBurst)),
                now: rateLimitClock)
            : nil
        perToken =
            limits.perTokenPerSecond > 0
            ? RateLimiter(
                rule: .init(ratePerSecond: limits.perTokenPerSecond, burst: Double(limits.perTokenBurst)),
                now: rateLimitClock)
            : nil
        failedAuthentication = RateLimiter(
            rule: .init(
                ratePerSecond: limits.failedAuthenticationsPerMinute / 60,
                burst: Double(limits.failedAuthenticationBurst)),
            now: rateLimitClock)
    }

    /// The caller of `request`, or the 429/401 problem that stops it.
    func admit(_ request: HTTPServerRequest) async throws(Problem) -> Caller {
        // The peer, or behind a trusted reverse proxy the client it forwarded for.
        let address = request.clientAddress
        // One clock reading for the three buckets.
        let now = failedAuthentication.now()
        if let perAddress, case .limited(let seconds) = perAddress.take(address, at: now) {
            throw Self.tooManyRequests(seconds, "Too many requests from this address.")
        }
        // An address that keeps presenting bad tokens is shut out until its bucket refills,
        // whatever it presents next.
        if case .limited(let seconds) = failedAuthentication.check(address, at: now) {
            throw Self.tooManyRequests(seconds, "Too many failed authentication attempts from this address.")
        }
        let caller: Caller
        do {
            caller = try await authenticator.authenticate(request)
        } catch {
            // A request without credentials guesses nothing; only presented tokens count.
            if error != .missing && error != .unavailable { _ = failedAuthentication.take(address) }
            throw error.problem
        }
        if let perToken, case .limited(let seconds) = perToken.take(caller.tokenId, at: now) {
            throw Self.tooManyRequests(seconds, "Too many requests with this token.")
        }
        return caller
    }

    static func tooManyRequests(_ retryAfter: Int, _ detail: String) -> Problem {
        Problem(
            status: 429, type: "urn:relieflog:problem:rate-limited", title: "Too Many Requests", detail: detail,
            headers: ["Retry-After": String(retryAfter)])
    }
}
