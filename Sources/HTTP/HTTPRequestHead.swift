/// An HTTP protocol version such as `HTTP/1.1` (RFC 9112 §2.3).
public struct HTTPVersion: Sendable, Hashable, CustomStringConvertible {
    /// The major version number.
    public var major: Int
    /// The minor version number.
    public var minor: Int

    /// Creates a version from its two numbers.
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// `HTTP/1.0`.
    public static let http1_0 = HTTPVersion(major: 1, minor: 0)
    /// `HTTP/1.1`.
    public static let http1_1 = HTTPVersion(major: 1, minor: 1)

    /// The version as written on the wire, e.g. `HTTP/1.1`.
    public var description: String { "HTTP/\(major).\(minor)" }
}

/// The request line and header section of a request, validated, with the
/// framing and connection decisions derived from them.
public struct HTTPRequestHead: Sendable, Equatable {
    /// The method token, case-sensitive (RFC 9110 §9.1): `GET` and `get` differ.
    public var method: String

    /// The request target exactly as received: origin-form (`/a?b`),
    /// absolute-form (`http://h/a?b`), asterisk-form (`*`, only with OPTIONS)
    /// or authority-form (`host:port`, only with CONNECT) (RFC 9112 §3.2).
    public var target: String

    /// The path of the target, still percent-encoded.
    ///
    /// For origin-form it is the part before `?`; absolute-form is reduced to
    /// its path, with an empty path given as `/`. For asterisk-form it is `*`
    /// and for authority-form the authority itself, since those forms have
    /// no path.
    public var path: String

    /// The query of the target, after `?` and without it; nil if the target
    /// has no `?`. An empty query (`/a?`) is the empty string.
    public var query: String?

    /// The request's protocol version: `HTTP/1.0` or `HTTP/1.1`.
    public var version: HTTPVersion

    /// The header fields in the order received, names in their original case.
    public var headers: HTTPHeaders

    /// Whether the connection stays open after this request (RFC 9112 §9.3).
    ///
    /// HTTP/1.1 is persistent unless the `Connection` field lists `close`;
    /// HTTP/1.0 is persistent only if it lists `keep-alive` and not `close`.
    /// `Connection` is a comma-separated list of case-insensitive tokens.
    public var keepAlive: Bool

    /// Whether the client sent `Expect: 100-continue` on an HTTP/1.1 request
    /// that has a body, and so waits for a `100 Continue` interim response
    /// before sending it (RFC 9110 §10.1.1).
    public var expectsContinue: Bool

    /// The declared `Content-Length`, or nil if the body is chunked or the
    /// request declared no length (and so has no body, RFC 9112 §6.3).
    public var contentLength: Int?

    /// Whether the body is sent with the chunked transfer coding (RFC 9112 §7.1).
    public var isChunked: Bool

    /// Creates a request head. The parser fills every field; this is for
    /// tests and for code that builds requests by hand.
    public init(
        method: String,
        target: String,
        path: String,
        query: String? = nil,
        version: HTTPVersion = .http1_1,
        headers: HTTPHeaders = HTTPHeaders(),
        keepAlive: Bool = true,
        expectsContinue: Bool = false,
        contentLength: Int? = nil,
        isChunked: Bool = false
    ) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.version = version
        self.headers = headers
        self.keepAlive = keepAlive
        self.expectsContinue = expectsContinue
        self.contentLength = contentLength
        self.isChunked = isChunked
    }
}

/// A complete request: its head and its whole body, de-chunked.
public struct HTTPRequest: Sendable, Equatable {
    /// The request line and headers.
    public var head: HTTPRequestHead
    /// The body bytes; empty when the request has no body.
    public var body: [UInt8]

    /// Creates a request from a head and a body.
    public init(head: HTTPRequestHead, body: [UInt8] = []) {
        self.head = head
        self.body = body
    }
}
