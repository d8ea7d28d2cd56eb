import Testing

@testable import HTTP

/// Small limits so each case stays readable.
private let small = HTTPParserLimits(
    maxRequestLineBytes: 64, maxHeaderBytes: 128, maxHeaderCount: 4,
    maxBodyBytes: 32, maxChunkLineBytes: 24, maxTrailerBytes: 40)

/// "GET /aaa…a HTTP/1.1" with a request line of exactly `length` bytes.
private func requestLine(length: Int) -> String {
    let fixed = "GET / HTTP/1.1".utf8.count
    return "GET /" + String(repeating: "a", count: length - fixed) + " HTTP/1.1"
}

/// A field line "X-Pad: vvv" of exactly `length` bytes without CRLF.
private func fieldLine(_ name: String = "X-Pad", length: Int) -> String {
    name + ": " + String(repeating: "v", count: length - name.utf8.count - 2)
}

private func outcome(_ text: String, limits: HTTPParserLimits = small) -> Int {
    let events = Feed.whole(Feed.bytes(text), limits: limits)
    #expect(Feed.byteByByte(Feed.bytes(text), limits: limits) == events)
    if let error = Feed.error(events) { return error.status }
    return Feed.requests(events).isEmpty ? 0 : 200
}

@Suite("Request parser: limits")
struct HTTPParserLimitsTests {
    @Test("defaults are the documented ones")
    func defaults() {
        let limits = HTTPParserLimits()
        #expect(limits.maxRequestLineBytes == 8192)
        #expect(limits.maxHeaderBytes == 32768)
        #expect(limits.maxHeaderCount == 100)
        #expect(limits.maxBodyBytes == 1_048_576)
        #expect(limits.maxChunkLineBytes == 1024)
        #expect(limits.maxTrailerBytes == 8192)
        #expect(HTTPRequestParser().limits == limits)
    }

    @Test("a request line exactly at the limit passes, one byte over is 414")
    func requestLineLimit() {
        #expect(requestLine(length: 64).utf8.count == 64)
        #expect(outcome(requestLine(length: 64) + "\r\nHost: a\r\n\r\n") == 200)
        #expect(outcome(requestLine(length: 65) + "\r\nHost: a\r\n\r\n") == 414)
    }

    @Test("an over-long request line is rejected before its CRLF arrives")
    func requestLineWithoutCRLF() {
        var parser = HTTPRequestParser(limits: small)
        parser.append(Feed.bytes("GET /" + String(repeating: "a", count: 59)))  // 64 bytes
        #expect(parser.next() == .needMoreData)
        parser.append(Feed.bytes("\r"))  // a CR right at the limit could still end the line
        #expect(parser.next() == .needMoreData)
        var over = HTTPRequestParser(limits: small)
        over.append(Feed.bytes("GET /" + String(repeating: "a", count: 60)))  // 65 bytes
        #expect(over.next().errorStatus == 414)
    }

    @Test("a header section exactly at the limit passes, one byte over is 431")
    func headerBytesLimit() {
        // Host: a\r\n is 9 bytes; the rest is one padding field line.
        let exact = "GET / HTTP/1.1\r\nHost: a\r\n" + fieldLine(length: 128 - 9 - 2) + "\r\n\r\n"
        #expect(outcome(exact) == 200)
        let over = "GET / HTTP/1.1\r\nHost: a\r\n" + fieldLine(length: 128 - 9 - 1) + "\r\n\r\n"
        #expect(outcome(over) == 431)
    }

    @Test("the empty line ending the header section is not counted")
    func headerTerminatorNotCounted() {
        var parser = HTTPRequestParser(limits: small)
        parser.append(Feed.bytes("GET / HTTP/1.1\r\nHost: a\r\n" + fieldLine(length: 128 - 9 - 2) + "\r\n"))
        #expect(parser.next() == .needMoreData)
        parser.append(Feed.bytes("\r"))
        #expect(parser.next() == .needMoreData)
        parser.append(Feed.bytes("\n"))
        guard case .head = parser.next() else {
            Issue.record("expected a head")
            return
        }
    }

    @Test("header field count at the limit passes, one more is 431")
    func headerCountLimit() {
        let four = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"
        #expect(outcome(four) == 200)
        let five = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n"
        #expect(outcome(five) == 431)
    }

