import Foundation
import HTTP
import JSON
import Logging
import Synchronization
import TestSupport
import Testing

/// A server on a loopback port with a small set of routes for exercising the HTTP layer.
final class TestServer: Sendable {
    let server: HTTPServer
    let port: Int
    let recordBox: RecordBox

    private struct Recorder: HTTPServerObserver {
        let sink: @Sendable (HTTPRequestRecord) -> Void
        func requestCompleted(_ record: HTTPRequestRecord) { sink(record) }
    }

    init(configure: (inout HTTPServerConfiguration) -> Void = { _ in }) throws {
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        // A busy machine can leave a test's connection silent for longer than the production
        // timeouts (a connection that has sent nothing yet is closed silently after the head
        // timeout); tests of the timeouts set their own.
        configuration.idleTimeout = .seconds(300)
        configuration.headerTimeout = .seconds(300)
        configuration.bodyTimeout = .seconds(300)
        configure(&configuration)
        var routes = RouterBuilder()
        routes.add("GET", "/hello", access: RouteAccess("public")) { _, _ in .json(["status": "ok"]) }
        routes.add("POST", "/echo", access: RouteAccess("public")) { request, _ in
            HTTPResponse(status: 200, headers: ["Content-Type": "application/octet-stream"], body: request.body)
        }
        let started = SlowCounter()
        let gate = Gate()
        routes.add("GET", "/gated", access: RouteAccess("public")) { _, _ in
            started.increment()
            try await gate.wait()
            return .text("let through")
        }
        routes.add("GET", "/slow/{ms}", access: RouteAccess("public")) { _, context in
            started.increment()
            let milliseconds = try context.parameters.require("ms", as: Int.self)
            try await Task.sleep(for: .milliseconds(milliseconds))
            return .text("slept \(milliseconds)")
        }
        routes.add("GET", "/items/{id}", access: RouteAccess("public")) { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            return .json(["id": .number(.integer(id))])
        }
        routes.add("DELETE", "/items/{id}", access: RouteAccess("public")) { _, _ in .empty(status: 204) }
        routes.add("GET", "/fail", access: RouteAccess("public")) { _, _ in
            struct Boom: Error {}
            throw Boom()
        }
        routes.add("GET", "/big/{kib}", access: RouteAccess("public")) { _, context in
            let kib = try context.parameters.require("kib", as: Int.self)
            return HTTPResponse(status: 200, body: [UInt8](repeating: UInt8(ascii: "x"), count: kib * 1024))
        }
        routes.add("GET", "/query", access: RouteAccess("public")) { request, _ in
            let items = request.queryItems ?? []
            return .json(.array(items.map { .string("\($0.name)=\($0.value)") }))
        }
        // Where handlers run: each answers with the event loop it finds itself on, before and
        // after a suspension that leaves the thread (a sleep, as a database write would).
        for placement in [HandlerPlacement.eventLoop, .concurrentPool] {
            let name = placement == .eventLoop ? "loop" : "pool"
            routes.add("GET", "/where/\(name)", access: RouteAccess("public"), placement: placement) { _, _ in
                let before = HTTPServer.currentEventLoopIndex
                try await Task.sleep(for: .milliseconds(1))
                let after = HTTPServer.currentEventLoopIndex
                func describe(_ index: Int?) -> JSONValue { index.map { .number(.integer(Int64($0))) } ?? .null }
                return .json(["before": describe(before), "after": describe(after)])
            }
        }
        let router = routes.build(logger: Logger(label: "test"))
        let box = RecordBox()
        server = HTTPServer(
            configuration: configuration, responder: router,
            observer: Recorder { box.append($0) }, logger: Logger(label: "test"))
        port = try server.start()
        recordBox = box
        slowCounter = started
        self.gate = gate
    }

    /// Holds `/gated` requests until opened: a test orders events by counting, not by sleeping.
    final class Gate: Sendable {
        private let opened = Atomic<Bool>(false)
        func open() { opened.store(true, ordering: .releasing) }
        func wait() async throws {
            let deadline = ContinuousClock.now + .seconds(60)
            while !opened.load(ordering: .acquiring) && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
        }
    }
    let gate: Gate

