import Foundation

/// Every limit of the HTTP server in one place, with documented defaults.
///
/// The defaults start from nginx's (`large_client_header_buffers 4 8k`,
/// `client_header_timeout 60s`, `keepalive_timeout 75s`, `client_max_body_size 1m`) and are
/// tightened for a JSON API whose requests are small: a request line of 8 KiB, 32 KiB and 100
/// fields of headers, a 10 s header timeout, a 15 s idle keep-alive and a 1 MiB body.
public struct HTTPServerConfiguration: Sendable {
    public var host: String
    /// 0 lets the kernel choose a free port; `HTTPServer.start()` returns the one bound.
    public var port: Int
    /// Pending connections the kernel queues before `accept` (`listen(2)` backlog).
    public var backlog: Int32
    /// Request line, header and body limits, enforced by the parser (414, 431, 413).
    public var parserLimits: HTTPParserLimits
    /// Time for a client to send a complete request head, from its first byte (or from accept).
    public var headerTimeout: Duration
    /// Time for a client to send a complete body once the head is in.
    public var bodyTimeout: Duration
    /// Time a kept-alive connection may stay silent between requests.
    public var idleTimeout: Duration
    /// Time a client may leave a response unread before the connection is dropped.
    public var writeTimeout: Duration
    /// After a final response on a connection being closed, how long unread input is drained
    /// so the response is not lost to a TCP reset (RFC 9112 §9.6).
    public var lingerTimeout: Duration
    /// Open connections beyond this are answered 503 and closed at once.
    public var maxConnections: Int
    /// Event loops (serial queues servicing sockets); defaults to the number of cores.
    public var eventLoopCount: Int
    /// Bytes a connection may buffer from a pipelining client while a request is in flight
    /// before the server stops reading from it (back-pressure).
    public var maxBufferedInput: Int
    /// On shutdown, how long in-flight requests may take before connections are cut.
    public var shutdownGracePeriod: Duration
    /// Headers added to every response (for example `X-Content-Type-Options: nosniff`).
    public var defaultHeaders: HTTPHeaders
    /// Addresses of reverse proxies whose `X-Forwarded-For` names the client (canonical text,
    /// see `ClientAddress.canonical`); empty, the default, believes no such header.
    public var trustedProxies: Set<String>
    /// Called on an event loop's thread, with the loop's index, at the end of each turn of its
    /// work (before it waits for its sockets again): where per-loop resources that handlers
    /// used during the turn are put back, such as a database snapshot shared by its reads.
    public var eventLoopTurnEnded: (@Sendable (_ loopIndex: Int) -> Void)?

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        backlog: Int32 = 1024,
        parserLimits: HTTPParserLimits = HTTPParserLimits(),
        headerTimeout: Duration = .seconds(10),
        bodyTimeout: Duration = .seconds(30),
        idleTimeout: Duration = .seconds(15),
        writeTimeout: Duration = .seconds(30),
        lingerTimeout: Duration = .seconds(2),
        maxConnections: Int = 1024,
        eventLoopCount: Int = defaultEventLoopCount,
        maxBufferedInput: Int = 64 * 1024,
        shutdownGracePeriod: Duration = .seconds(10),
        defaultHeaders: HTTPHeaders = ["X-Content-Type-Options": "nosniff"],
        trustedProxies: Set<String> = []
    ) {
        self.host = host
        self.port = port
        self.backlog = backlog
        self.parserLimits = parserLimits
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.writeTimeout = writeTimeout
        self.lingerTimeout = lingerTimeout
        self.maxConnections = maxConnections
        self.eventLoopCount = eventLoopCount
        self.maxBufferedInput = maxBufferedInput
        self.shutdownGracePeriod = shutdownGracePeriod
        self.defaultHeaders = defaultHeaders
        self.trustedProxies = trustedProxies
    }

    public static var defaultEventLoopCount: Int {
        max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))
    }

    var clockLimits: ConnectionClock.Limits {
        .init(header: headerTimeout, body: bodyTimeout, idle: idleTimeout, write: writeTimeout, linger: lingerTimeout)
    }
}
