import Testing

@testable import HTTP

/// Bytes compared exactly, shown as text with CR and LF spelled out when an expectation fails.
struct Wire: Equatable, CustomStringConvertible {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }
    init(_ text: String) { self.bytes = Array(text.utf8) }

    var description: String {
        // By scalar: as Characters, "\r\n" is one grapheme and would not match "\r".
        var text = ""
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            switch scalar {
            case "\r": text += "\\r"
            case "\n": text += "\\n"
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text
    }
}

@Suite("HTTP/1.1 response encoder, on bytes")
struct HTTPResponseEncoderTests {
    static let date = "Sun, 06 Nov 1994 08:49:37 GMT"
    static let defaults = "X-Content-Type-Options: nosniff\r\n"

    /// Encodes with a fixed `Date`, request id and default headers, as a connection would.
    static func encoded(
        _ response: HTTPResponse, keepAlive: Bool = true, http10: Bool = false, omitBody: Bool = false
    ) -> Wire {
        var bytes: [UInt8] = []
        HTTPResponseEncoder.encode(
            response, requestId: "req-1", keepAlive: keepAlive, http10: http10, omitBody: omitBody,
            date: Array(date.utf8), defaultHeaders: Array(defaults.utf8), into: &bytes)
        return Wire(bytes)
    }

    /// The head a connection adds after the handler's headers, for a kept-alive HTTP/1.1 request.
    static let serverTail = "Date: \(date)\r\nX-Request-Id: req-1\r\n\(defaults)\r\n"

    @Test("a 200 has the handler's headers in order, then Content-Length, Date, request id, defaults, body")
    func okWithBody() {
        let response = HTTPResponse(
            status: 200, headers: ["Content-Type": "application/json; charset=utf-8", "ETag": #""3""#],
            body: Array(#"{"id":3}"#.utf8))
        let expected =
            "HTTP/1.1 200 OK\r\n"
            + "Content-Type: application/json; charset=utf-8\r\n"
            + "ETag: \"3\"\r\n"
            + "Content-Length: 8\r\n"
            + "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            + "X-Request-Id: req-1\r\n"
            + "X-Content-Type-Options: nosniff\r\n"
            + "\r\n"
            + #"{"id":3}"#
        #expect(Self.encoded(response) == Wire(expected))
    }

    @Test("a response to HEAD keeps the Content-Length of the body it leaves out")
    func head() {
        let response = HTTPResponse(status: 200, headers: ["Content-Type": "text/plain"], body: Array("hello".utf8))
        let expected = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n" + Self.serverTail
        #expect(Self.encoded(response, omitBody: true) == Wire(expected))
    }

    @Test("a 204 has neither Content-Length nor body, even when the handler gave one")
    func noContent() {
        let response = HTTPResponse(status: 204, body: Array("ignored".utf8))
        let expected = "HTTP/1.1 204 No Content\r\n" + Self.serverTail
        #expect(Self.encoded(response) == Wire(expected))
    }

    @Test("a 304 keeps the handler's validators but has neither Content-Length nor body")
    func notModified() {
        let response = HTTPResponse(status: 304, headers: ["ETag": #""3""#], body: Array("ignored".utf8))
        let expected = "HTTP/1.1 304 Not Modified\r\nETag: \"3\"\r\n" + Self.serverTail
        #expect(Self.encoded(response) == Wire(expected))
    }

    @Test("a connection that will close says Connection: close, after the request id and before the defaults")
    func close() {
        let response = HTTPResponse(status: 200, body: Array("x".utf8))
        let expected =
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nDate: \(Self.date)\r\nX-Request-Id: req-1\r\n"
            + "Connection: close\r\n\(Self.defaults)\r\nx"
        #expect(Self.encoded(response, keepAlive: false) == Wire(expected))
        #expect(Self.encoded(response, keepAlive: false, http10: true) == Wire(expected))
    }

    @Test("a kept-alive HTTP/1.0 connection is announced with Connection: keep-alive, still in an HTTP/1.1 status line")
    func http10KeepAlive() {
        let response = HTTPResponse(status: 200, body: Array("x".utf8))
        let expected =
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nDate: \(Self.date)\r\nX-Request-Id: req-1\r\n"
            + "Connection: keep-alive\r\n\(Self.defaults)\r\nx"
        #expect(Self.encoded(response, http10: true) == Wire(expected))
    }

    @Test("CR and LF are stripped from a header value, so a handler cannot split the response")
    func responseSplitting() {
        let response = HTTPResponse(status: 200, headers: ["Location": "/a\r\nSet-Cookie: x=1\r\n\r\nevil"])
        let expected = "HTTP/1.1 200 OK\r\nLocation: /aSet-Cookie: x=1evil\r\nContent-Length: 0\r\n" + Self.serverTail
        #expect(Self.encoded(response) == Wire(expected))
    }

    @Test("the server's own framing headers from a handler are dropped, whatever their case")
    func serverOwnedHeadersDropped() {
        let response = HTTPResponse(
            status: 200,
            headers: [
                "content-length": "999", "X-Kept": "1", "CONNECTION": "keep-alive", "Date": "yesterday",
                "x-request-id": "forged", "Transfer-Encoding": "chunked", "X-Also-Kept": "2",
            ],
            body: Array("ok".utf8))
        let expected =
            "HTTP/1.1 200 OK\r\nX-Kept: 1\r\nX-Also-Kept: 2\r\nContent-Length: 2\r\n" + Self.serverTail + "ok"
        #expect(Self.encoded(response) == Wire(expected))
    }

    @Test("encoding appends after what the buffer already holds")
    func appends() {
        var bytes = Array("earlier".utf8)
        HTTPResponseEncoder.encode(
            HTTPResponse(status: 204), requestId: nil, keepAlive: true, http10: false, omitBody: false,
            date: nil, defaultHeaders: [], into: &bytes)
        #expect(Wire(bytes) == Wire("earlierHTTP/1.1 204 No Content\r\n\r\n"))
    }

    @Test("100 Continue is a bare status line and an empty header section")
    func continueResponse() {
        #expect(Wire(HTTPResponseEncoder.continueResponse) == Wire("HTTP/1.1 100 Continue\r\n\r\n"))
    }

    @Test("the 503 for too many connections is a closing problem with Retry-After and no Date, id or defaults")
    func overload() {
        let body =
            #"{"type":"about:blank","title":"Service Unavailable","status":503,"#
            + #""detail":"Too many open connections; retry shortly."}"#
        let expected =
            "HTTP/1.1 503 Service Unavailable\r\n"
            + "Content-Type: application/problem+json\r\n"
            + "Retry-After: 1\r\n"
            + "Content-Length: 118\r\n"
            + "Connection: close\r\n"
            + "\r\n"
            + body
        #expect(Wire(HTTPServer.overloadResponse) == Wire(expected))
    }
}
