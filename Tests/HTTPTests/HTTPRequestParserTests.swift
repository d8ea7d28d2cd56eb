import Testing

@testable import HTTP

@Suite("Request parser: well-formed requests")
struct HTTPRequestParserTests {
    @Test("a simple GET yields its head, then the request with an empty body")
    func simpleGet() throws {
        var parser = HTTPRequestParser()
        parser.append(Feed.bytes("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\n\r\n"))
        guard case .head(let head) = parser.next() else {
            Issue.record("expected a head")
            return
        }
        #expect(head.method == "GET")
        #expect(head.target == "/healthz")
        #expect(head.path == "/healthz")
        #expect(head.query == nil)
        #expect(head.version == .http1_1)
        #expect(head.headers.count == 2)
        #expect(head.headers["host"] == "127.0.0.1:8080")
        #expect(head.headers["USER-AGENT"] == "wrk")
        #expect(head.keepAlive)
        #expect(!head.expectsContinue)
        #expect(head.contentLength == nil)
        #expect(!head.isChunked)
        #expect(parser.next() == .request(HTTPRequest(head: head, body: [])))
        #expect(parser.next() == .needMoreData)
        #expect(parser.isIdle)
    }

    @Test("a POST with Content-Length carries its body")
    func postWithContentLength() throws {
        let request = try #require(
            Feed.request(
                "POST /entries HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"pain\": 7}\r\n"
            ))
        #expect(request.head.method == "POST")
        #expect(request.head.contentLength == 13)
        #expect(request.body == Feed.bytes("{\"pain\": 7}\r\n"))
    }

    @Test("the head arrives before any body byte, and the body follows on later calls")
    func headBeforeBody() {
        var parser = HTTPRequestParser()
        parser.append(Feed.bytes("PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n"))
        guard case .head(let head) = parser.next() else {
            Issue.record("expected a head")
            return
        }
        #expect(head.contentLength == 10)
        #expect(parser.isReadingBody)
        #expect(parser.next() == .needMoreData)
        parser.append(Feed.bytes("01234"))
        #expect(parser.next() == .needMoreData)
        #expect(parser.bufferedByteCount == 0)
        parser.append(Feed.bytes("56789GET"))
        #expect(parser.next() == .request(HTTPRequest(head: head, body: Feed.bytes("0123456789"))))
        #expect(parser.bufferedByteCount == 3)
        #expect(parser.next() == .needMoreData)
    }

    @Test("method case is kept: methods are case-sensitive tokens")
    func methodCase() throws {
        let request = try #require(Feed.request("get / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(request.head.method == "get")
        let custom = try #require(Feed.request("X-PURGE! / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(custom.head.method == "X-PURGE!")
    }

    @Test("an HTTP/1.0 request needs no Host")
    func http10WithoutHost() throws {
        let request = try #require(Feed.request("GET /a HTTP/1.0\r\n\r\n"))
        #expect(request.head.version == .http1_0)
        #expect(request.head.headers.isEmpty)
        #expect(!request.head.keepAlive)
    }

    @Test("up to four empty lines before a request are ignored")
    func leadingEmptyLines() throws {
        let request = try #require(Feed.request("\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(request.head.path == "/")
    }

    @Test(
        "origin-form targets split into path and query",
        arguments: [
            ("/", "/", nil),
            ("/a/b", "/a/b", nil),
            ("/a?", "/a", ""),
            ("/a?b=1&c=2", "/a", "b=1&c=2"),
            ("/a?b?c", "/a", "b?c"),
            ("/%7Euser/x%20y", "/%7Euser/x%20y", nil),
            ("//double", "//double", nil),
        ] as [(String, String, String?)])
    func originForm(target: String, path: String, query: String?) throws {
        let request = try #require(Feed.request("GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(request.head.target == target)
        #expect(request.head.path == path)
        #expect(request.head.query == query)
    }

    @Test(
        "absolute-form is reduced to path and query; Host is still required but ignored",
        arguments: [
            ("http://example.com/a/b?x=1", "/a/b", "x=1"),
            ("HTTPS://Example.COM", "/", nil),
            ("http://example.com?x", "/", "x"),
            ("http://example.com:8080/", "/", nil),
            ("https://[::1]:8443/v1/entries", "/v1/entries", nil),
            ("HtTp://h/", "/", nil),
        ] as [(String, String, String?)])
    func absoluteForm(target: String, path: String, query: String?) throws {
        let request = try #require(Feed.request("GET \(target) HTTP/1.1\r\nHost: other.example\r\n\r\n"))
        #expect(request.head.target == target)
        #expect(request.head.path == path)
        #expect(request.head.query == query)
    }

    @Test("asterisk-form goes with OPTIONS and authority-form with CONNECT")
    func asteriskAndAuthority() throws {
        let options = try #require(Feed.request("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(options.head.target == "*")
        #expect(options.head.path == "*")
        #expect(options.head.query == nil)
        let connect = try #require(Feed.request("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"))
        #expect(connect.head.target == "example.com:443")
        #expect(connect.head.path == "example.com:443")
        let ipv6 = try #require(Feed.request("CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n"))
        #expect(ipv6.head.path == "[::1]:443")
    }

    @Test("field names keep their case, values lose surrounding whitespace, order is kept")
    func fieldParsing() throws {
        let request = try #require(
            Feed.request(
                "GET / HTTP/1.1\r\nHost: a\r\nX-Trim:  \t spaced value \t \r\nX-Empty:\r\nx-multi: 1\r\nX-Multi: 2\r\nX-Tight:v\r\n\r\n"
            ))
        let headers = request.head.headers
        #expect(headers.map(\.name) == ["Host", "X-Trim", "X-Empty", "x-multi", "X-Multi", "X-Tight"])
        #expect(headers["x-trim"] == "spaced value")
        #expect(headers["X-EMPTY"] == "")
        #expect(headers.values("X-MULTI") == ["1", "2"])
        #expect(headers["x-tight"] == "v")
        #expect(headers["x-missing"] == nil)
    }

    @Test("obs-text in values is kept: valid UTF-8 as is, other bytes as U+FFFD")
    func obsText() throws {
        var bytes = Feed.bytes("GET / HTTP/1.1\r\nHost: a\r\nX-Utf8: café\r\nX-Latin1: caf")
        bytes.append(0xE9)
        bytes += Feed.bytes("\r\n\r\n")
        let request = try #require(Feed.requests(Feed.whole(bytes)).first)
        #expect(request.head.headers["x-utf8"] == "café")
        #expect(request.head.headers["x-latin1"] == "caf\u{FFFD}")
    }

    @Test(
        "Content-Length lists of identical values are accepted",
        arguments: [
            ("Content-Length: 5, 5", 5),
            ("Content-Length: 5,5 , 5", 5),
            ("Content-Length: 5\r\nContent-Length: 5", 5),
            ("Content-Length: 005", 5),
            ("Content-Length: 0", 0),
        ])
    func identicalContentLengths(field: String, length: Int) throws {
        let body = String(repeating: "x", count: length)
        let request = try #require(Feed.request("POST / HTTP/1.1\r\nHost: a\r\n\(field)\r\n\r\n\(body)"))
        #expect(request.head.contentLength == length)
        #expect(request.body.count == length)
    }

    @Test(
        "an empty Host is allowed, and so are IP literals and ports",
        arguments: [
            "", "example.com", "example.com:8080", "127.0.0.1:80", "[::1]", "[2001:db8::1]:443", "a-b_c~d.e",
            "xn--caf-dma.example", "h:",
        ])
    func hostValues(host: String) throws {
        let request = try #require(Feed.request("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n"))
        #expect(request.head.headers["host"] == host)
    }

    @Test(
        "Transfer-Encoding is matched case-insensitively and empty list elements are ignored",
        arguments: [
            "Transfer-Encoding: chunked", "transfer-encoding: CHUNKED", "Transfer-Encoding: , chunked",
            "Transfer-Encoding: chunked ,",
        ])
    func chunkedSpellings(field: String) throws {
        let request = try #require(Feed.request("POST / HTTP/1.1\r\nHost: a\r\n\(field)\r\n\r\n3\r\nabc\r\n0\r\n\r\n"))
        #expect(request.head.isChunked)
        #expect(request.head.contentLength == nil)
        #expect(request.body == Feed.bytes("abc"))
    }
}