    final class SlowCounter: Sendable {
        let count = Atomic<Int>(0)
        func increment() { count.add(1, ordering: .relaxed) }
    }
    /// How many `/slow/{ms}` handlers have started: a test waits for its request to be in
    /// flight by counting, not by sleeping for a guessed time.
    let slowCounter: SlowCounter

    /// Waits (up to a minute) until `count` slow handlers have started.
    func waitForSlowRequests(_ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while slowCounter.count.load(ordering: .relaxed) < count && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    final class RecordBox: Sendable {
        let records = Mutex<[HTTPRequestRecord]>([])
        func append(_ record: HTTPRequestRecord) { records.withLock { $0.append(record) } }
    }

    func client(timeout: Double = 30) throws -> TestHTTPClient { try TestHTTPClient(port: port, timeout: timeout) }

    func stop() async { await server.shutdown() }
}

@Suite("HTTP server over a real loopback socket")
struct ServerTests {
    @Test("serves two requests on one kept-alive connection")
    func keepAlive() async throws {
        let server = try TestServer()
        let client = try server.client()
        let first = try await client.request("GET", "/hello")
        let second = try await client.request("GET", "/items/7")
        #expect(first.status == 200)
        #expect(first.text == #"{"status":"ok"}"#)
        #expect(first.header("Connection") == nil)
        #expect(second.status == 200)
        #expect(second.text == #"{"id":7}"#)
        await server.stop()
    }

    @Test("runs a handler on the event loop that read its request, and resumes it there after a suspension")
    func handlersRunOnTheirLoop() async throws {
        let server = try TestServer { $0.eventLoopCount = 2 }
        var seen: Set<Int64> = []
        // Connections are spread over the loops in turn: a few of them meet both loops.
        for _ in 0..<4 {
            let client = try server.client()
            for _ in 0..<3 {
                let response = try await client.request("GET", "/where/loop")
                let loop = try #require(["0", "1"].first { response.text == #"{"before":\#($0),"after":\#($0)}"# })
                seen.insert(Int64(loop)!)
            }
        }
        #expect(seen == [0, 1])
        #expect(HTTPServer.currentEventLoopIndex == nil)
        await server.stop()
    }

