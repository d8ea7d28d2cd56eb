public import JSON

/// A response as a handler builds it. The server adds the framing headers it owns
/// (`Content-Length`, `Connection`, `Date`, `X-Request-Id`) when it encodes the response.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The route template that produced this response ("/v1/episodes/{id}"), for the access
    /// log and metrics; never the concrete path, which may carry identifiers.
    public var route: String?
    /// A body produced while it is sent (an export of any size): when set, `body` is ignored and
    /// the response goes out with chunked transfer coding (RFC 9112 §7.1), one chunk per piece,
    /// the next piece asked for only once the previous one is written, so memory stays flat.
    public var bodyStream: HTTPBodyStream?

    public init(
        status: Int, headers: HTTPHeaders = [:], body: [UInt8] = [], route: String? = nil,
        bodyStream: HTTPBodyStream? = nil
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.route = route
        self.bodyStream = bodyStream
    }

    /// A JSON response (`application/json; charset=utf-8`).
    public static func json(_ value: JSONValue, status: Int = 200, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        headers.replaceOrAdd("Content-Type", "application/json; charset=utf-8")
        return HTTPResponse(status: status, headers: headers, body: JSON.serialize(value))
    }

    /// A plain text response (`text/plain; charset=utf-8`).
    public static func text(
        _ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8"
    ) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": contentType], body: Array(text.utf8))
    }

    /// `204 No Content` or `304 Not Modified` style responses carry no body.
    public static func empty(status: Int, headers: HTTPHeaders = [:]) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers)
    }
}

/// The pieces of a streamed body. `next` returns the next piece, or nil at the end; it is
/// called again only after the previous piece was written to the socket. If it throws, the
/// connection is closed without the final chunk, so the client sees a truncated body and never
/// mistakes it for a complete one. It is not called again once the client has gone.
public struct HTTPBodyStream: Sendable {
    public let next: @Sendable () async throws -> [UInt8]?

    public init(next: @escaping @Sendable () async throws -> [UInt8]?) {
        self.next = next
    }
}

/// Reason phrases for the status codes this server sends (RFC 9110 §15).
public enum HTTPStatus {
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 301: "Moved Permanently"
        case 302: "Found"
        case 303: "See Other"
        case 307: "Temporary Redirect"
        case 308: "Permanent Redirect"
        case 304: "Not Modified"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 410: "Gone"
        case 411: "Length Required"
        case 412: "Precondition Failed"
        case 413: "Content Too Large"
        case 414: "URI Too Long"
        case 415: "Unsupported Media Type"
        case 422: "Unprocessable Content"
        case 428: "Precondition Required"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        case 505: "HTTP Version Not Supported"
        default: "Status \(status)"
        }
    }

    /// Responses that never carry content (RFC 9110 §6.4.1): 1xx, 204, 304.
    static func forbidsBody(_ status: Int) -> Bool {
        status < 200 || status == 204 || status == 304
    }
}