@Suite("Request parser: chunked bodies")
struct HTTPChunkedBodyTests {
    @Test("chunks are joined, extensions and trailers are accepted and dropped")
    func extensionsAndTrailers() throws {
        let input =
            "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n"
            + "1 ; a ; b = \"q\\\"uoted\" ;c=tok\r\n \r\n"
            + "A\r\n0123456789\r\n"
            + "0;last\r\nX-Checksum: abc\r\nX-Other:  2 \r\n\r\n"
        let request = try #require(Feed.request(input))
        #expect(request.body == Feed.bytes("hello 0123456789"))
        #expect(request.head.isChunked)
        #expect(!request.head.headers.contains("X-Checksum"))
    }

    @Test("hex chunk sizes in either case, with leading zeros up to sixteen digits")
    func hexSizes() throws {
        let data = String(repeating: "z", count: 0x1A)
        let input =
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "1a\r\n\(data)\r\n001A\r\n\(data)\r\n000000000000001A\r\n\(data)\r\n0000\r\n\r\n"
        let request = try #require(Feed.request(input))
        #expect(request.body.count == 3 * 0x1A)
    }

    @Test("an empty chunked body is just the last chunk")
    func emptyChunked() throws {
        let request = try #require(
            Feed.request(
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"))
        #expect(request.body.isEmpty)
    }

    @Test("binary chunk data may contain CR, LF and NUL")
    func binaryData() throws {
        var input = Feed.bytes("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n")
        input += [0x0D, 0x0A, 0x00, 0xFF]
        input += Feed.bytes("\r\n0\r\n\r\n")
        let request = try #require(Feed.requests(Feed.whole(input)).first)
        #expect(request.body == [0x0D, 0x0A, 0x00, 0xFF])
    }
}

@Suite("Request parser: connection decisions")
struct HTTPConnectionDecisionTests {
    @Test(
        "keep-alive follows RFC 9112 §9.3",
        arguments: [
            ("1.1", [], true),
            ("1.1", ["close"], false),
            ("1.1", ["Close"], false),
            ("1.1", ["CLOSE"], false),
            ("1.1", ["keep-alive"], true),
            ("1.1", ["keep-alive, close"], false),
            ("1.1", ["Upgrade, close"], false),
            ("1.1", ["upgrade"], true),
            ("1.1", ["keep-alive", "close"], false),
            ("1.1", ["closed"], true),
            ("1.1", [" , close ,"], false),
            ("1.0", [], false),
            ("1.0", ["keep-alive"], true),
            ("1.0", ["Keep-Alive"], true),
            ("1.0", ["keep-alive, close"], false),
            ("1.0", ["close"], false),
            ("1.0", ["Upgrade, close"], false),
            ("1.0", ["Upgrade, keep-alive"], true),
            ("1.0", ["upgrade", "keep-alive"], true),
        ] as [(String, [String], Bool)])
    func keepAlive(version: String, connection: [String], expected: Bool) throws {
        let fields = connection.map { "Connection: \($0)\r\n" }.joined()
        let request = try #require(Feed.request("GET / HTTP/\(version)\r\nHost: a\r\n\(fields)\r\n"))
        #expect(request.head.keepAlive == expected)
    }

