import HTTP
import SQLite
import Synchronization
import ThreadSupport

/// Why a request was not authenticated.
enum AuthenticationFailure: Error, Sendable, Equatable {
    /// No `Authorization` header.
    case missing
    /// An `Authorization` header that is not one `Bearer` token.
    case malformed
    /// A token that is not (or no longer) ours.
    case invalid
    /// A token past its `expiresAt`.
    case expired
    /// The token could not be looked up (the database is unavailable): 503, not the client's fault.
    case unavailable
}

/// Turns the `Authorization: Bearer …` header into a `Caller`.
///
/// Verified tokens are remembered for `cacheLifetime` so the common request costs one SHA-256
/// and a dictionary look-up, not a database read. Revocation and erasure through the API
/// forget them at once (`forget`); a row deleted behind the server's back (say, with the
/// sqlite3 shell) stops working within the cache lifetime.
final class Authenticator: Sendable {
    private struct Remembered {
        var token: StoredToken
        var fetchedAt: Int64
    }

    private let reads: PointReads
    private let clock: @Sendable () -> Int64
    private let cache = Locked<[UInt64: Remembered]>([:])
    static let cacheLifetimeMilliseconds: Int64 = 30_000
    static let cacheCapacity = 10_000

    init(reads: PointReads, clock: @escaping @Sendable () -> Int64) {
        self.reads = reads
        self.clock = clock
    }

    func authenticate(_ request: HTTPServerRequest) async throws(AuthenticationFailure) -> Caller {
        let token = try Self.presentedToken(request)
        let now = clock()
        let stored: StoredToken?
        if let remembered = cache.withLock({ $0[token.lookupValue] }),
            now - remembered.fetchedAt < Self.cacheLifetimeMilliseconds
        {
            stored = remembered.token
        } else {
            do {
                stored = try await reads.read { connection in
                    try TokenRepository(connection).find(lookup: token.lookup)
                }
            } catch {
                throw .unavailable
            }
            if let stored { remember(stored, under: token.lookupValue, at: now) }
        }
        // The digest comparison is constant-time; the look-up by the public part leaks nothing
        // about the secret.
        guard let stored, token.matches(stored.digest) else { throw .invalid }
        if let expiresAt = stored.metadata.expiresAt, now >= expiresAt { throw .expired }
        return stored.metadata.caller
    }

    /// Drops remembered tokens matching `predicate` (after revocation or erasure).
    func forget(where predicate: (TokenMetadata) -> Bool) {
        cache.withLock { cache in
            cache = cache.filter { !predicate($0.value.token.metadata) }
        }
    }

    private func remember(_ token: StoredToken, under key: UInt64, at now: Int64) {
        cache.withLock { cache in
            if cache.count >= Self.cacheCapacity { cache.removeAll(keepingCapacity: true) }
            cache[key] = Remembered(token: token, fetchedAt: now)
        }
    }

    /// The token of the single `Authorization: Bearer <token>` header (RFC 6750 §2.1; the
    /// scheme is case-insensitive). Runs on every request, on the header's bytes.
    static func presentedToken(_ request: HTTPServerRequest) throws(AuthenticationFailure) -> AccessToken {
        let headers = request.headers
        guard var value = headers["Authorization"] else { throw .missing }
        guard headers.count(of: "Authorization") == 1 else { throw .malformed }
        return try value.withUTF8 { bytes in Self.bearerToken(in: bytes) }.get()
    }

    private static let scheme = Array("bearer".utf8)

    /// "Bearer", case-insensitive, then one or more spaces, then the token (token68), nothing else.
    private static func bearerToken(in bytes: UnsafeBufferPointer<UInt8>) -> Result<AccessToken, AuthenticationFailure>
    {
        let space = UInt8(ascii: " ")
        guard bytes.count > scheme.count, bytes[scheme.count] == space else { return .failure(.malformed) }
        for index in scheme.indices where bytes[index] | 0x20 != scheme[index] { return .failure(.malformed) }
        var start = scheme.count
        while start < bytes.count && bytes[start] == space { start += 1 }
        let credentials = UnsafeBufferPointer(rebasing: bytes[start...])
        guard !credentials.isEmpty, !credentials.contains(space) else { return .failure(.malformed) }
        guard let token = AccessToken(presented: credentials) else { return .failure(.invalid) }
        return .success(token)
    }
}

extension Authenticator {
    /// After a commit: tokens bound to an erased patient or a deleted therapist went with it
    /// (ON DELETE CASCADE), so their remembered copies go too.
    func forgetTokens(boundToRecordsDeletedIn changes: [RecordChange]) {
        let patients = Set(changes.filter { $0.action == .deleted && $0.resource == .patient }.map(\.id))
        let therapists = Set(changes.filter { $0.action == .deleted && $0.resource == .therapist }.map(\.id))
        guard !patients.isEmpty || !therapists.isEmpty else { return }
        forget { token in
            token.patientId.map(patients.contains) ?? false || token.therapistId.map(therapists.contains) ?? false
        }
    }
}
