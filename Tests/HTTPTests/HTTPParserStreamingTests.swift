import Testing

@testable import HTTP

/// Valid byte streams used to check that splitting never changes the outcome.
private let streams: [String] = [
    "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: wrk\r\n\r\n",
    "POST /entries?draft=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\nExpect: 100-continue\r\n\r\nhello world",
    "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4;x=\"y z\"\r\nabcd\r\n2\r\nef\r\n0\r\nX-T: 1\r\n\r\n",
    "\r\nGET http://example.com/a?b HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "PUT /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcPOST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\nGET /c HTTP/1.1\r\nHost: a\r\n\r\n",
    // Ends in an error after a good request.
    "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
]

/// A larger pipelined stream: three requests with bodies.
private let pipelined =
    "POST /one HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nfirst"
    + "POST /two HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nsec\r\n3;e\r\nond\r\n0\r\n\r\n"
    + "PATCH /three?x HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nConnection: close\r\n\r\nthird!"

@Suite("Request parser: streaming")
struct HTTPParserStreamingTests {
    @Test("feeding one byte at a time gives the same events as feeding the whole", arguments: streams)
    func byteByByte(stream: String) {
        let input = Feed.bytes(stream)
        let whole = Feed.whole(input)
        #expect(!whole.isEmpty)
        #expect(Feed.byteByByte(input) == whole)
    }

    @Test("feeding two pieces split at every position gives the same events", arguments: streams)
    func everySplit(stream: String) {
        let input = Feed.bytes(stream)
        let whole = Feed.whole(input)
        for index in 0...input.count {
            let split = Feed.split(input, at: index)
            #expect(split == whole, "split at \(index)")
            if split != whole { return }
        }
    }

    @Test("three pipelined requests come out in order with their bodies")
    func pipelinedRequests() {
        let events = Feed.whole(Feed.bytes(pipelined))
        #expect(events.count == 6)
        let requests = Feed.requests(events)
        #expect(requests.map(\.head.path) == ["/one", "/two", "/three"])
        #expect(requests.map(\.body) == [Feed.bytes("first"), Feed.bytes("second"), Feed.bytes("third!")])
        #expect(requests.map(\.head.keepAlive) == [true, true, false])
        #expect(requests[2].head.query == "x")
        // The head of each comes just before its request.
        for (i, event) in events.enumerated() {
            if i % 2 == 0 {
                #expect(event == .head(requests[i / 2].head))
            }
        }
    }

    @Test("pipelined requests come out one event per call")
    func oneEventPerCall() {
        var parser = HTTPRequestParser()
        parser.append(Feed.bytes("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n"))
        var paths: [String] = []
        while true {
            switch parser.next() {
            case .head(let head): paths.append("head " + head.path)
            case .request(let request): paths.append("request " + request.head.path)
            case .needMoreData, .error: break
            }
            if paths.count == 4 { break }
        }
        #expect(paths == ["head /a", "request /a", "head /b", "request /b"])
        #expect(parser.next() == .needMoreData)
        #expect(parser.bufferedByteCount == 0)
    }

    @Test("isIdle and isReadingBody follow a request from first byte to last")
    func stateFlags() {
        var parser = HTTPRequestParser()
        #expect(parser.isIdle && !parser.isReadingBody)
        parser.append(Feed.bytes("\r\n"))
        #expect(!parser.isIdle)
        #expect(parser.next() == .needMoreData)
        #expect(parser.isIdle)  // an ignored empty line is not part of a request
        parser.append(Feed.bytes("POST / HTTP/1.1\r\nHo"))
        #expect(parser.next() == .needMoreData)
        #expect(!parser.isIdle && !parser.isReadingBody)
        parser.append(Feed.bytes("st: a\r\nTransfer-Encoding: chunked\r\n\r\n"))
        guard case .head = parser.next() else {
            Issue.record("expected a head")
            return
        }
        #expect(!parser.isIdle && parser.isReadingBody)
        parser.append(Feed.bytes("2\r\nab\r\n"))
        #expect(parser.next() == .needMoreData)
        #expect(parser.isReadingBody)
        parser.append(Feed.bytes("0\r\nX: y\r\n"))
        #expect(parser.next() == .needMoreData)
        #expect(parser.isReadingBody)
        parser.append(Feed.bytes("\r\n"))
        guard case .request(let request) = parser.next() else {
            Issue.record("expected a request")
            return
        }
        #expect(request.body == Feed.bytes("ab"))
        #expect(parser.isIdle && !parser.isReadingBody)

        // A body-less request is "reading its body" between .head and .request.
        parser.append(Feed.bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
        guard case .head = parser.next() else {
            Issue.record("expected a head")
            return
        }
        #expect(parser.isReadingBody)
        guard case .request = parser.next() else {
            Issue.record("expected a request")
            return
        }
        #expect(parser.isIdle && !parser.isReadingBody)

        // After an error, neither.
        parser.append(Feed.bytes("BAD\r\n"))
        #expect(parser.next().errorStatus == 400)
        #expect(!parser.isIdle && !parser.isReadingBody)
    }

    @Test("1000 pipelined keep-alive requests reuse a small buffer")
    func compaction() {
        var one = Feed.bytes("POST /entries HTTP/1.1\r\nHost: a\r\nContent-Length: 16\r\n\r\n0123456789abcdef")
        one += Feed.bytes("GET /entries?page=2 HTTP/1.1\r\nHost: a\r\n\r\n")
        var stream: [UInt8] = []
        for _ in 0..<500 { stream += one }
        var parser = HTTPRequestParser()
        var requests = 0
        var maxBuffered = 0
        var maxStorage = 0
        var offset = 0
        let piece = 97  // not a divisor of the request sizes, so pieces straddle requests
        while offset < stream.count {
            let end = min(offset + piece, stream.count)
            parser.append(stream[offset..<end])
            offset = end
            maxStorage = max(maxStorage, parser.storageByteCount)
            loop: while true {
                switch parser.next() {
                case .request(let request):
                    requests += 1
                    #expect(request.body.count == (request.head.method == "POST" ? 16 : 0))
                case .head: continue
                case .needMoreData: break loop
                case .error(let error):
                    Issue.record("unexpected \(error)")
                    return
                }
            }
            maxBuffered = max(maxBuffered, parser.bufferedByteCount)
        }
        #expect(requests == 1000)
        #expect(maxBuffered < one.count)
        #expect(maxStorage <= 2 * (one.count + piece))
        #expect(parser.isIdle)
    }

    @Test("bytes appended after an error are dropped, not buffered")
    func droppedAfterError() {
        var parser = HTTPRequestParser()
        parser.append(Feed.bytes("GET / HTTP/9.9\r\n"))
        #expect(parser.next() == .error(HTTPParseError(status: 505, reason: "HTTP version not supported")))
        for _ in 0..<10 { parser.append(Feed.bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n")) }
        #expect(parser.bufferedByteCount == 0)
        #expect(parser.next().errorStatus == 505)
    }

    @Test("appending through a raw buffer pointer works like any sequence")
    func rawBuffer() {
        let bytes = Feed.bytes("GET /raw HTTP/1.1\r\nHost: a\r\n\r\n")
        var parser = HTTPRequestParser()
        bytes.withUnsafeBytes { parser.append($0) }
        guard case .head(let head) = parser.next() else {
            Issue.record("expected a head")
            return
        }
        #expect(head.path == "/raw")
    }
}
