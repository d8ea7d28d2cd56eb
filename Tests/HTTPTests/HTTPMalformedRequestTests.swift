import Testing

@testable import HTTP

/// A request that must be rejected, with the status it must get.
struct MalformedCase: Sendable, CustomTestStringConvertible {
    let name: String
    let input: String
    let status: Int

    init(_ name: String, _ input: String, _ status: Int) {
        self.name = name
        self.input = input
        self.status = status
    }

    var testDescription: String { "\(status): \(name)" }
}

private let chunkedPrefix = "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"

private func get(_ headers: String) -> String {
    "GET / HTTP/1.1\r\n\(headers)\r\n"
}

let malformedRequests: [MalformedCase] = [
    // Request line (RFC 9112 §3)
    .init("two spaces after the method", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    .init("two spaces before the version", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    .init("leading space", " GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    .init("trailing space", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400),
    .init("tab as separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    .init("method with a non-token character", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    .init("method with a non-ASCII byte", "GÉT / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    .init("lowercase protocol name", "GET / http/1.1\r\nHost: a\r\n\r\n", 400),
    .init("version without minor", "GET / HTTP/1\r\nHost: a\r\n\r\n", 400),
    .init("two-digit minor version", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400),
    .init("version without dot", "GET / HTTP/11\r\nHost: a\r\n\r\n", 400),
    .init("HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    .init("HTTP/0.9 with a version", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505),
    .init("HTTP/1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505),
    .init("HTTP/3.0", "GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505),
    .init("HTTP/2 connection preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
    .init("HTTP/0.9 simple request", "GET /\r\n\r\n", 400),
    .init("method alone", "GET\r\n\r\n", 400),
    .init("DEL in target", "GET /a\u{7F}b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    .init("non-ASCII target", "GET /café HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    .init("NUL in target", "GET /a\u{0}b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    .init("target not starting with a slash", "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    .init("asterisk-form with GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    .init("CONNECT with origin-form", "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    .init("CONNECT without port", "CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    .init("authority-form with GET", "GET example.com:443 HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    .init("absolute-form with another scheme", "GET ftp://h/x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    .init("absolute-form with empty host", "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    .init("absolute-form with userinfo", "GET http://user@h/x HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    .init("fragment in target", "GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    .init("bare LF after the request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400),
    .init("bare CR in the request line", "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    .init("five empty lines first", "\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    .init("bare LF as an empty line first", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
    .init("bare CR as an empty line first", "\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),

    // Header fields (RFC 9112 §5, RFC 9110 §5)
    .init("space between name and colon", get("Host : a\r\n"), 400),
    .init("tab between name and colon", get("Host\t: a\r\n"), 400),
    .init("obs-fold continuation", get("Host: a\r\nX-A: b\r\n c\r\n"), 400),
    .init("whitespace before the first field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400),
    .init("field without colon", get("Host: a\r\nNoColon\r\n"), 400),
    .init("name then space without colon", get("Host: a\r\nX a\r\n"), 400),
    .init("empty field name", get("Host: a\r\n: b\r\n"), 400),
    .init("slash in field name", get("Host: a\r\nX/Y: b\r\n"), 400),
    .init("non-ASCII field name", get("Host: a\r\nXé: b\r\n"), 400),
    .init("NUL in field value", get("Host: a\r\nX: a\u{0}b\r\n"), 400),
    .init("DEL in field value", get("Host: a\r\nX: a\u{7F}b\r\n"), 400),
    .init("control character in field value", get("Host: a\r\nX: a\u{1}b\r\n"), 400),
    .init("bare CR in field value", get("Host: a\r\nX: a\rb\r\n"), 400),
    .init("bare LF between fields", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", 400),
    .init("bare LF as the final empty line", "GET / HTTP/1.1\r\nHost: a\r\n\n", 400),
    .init("bare CR as the final empty line", "GET / HTTP/1.1\r\nHost: a\r\n\rX", 400),

    // Host (RFC 9112 §3.2)
    .init("HTTP/1.1 without Host", "GET / HTTP/1.1\r\nX: a\r\n\r\n", 400),
    .init("two Host fields", get("Host: a\r\nHost: a\r\n"), 400),
    .init("two Host fields, different case", get("Host: a\r\nhost: b\r\n"), 400),
    .init("whitespace inside Host", get("Host: a b\r\n"), 400),
    .init("userinfo in Host", get("Host: user@a\r\n"), 400),
    .init("non-digit port in Host", get("Host: a:8x\r\n"), 400),
    .init("unclosed IPv6 literal in Host", get("Host: [::1\r\n"), 400),
    .init("absolute-form without Host", "GET http://a/x HTTP/1.1\r\n\r\n", 400),
    .init("HTTP/1.0 with two Host fields", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400),

    // Content-Length (RFC 9110 §8.6, RFC 9112 §6.3)
    .init(
        "Content-Length and Transfer-Encoding",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    .init(
        "Transfer-Encoding then Content-Length",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400),
    .init("differing Content-Length list", get("Host: a\r\nContent-Length: 5, 6\r\n"), 400),
    .init("differing Content-Length fields", get("Host: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n"), 400),
    .init("non-numeric Content-Length", get("Host: a\r\nContent-Length: abc\r\n"), 400),
    .init("empty Content-Length", get("Host: a\r\nContent-Length:\r\n"), 400),
    .init("negative Content-Length", get("Host: a\r\nContent-Length: -1\r\n"), 400),
    .init("Content-Length with plus sign", get("Host: a\r\nContent-Length: +5\r\n"), 400),
    .init("Content-Length overflowing Int", get("Host: a\r\nContent-Length: 99999999999999999999999\r\n"), 400),
    .init("Content-Length with an empty list element", get("Host: a\r\nContent-Length: 5,\r\n"), 400),
    .init("hexadecimal Content-Length", get("Host: a\r\nContent-Length: 0x10\r\n"), 400),
    .init("Content-Length with inner space", get("Host: a\r\nContent-Length: 1 0\r\n"), 400),
    .init("Content-Length over the body limit", get("Host: a\r\nContent-Length: 1048577\r\n"), 413),

    // Transfer-Encoding (RFC 9112 §6.1)
    .init("gzip only", get("Host: a\r\nTransfer-Encoding: gzip\r\n"), 501),
    .init("gzip then chunked", get("Host: a\r\nTransfer-Encoding: gzip, chunked\r\n"), 501),
    .init("identity", get("Host: a\r\nTransfer-Encoding: identity\r\n"), 501),
    .init("unknown coding", get("Host: a\r\nTransfer-Encoding: foo\r\n"), 501),
    .init("chunked then gzip", get("Host: a\r\nTransfer-Encoding: chunked, gzip\r\n"), 400),
    .init("chunked twice in a list", get("Host: a\r\nTransfer-Encoding: chunked, chunked\r\n"), 400),
    .init(
        "chunked twice in two fields",
        get("Host: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), 400),
    .init("chunked in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    .init("empty Transfer-Encoding", get("Host: a\r\nTransfer-Encoding:\r\n"), 400),
    .init("chunked with a parameter", get("Host: a\r\nTransfer-Encoding: chunked;a=b\r\n"), 400),
    .init("coding that is not a token", get("Host: a\r\nTransfer-Encoding: \"chunked\"\r\n"), 400),

    // Chunked body (RFC 9112 §7.1)
    .init("non-hex chunk size", chunkedPrefix + "g\r\n", 400),
    .init("empty chunk-size line", chunkedPrefix + "\r\n", 400),
    .init("negative chunk size", chunkedPrefix + "-5\r\nhello\r\n0\r\n\r\n", 400),
    .init("chunk size with 0x prefix", chunkedPrefix + "0x5\r\nhello\r\n0\r\n\r\n", 400),
    .init("seventeen hex digits", chunkedPrefix + "00000000000000005\r\nhello\r\n0\r\n\r\n", 400),
    .init("chunk size overflowing Int", chunkedPrefix + "FFFFFFFFFFFFFFFF\r\n", 400),
    .init("whitespace after chunk size", chunkedPrefix + "5 \r\nhello\r\n0\r\n\r\n", 400),
    .init("extension without name", chunkedPrefix + "5;\r\nhello\r\n0\r\n\r\n", 400),
    .init("extension with unterminated quote", chunkedPrefix + "5;a=\"x\r\nhello\r\n0\r\n\r\n", 400),
    .init("extension with empty value", chunkedPrefix + "5;a=\r\nhello\r\n0\r\n\r\n", 400),
    .init("chunk data longer than its size", chunkedPrefix + "5\r\nhelloX\r\n0\r\n\r\n", 400),
    .init("LF alone after chunk data", chunkedPrefix + "5\r\nhello\n0\r\n\r\n", 400),
    .init("bare LF after chunk size", chunkedPrefix + "5\nhello\r\n0\r\n\r\n", 400),
    .init("obs-fold in trailers", chunkedPrefix + "0\r\nX: a\r\n b\r\n\r\n", 400),
    .init("invalid trailer name", chunkedPrefix + "0\r\nX Y: a\r\n\r\n", 400),
    .init("bare LF ending the trailers", chunkedPrefix + "0\r\nX: a\r\n\n", 400),
    .init("chunk over the body limit", chunkedPrefix + "100001\r\n", 413),
    .init(
        "chunks adding up over the body limit",
        chunkedPrefix + "80000\r\n" + String(repeating: "a", count: 0x80000) + "\r\n80001\r\n", 413),
]

@Suite("Malformed requests")
struct HTTPMalformedRequestTests {
    @Test("the table covers every rule with enough cases")
    func tableSize() {
        #expect(malformedRequests.count >= 60)
    }

    @Test("is rejected with the expected status, whole or byte by byte", arguments: malformedRequests)
    func rejected(_ testCase: MalformedCase) {
        let input = Feed.bytes(testCase.input)
        let whole = Feed.whole(input)
        #expect(whole.last?.errorStatus == testCase.status, "got \(whole)")
        #expect(Feed.requests(whole).isEmpty)
        #expect(Feed.byteByByte(input) == whole)
    }

    @Test("a rejected request never lets a following request through", arguments: malformedRequests.prefix(20))
    func nothingAfterError(_ testCase: MalformedCase) {
        var parser = HTTPRequestParser()
        parser.append(Feed.bytes(testCase.input))
        var events: [HTTPParserEvent] = []
        for _ in 0..<4 { events.append(parser.next()) }
        guard let error = Feed.error(events) else {
            Issue.record("no error in \(events)")
            return
        }
        parser.append(Feed.bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(parser.next() == .error(error))
        #expect(parser.next() == .error(error))
        #expect(parser.bufferedByteCount == 0)
        #expect(!parser.isIdle)
        #expect(!parser.isReadingBody)
    }
}
