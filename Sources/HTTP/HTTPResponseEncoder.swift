/// Encodes a response as HTTP/1.1 bytes (RFC 9112 §4 status line, §5 field lines, §6 framing).
///
/// Pure: it reads no clock, no socket and no shared state. Everything that varies per
/// connection or per second (request id, `Date`, the configured default headers) is passed
/// in, so the exact bytes can be tested and every response the server writes leaves from here.
///
/// Field order is fixed and part of the wire contract: the handler's headers as given, then
/// `Content-Length`, `Date`, `X-Request-Id`, `Connection`, then the default headers.
enum HTTPResponseEncoder {
    /// `100 Continue` (RFC 9110 §10.1.1, §15.2.1): an interim response is only a status line
    /// and the empty line that ends its (empty) header section.
    static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// Appends `response` encoded as HTTP/1.1 to `buffer`.
    ///
    /// - Parameters:
    ///   - response: What the handler built. Its server-owned headers (see `isServerOwned`) are
    ///     dropped, and CR and LF are removed from its header values.
    ///   - requestId: Sent as `X-Request-Id`; nil sends none (a response to no request).
    ///   - keepAlive: Whether the connection stays open; false sends `Connection: close`.
    ///   - http10: The request was HTTP/1.0, which closes by default: a kept-alive HTTP/1.0
    ///     connection is announced with `Connection: keep-alive` (RFC 9112 §9.3, Appendix C.2.2).
    ///   - omitBody: The request was HEAD: `Content-Length` still describes the body a GET
    ///     would have received, but no body follows (RFC 9110 §9.3.2, RFC 9112 §6.3).
    ///   - date: The IMF-fixdate value of `Date`; nil sends none.
    ///   - defaultHeaders: Configured field lines, each already ending in CRLF, appended as they are.
    ///   - buffer: Receives the bytes; what it holds already is kept.
    static func encode(
        _ response: HTTPResponse,
        requestId: String?,
        keepAlive: Bool,
        http10: Bool,
        omitBody: Bool,
        date: [UInt8]?,
        defaultHeaders: [UInt8],
        into buffer: inout [UInt8]
    ) {
        let forbidsBody = HTTPStatus.forbidsBody(response.status)
        // One reservation for head and body, so the response is normally one contiguous write.
        buffer.reserveCapacity(buffer.count + 256 + response.body.count)

        // RFC 9112 §4 status line; RFC 9110 §6.2: the server's own version, also to HTTP/1.0 clients.
        buffer.append(contentsOf: statusLinePrefix)
        buffer.append(contentsOf: String(response.status).utf8)
        buffer.append(UInt8(ascii: " "))
        buffer.append(contentsOf: HTTPStatus.reasonPhrase(response.status).utf8)
        buffer.append(contentsOf: crlf)

        for (name, value) in response.headers {
            if isServerOwned(name) { continue }
            buffer.append(contentsOf: name.utf8)
            buffer.append(contentsOf: colonSpace)
            // Defence against response splitting: a header value never carries CR or LF.
            for byte in value.utf8 where byte != 13 && byte != 10 { buffer.append(byte) }
            buffer.append(contentsOf: crlf)
        }
        // RFC 9110 §6.4.1: 1xx, 204 and 304 have no content, so no Content-Length (§8.6).
        // A body known in full is length-framed (RFC 9112 §6.3); only a streamed one is chunked.
        let streamed = response.bodyStream != nil
        if streamed && !forbidsBody {
            // The length is unknown: chunked for HTTP/1.1; an HTTP/1.0 client reads to the close.
            if !http10 { buffer.append(contentsOf: transferEncodingChunked) }
        } else if !forbidsBody {
            buffer.append(contentsOf: contentLengthName)
            buffer.append(contentsOf: String(response.body.count).utf8)
            buffer.append(contentsOf: crlf)
        }
        if let date {
            buffer.append(contentsOf: dateName)
            buffer.append(contentsOf: date)
            buffer.append(contentsOf: crlf)
        }
        if let requestId {
            buffer.append(contentsOf: requestIdName)
            buffer.append(contentsOf: requestId.utf8)
            buffer.append(contentsOf: crlf)
        }
        // RFC 9112 §9.6: announce the close; §9.3: HTTP/1.1 persists by default, HTTP/1.0 does not.
        if !keepAlive {
            buffer.append(contentsOf: connectionClose)
        } else if http10 {
            buffer.append(contentsOf: connectionKeepAlive)
        }
        buffer.append(contentsOf: defaultHeaders)
        buffer.append(contentsOf: crlf)
        if !omitBody && !forbidsBody && !streamed {
            buffer.append(contentsOf: response.body)
        }
    }

    /// Appends one piece of a streamed body: a chunk (RFC 9112 §7.1), or the bytes as they are
    /// when the body is delimited by the close (HTTP/1.0). An empty piece writes nothing, since
    /// an empty chunk would end the body.
    static func encodeChunk(_ piece: [UInt8], chunked: Bool, into buffer: inout [UInt8]) {
        guard !piece.isEmpty else { return }
        if chunked {
            buffer.append(contentsOf: String(piece.count, radix: 16).utf8)
            buffer.append(contentsOf: crlf)
        }
        buffer.append(contentsOf: piece)
        if chunked { buffer.append(contentsOf: crlf) }
    }

    /// The last chunk and the empty trailer section that end a chunked body.
    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)

    /// Headers the server writes itself; a handler's copy is dropped. Compared without
    /// allocating: this runs for every header of every response.
    static func isServerOwned(_ name: String) -> Bool {
        serverOwnedNames.contains { HTTPHeaders.namesEqual($0, name) }
    }

    private static let serverOwnedNames = ["Content-Length", "Connection", "Date", "X-Request-Id", "Transfer-Encoding"]

    // Precomputed so the hot path appends bytes and never builds a String per header.
    private static let statusLinePrefix = Array("HTTP/1.1 ".utf8)
    private static let crlf: [UInt8] = [13, 10]
    private static let colonSpace = Array(": ".utf8)
    private static let contentLengthName = Array("Content-Length: ".utf8)
    private static let dateName = Array("Date: ".utf8)
    private static let requestIdName = Array("X-Request-Id: ".utf8)
    private static let transferEncodingChunked = Array("Transfer-Encoding: chunked\r\n".utf8)
    private static let connectionClose = Array("Connection: close\r\n".utf8)
    private static let connectionKeepAlive = Array("Connection: keep-alive\r\n".utf8)
}