    @Test("an endless header line is cut off once the limit is passed, without waiting for its end")
    func endlessHeaderLine() {
        let limits = HTTPParserLimits()  // 32 KiB header section
        var parser = HTTPRequestParser(limits: limits)
        parser.append(Feed.bytes("GET / HTTP/1.1\r\nHost: a\r\nX-Endless: "))
        #expect(parser.next() == .needMoreData)
        let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        var sent = 0
        var status: Int? = nil
        while status == nil && sent < 1_000_000 {
            parser.append(piece)
            sent += piece.count
            let event = parser.next()
            status = event.errorStatus
            if status == nil {
                #expect(event == .needMoreData)
                #expect(parser.bufferedByteCount <= limits.maxHeaderBytes)
            }
        }
        #expect(status == 431)
        #expect(sent <= limits.maxHeaderBytes + piece.count)
        #expect(parser.bufferedByteCount == 0)
    }

    @Test("an endless request line is cut off at the request-line limit")
    func endlessRequestLine() {
        var parser = HTTPRequestParser()
        parser.append(Feed.bytes("GET /"))
        var sent = 5
        var status: Int? = nil
        while status == nil && sent < 1_000_000 {
            parser.append([UInt8](repeating: UInt8(ascii: "b"), count: 512))
            sent += 512
            status = parser.next().errorStatus
        }
        #expect(status == 414)
        #expect(sent <= 8192 + 512)
    }

    @Test("Content-Length at the body limit passes, one over is 413 before any body byte")
    func contentLengthLimit() {
        let body = String(repeating: "b", count: 32)
        #expect(outcome("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 32\r\n\r\n" + body) == 200)
        var parser = HTTPRequestParser(limits: small)
        parser.append(Feed.bytes("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 33\r\n\r\n"))
        #expect(parser.next() == .error(HTTPParseError(status: 413, reason: "request body too large")))
    }

    @Test("chunked bodies at the limit pass; 413 as soon as a chunk size takes the total over")
    func chunkedBodyLimit() {
        let prefix = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        let exact =
            prefix + "10\r\n" + String(repeating: "x", count: 16) + "\r\n10\r\n"
            + String(repeating: "y", count: 16) + "\r\n0\r\n\r\n"
        #expect(outcome(exact) == 200)
        var parser = HTTPRequestParser(limits: small)
        parser.append(Feed.bytes(prefix + "10\r\n" + String(repeating: "x", count: 16) + "\r\n11\r\n"))
        guard case .head = parser.next() else {
            Issue.record("expected a head")
            return
        }
        #expect(parser.next().errorStatus == 413)
    }

    @Test("a chunk-size line at the limit passes, one byte over is 400")
    func chunkLineLimit() {
        let prefix = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        let atLimit = "3;ext=" + String(repeating: "e", count: 24 - 6)
        #expect(atLimit.utf8.count == 24)
        #expect(outcome(prefix + atLimit + "\r\nabc\r\n0\r\n\r\n") == 200)
        #expect(outcome(prefix + atLimit + "e\r\nabc\r\n0\r\n\r\n") == 400)
        var parser = HTTPRequestParser(limits: small)
        parser.append(Feed.bytes(prefix + atLimit + "e"))  // no CRLF yet
        _ = parser.next()
        #expect(parser.next().errorStatus == 400)
    }

    @Test("a trailer section at the limit passes, one byte over is 431")
    func trailerLimit() {
        let prefix = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n"
        // Two trailer lines: "T: 1\r\n" (6 bytes) and padding.
        let exact = prefix + "T: 1\r\n" + fieldLine("X", length: 40 - 6 - 2) + "\r\n\r\n"
        #expect(outcome(exact) == 200)
        let over = prefix + "T: 1\r\n" + fieldLine("X", length: 40 - 6 - 1) + "\r\n\r\n"
        #expect(outcome(over) == 431)
    }

    @Test("buffered bytes stay within the limits while waiting for more")
    func bufferedBound() {
        // Whatever arrives, needMoreData never leaves more than the head limits buffered.
        let limits = small
        let bound = limits.maxRequestLineBytes + 2 + limits.maxHeaderBytes + 2
        var parser = HTTPRequestParser(limits: limits)
        let head = "GET / HTTP/1.1\r\nHost: a\r\n" + fieldLine(length: 100) + "\r\n"
        for byte in Feed.bytes(head) {
            parser.append([byte])
            #expect(parser.next() == .needMoreData)
            #expect(parser.bufferedByteCount <= bound)
        }
    }
}