    @Test(
        "100-continue is flagged only on HTTP/1.1 requests that have a body",
        arguments: [
            ("1.1", "Content-Length: 5", "100-continue", true),
            ("1.1", "Content-Length: 5", "100-Continue", true),
            ("1.1", "Content-Length: 5", "foo, 100-continue", true),
            ("1.1", "Transfer-Encoding: chunked", "100-continue", true),
            ("1.1", "Content-Length: 0", "100-continue", false),
            ("1.1", "", "100-continue", false),
            ("1.0", "Content-Length: 5", "100-continue", false),
            ("1.1", "Content-Length: 5", "something-else", false),
            ("1.1", "Content-Length: 5", "", false),
        ] as [(String, String, String, Bool)])
    func expectContinue(version: String, framing: String, expect: String, expected: Bool) {
        let framingLine = framing.isEmpty ? "" : framing + "\r\n"
        let expectLine = expect.isEmpty ? "" : "Expect: \(expect)\r\n"
        var parser = HTTPRequestParser()
        parser.append(Feed.bytes("POST / HTTP/\(version)\r\nHost: a\r\n\(framingLine)\(expectLine)\r\n"))
        guard case .head(let head) = parser.next() else {
            Issue.record("expected a head")
            return
        }
        #expect(head.expectsContinue == expected)
    }
}
