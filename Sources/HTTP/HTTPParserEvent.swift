/// Why a request was rejected, with the status code to answer with.
///
/// The parser stops at the first error; the connection should send a
/// response with `status` (and `Connection: close`) and then close, since
/// the framing of anything that follows can no longer be trusted.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The response status: 400, 413, 414, 431, 501 or 505.
    public var status: Int
    /// A short reason, safe to send to the client, e.g.
    /// `conflicting Content-Length values`. It never echoes request bytes.
    public var reason: String

    /// Creates an error with a status and a reason.
    public init(status: Int, reason: String) {
        self.status = status
        self.reason = reason
    }

    /// `status reason`, e.g. `400 conflicting Content-Length values`.
    public var description: String { "\(status) \(reason)" }
}

/// What the parser has to report after being given bytes.
public enum HTTPParserEvent: Sendable, Equatable {
    /// Every buffered byte has been used; append more and ask again.
    case needMoreData

    /// A request head is complete and valid. Emitted once per request, before
    /// any body byte is read, so the caller can answer `100 Continue` or
    /// reject the request; calling `next()` again goes on with the body.
    case head(HTTPRequestHead)

    /// A whole request: its head again and its complete, de-chunked body.
    /// Every request produces `.head` first, then `.request`, even without a body.
    case request(HTTPRequest)

    /// The request is malformed or over a limit. Terminal: every later call
    /// to `next()` returns the same error and no later byte is parsed.
    case error(HTTPParseError)
}