    @Test("tells the application when each loop ends a turn, on that loop's own thread")
    func turnEndedOnTheLoop() async throws {
        let turns = Mutex<[Int: Int]>([:])
        let offLoop = Atomic<Int>(0)
        let server = try TestServer { configuration in
            configuration.eventLoopCount = 2
            configuration.eventLoopTurnEnded = { index in
                if HTTPServer.currentEventLoopIndex != index { offLoop.add(1, ordering: .relaxed) }
                turns.withLock { $0[index, default: 0] += 1 }
            }
        }
        // Connections go to the loops in turn, so both serve some of these.
        for _ in 0..<4 {
            #expect(try await server.client().request("GET", "/hello").status == 200)
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while turns.withLock({ $0.count }) < 2 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(Set(turns.withLock { $0.keys }) == [0, 1])
        #expect(offLoop.load(ordering: .relaxed) == 0)
        await server.stop()
    }

    @Test("runs a handler placed on the concurrent pool off every event loop")
    func poolHandlersRunOffTheLoops() async throws {
        let server = try TestServer()
        let client = try server.client()
        for _ in 0..<3 {
            let response = try await client.request("GET", "/where/pool")
            #expect(response.status == 200)
            #expect(response.text == #"{"before":null,"after":null}"#)
        }
        await server.stop()
    }

    @Test("answers pipelined requests in request order even when the first is slowest")
    func pipelining() async throws {
        let server = try TestServer()
        let client = try server.client()
        try await client.send(
            "GET /slow/150 HTTP/1.1\r\nHost: x\r\n\r\n" + "GET /slow/1 HTTP/1.1\r\nHost: x\r\n\r\n"
                + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        var responses: [TestResponse] = []
        for _ in 0..<3 { responses.append(try await client.readResponse()) }
        #expect(responses.map(\.text) == ["slept 150", "slept 1", "hello"])
        await server.stop()
    }

    @Test("decodes a chunked request body with extensions and trailers")
    func chunkedBody() async throws {
        let server = try TestServer()
        let client = try server.client()
        try await client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        try await client.send("5;ext=1\r\nhello\r\n")
        try await client.send("6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n")
        let response = try await client.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "hello world")
        await server.stop()
    }

    @Test("sends 100 Continue before reading a body the client holds back")
    func expectContinue() async throws {
        let server = try TestServer()
        let client = try server.client()
        try await client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
        let interim = try await client.readResponse()
        #expect(interim.status == 100)
        try await client.send("ping")
        let final = try await client.readResponse()
        #expect(final.status == 200)
        #expect(final.text == "ping")
        await server.stop()
    }

    @Test("rejects an oversized body with 413 before the client sends it")
    func bodyTooLargeBeforeReading() async throws {
        let server = try TestServer { $0.parserLimits.maxBodyBytes = 1000 }
        let client = try server.client()
        try await client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
        let response = try await client.readResponse()
        #expect(response.status == 413)
        #expect(response.header("Content-Type") == "application/problem+json")
        #expect(response.header("Connection") == "close")
        #expect(await client.isClosedByServer())
        await server.stop()
    }

    @Test("answers HEAD with the GET headers and no body")
    func head() async throws {
        let server = try TestServer()
        let client = try server.client()
        let response = try await client.request("HEAD", "/hello")
        #expect(response.status == 200)
        #expect(response.header("Content-Length") == "15")
        let next = try await client.request("GET", "/items/1")
        #expect(next.text == #"{"id":1}"#, "no stray body bytes from the HEAD response")
        await server.stop()
    }

    @Test("closes an HTTP/1.0 connection unless it asks for keep-alive")
    func http10() async throws {
        let server = try TestServer()
        let plain = try server.client()
        try await plain.send("GET /hello HTTP/1.0\r\n\r\n")
        let closed = try await plain.readResponse()
        #expect(closed.status == 200)
        #expect(closed.header("Connection") == "close")
        #expect(await plain.isClosedByServer())

        let kept = try server.client()
        try await kept.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let first = try await kept.readResponse()
        #expect(first.header("Connection") == "keep-alive")
        try await kept.send("GET /items/2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try await kept.readResponse().text == #"{"id":2}"#)
        await server.stop()
    }

    @Test("honours Connection: close from the client")
    func connectionClose() async throws {
        let server = try TestServer()
        let client = try server.client()
        let response = try await client.request("GET", "/hello", headers: [("Connection", "close")])
        #expect(response.header("Connection") == "close")
        #expect(await client.isClosedByServer())
        await server.stop()
    }

    @Test("answers a malformed request with 400, closes, and never reads what follows as a request")
    func badRequestCloses() async throws {
        let server = try TestServer()
        let client = try server.client()
        try await client.send(
            "GET /hello HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\nGET /items/9 HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try await client.readResponse()
        #expect(response.status == 400)
        #expect(response.header("Content-Type") == "application/problem+json")
        #expect(response.object["status"] as? Int == 400)
        #expect(await client.isClosedByServer())
        #expect(!String(decoding: client.unreadBytes, as: UTF8.self).contains("HTTP/1.1"))
        await server.stop()
    }

    /// Requests that break the protocol, named so test output stays readable.
    enum Violation: String, CaseIterable, Sendable {
        case missingHost, http2, gzipCoding, lengthAndChunked, conflictingLengths, longTarget, hugeHeader

        var request: String {
            switch self {
            case .missingHost: "GET /hello HTTP/1.1\r\n\r\n"
            case .http2: "GET /hello HTTP/2.0\r\nHost: x\r\n\r\n"
            case .gzipCoding: "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
            case .lengthAndChunked:
                "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
            case .conflictingLengths:
                "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"
            case .longTarget: "GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n"
            case .hugeHeader:
                "GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 33000) + "\r\n\r\n"
            }
        }

        var status: Int {
            switch self {
            case .missingHost, .lengthAndChunked, .conflictingLengths: 400
            case .http2: 505
            case .gzipCoding: 501
            case .longTarget: 414
            case .hugeHeader: 431
            }
        }
    }

    @Test("maps protocol violations to their status codes", arguments: Violation.allCases)
    func protocolErrors(violation: Violation) async throws {
        let (request, status) = (violation.request, violation.status)
        let server = try TestServer()
        let client = try server.client()
        try await client.send(request)
        let response = try await client.readResponse()
        #expect(response.status == status)
        #expect(response.header("Connection") == "close")
        await server.stop()
    }

    @Test("answers 431 past the header count limit")
    func headerCount() async throws {
        let server = try TestServer { $0.parserLimits.maxHeaderCount = 10 }
        let client = try server.client()
        let headers = (0..<11).map { "X-\($0): v\r\n" }.joined()
        try await client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\(headers)\r\n")
        #expect(try await client.readResponse().status == 431)
        await server.stop()
    }

    @Test("routes: 404 for an unknown path, 405 with Allow for a known path, 400 for a bad parameter")
    func routing() async throws {
        let server = try TestServer()
        let client = try server.client()
        let missing = try await client.request("GET", "/nope")
        #expect(missing.status == 404)
        #expect(missing.header("Content-Type") == "application/problem+json")
        let wrongMethod = try await client.request("PUT", "/items/3", body: "{}")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.header("Allow") == "DELETE, GET, HEAD")
        let badParameter = try await client.request("GET", "/items/abc")
        #expect(badParameter.status == 400)
        #expect((badParameter.object["errors"] as? [[String: Any]])?.first?["field"] as? String == "/id")
        await server.stop()
    }

    @Test("turns an unexpected handler error into a bare 500 problem")
    func internalError() async throws {
        let server = try TestServer()
        let client = try server.client()
        let response = try await client.request("GET", "/fail")
        #expect(response.status == 500)
        #expect(response.header("Content-Type") == "application/problem+json")
        #expect(!response.text.contains("Boom"))
        #expect(try await client.request("GET", "/hello").status == 200, "the connection survives a 500")
        await server.stop()
    }

    @Test("sends Date, X-Request-Id, nosniff; echoes a sane request id and replaces an unsafe one")
    func standardHeaders() async throws {
        let server = try TestServer()
        let client = try server.client()
        let generated = try await client.request("GET", "/hello")
        #expect(generated.header("Date")?.hasSuffix(" GMT") == true)
        #expect(generated.header("X-Content-Type-Options") == "nosniff")
        let id = try #require(generated.header("X-Request-Id"))
        #expect(!id.isEmpty)
        let another = try await client.request("GET", "/hello")
        #expect(another.header("X-Request-Id") != id)
        let echoed = try await client.request("GET", "/hello", headers: [("X-Request-Id", "abc-123.DEF")])
        #expect(echoed.header("X-Request-Id") == "abc-123.DEF")
        let unsafe = try await client.request("GET", "/hello", headers: [("X-Request-Id", "evil\"{}id")])
        #expect(unsafe.header("X-Request-Id") != "evil\"{}id")
        await server.stop()
    }

    @Test("decodes query parameters")
    func query() async throws {
        let server = try TestServer()
        let client = try server.client()
        let response = try await client.request("GET", "/query?a=1&b=x%20y&c=p+q")
        #expect(response.text == #"["a=1","b=x y","c=p q"]"#)
        await server.stop()
    }

    @Test("a stalled client does not delay a fast one")
    func stalledClient() async throws {
        // Timeouts far longer than the test: a server that waited on a stalled client would
        // leave the fast one unanswered until its own (generous) read timeout fails the test.
        // Counting answers, not timing them, keeps the test meaningful on a busy machine.
        let server = try TestServer {
            $0.headerTimeout = .seconds(600)
            $0.bodyTimeout = .seconds(600)
            $0.shutdownGracePeriod = .milliseconds(100)  // the stalled two are still open at the end
        }
        let stalled = try server.client()
        try await stalled.send("GET /hello HTTP/1.1\r\nHost: x\r\n")  // head never finished
        let slowBody = try server.client()
        try await slowBody.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
        let fast = try server.client(timeout: 30)
        for _ in 0..<200 {
            #expect(try await fast.request("GET", "/hello").status == 200)
        }
        // The stalled two are still waiting, unanswered: they were passed over, not timed out.
        #expect(server.server.openConnections == 3)
        await server.stop()
    }

    @Test("times out a client that never finishes its head with 408, and an idle one silently")
    func timeouts() async throws {
        let server = try TestServer {
            $0.headerTimeout = .milliseconds(300)
            $0.idleTimeout = .milliseconds(300)
        }
        let partial = try server.client()
        try await partial.send("GET /hello HTTP/1.1\r\nHo")
        let response = try await partial.readResponse()
        #expect(response.status == 408)
        #expect(await partial.isClosedByServer())

        let idle = try server.client()
        #expect(try await idle.request("GET", "/hello").status == 200)
        let started = ContinuousClock.now
        #expect(await idle.isClosedByServer())
        #expect(idle.unreadBytes.isEmpty)
        // Closed by the 300 ms idle timeout, not by anything slower (the bound is loose for a
        // busy machine; the next timeout in play is the client's own 30 s).
        #expect(ContinuousClock.now - started < .seconds(20))
        await server.stop()
    }

    @Test("times out a body that stops arriving with 408")
    func bodyTimeout() async throws {
        let server = try TestServer { $0.bodyTimeout = .milliseconds(300) }
        let client = try server.client()
        try await client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        let response = try await client.readResponse()
        #expect(response.status == 408)
        #expect(response.header("Connection") == "close")
        await server.stop()
    }

    @Test("drops a client that stops reading a large response, without stalling the server")
    func writeTimeout() async throws {
        let server = try TestServer { $0.writeTimeout = .milliseconds(300) }
        let reader = try server.client()
        try await reader.send("GET /big/65536 HTTP/1.1\r\nHost: x\r\n\r\n")  // 64 MiB, never read
        let other = try server.client()
        #expect(try await other.request("GET", "/hello").status == 200)
        let deadline = ContinuousClock.now + .seconds(5)
        while server.server.openConnections > 1 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(server.server.openConnections == 1, "the non-reading client was dropped")
        #expect(try await other.request("GET", "/hello").status == 200)
        await server.stop()
    }

    @Test("answers 503 beyond the connection limit")
    func connectionLimit() async throws {
        let server = try TestServer { $0.maxConnections = 2 }
        let first = try server.client()
        let second = try server.client()
        #expect(try await first.request("GET", "/hello").status == 200)
        #expect(try await second.request("GET", "/hello").status == 200)
        let third = try server.client()
        let rejected = try await third.readResponse()
        #expect(rejected.status == 503)
        #expect(rejected.header("Retry-After") == "1")
        await server.stop()
    }

    @Test("writes a large response to a client that reads slowly")
    func largeResponse() async throws {
        let server = try TestServer()
        let client = try server.client()
        try await client.send("GET /big/4096 HTTP/1.1\r\nHost: x\r\n\r\n")
        try await Task.sleep(for: .milliseconds(200))  // let the kernel buffers fill: the server must wait, not drop
        let response = try await client.readResponse()
        #expect(response.body.count == 4096 * 1024)
        #expect(try await client.request("GET", "/hello").status == 200)
        await server.stop()
    }

    @Test("on shutdown finishes the in-flight request, then closes")
    func gracefulShutdown() async throws {
        let server = try TestServer()
        let busy = try server.client()
        let idle = try server.client()
        #expect(try await idle.request("GET", "/hello").status == 200)
        try await busy.send("GET /gated HTTP/1.1\r\nHost: x\r\n\r\n")
        try await server.waitForSlowRequests(1)  // in flight when the shutdown starts
        let stopping = Task { await server.stop() }
        // The idle connection closes as the shutdown begins; only then is the busy one let through.
        #expect(await idle.isClosedByServer())
        server.gate.open()
        let response = try await busy.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "let through")
        #expect(response.header("Connection") == "close")
        await stopping.value
        #expect(server.server.openConnections == 0)
        #expect(throws: (any Error).self) { _ = try TestHTTPClient(port: server.port, timeout: 1) }
    }

    @Test("reports every request to the observer with its route template")
    func observer() async throws {
        let server = try TestServer()
        let client = try server.client()
        _ = try await client.request("GET", "/items/42")
        _ = try await client.request("GET", "/missing")
        try await Task.sleep(for: .milliseconds(50))
        let records = server.recordBox.records.withLock { $0 }
        #expect(records.map(\.route) == ["/items/{id}", "unmatched"])
        #expect(records.map(\.status) == [200, 404])
        await server.stop()
    }
}
