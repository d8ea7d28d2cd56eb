import Foundation
import HTTP
import Logging
import Synchronization
import TestSupport
import Testing

/// A server whose routes stream their bodies, counting how many pieces were asked for.
private final class Counter: Sendable {
    let value = Atomic<Int>(0)
    @discardableResult func increment() -> Int { value.add(1, ordering: .relaxed).newValue }
    var count: Int { value.load(ordering: .relaxed) }
}

private final class StreamingServer: Sendable {
    let server: HTTPServer
    let port: Int
    private let pulls = Counter()

    init() throws {
        var routes = RouterBuilder()
        let pulls = self.pulls
        routes.add("GET", "/stream/{pieces}/{kib}", access: RouteAccess("public")) { _, context in
            let pieces = try context.parameters.require("pieces", as: Int.self)
            let size = try context.parameters.require("kib", as: Int.self) * 1024
            let sent = Counter()
            return HTTPResponse(
                status: 200, headers: ["Content-Type": "text/plain"],
                bodyStream: HTTPBodyStream {
                    pulls.increment()
                    let index = sent.increment()
                    guard index <= pieces else { return nil }
                    return [UInt8](repeating: UInt8(ascii: "a") + UInt8(index % 26), count: size)
                })
        }
        routes.add("GET", "/broken", access: RouteAccess("public")) { _, _ in
            let sent = Counter()
            return HTTPResponse(
                status: 200,
                bodyStream: HTTPBodyStream {
                    struct Broken: Error {}
                    if sent.increment() > 2 { throw Broken() }
                    return Array("piece\n".utf8)
                })
        }
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        // A busy machine can leave a test's connection silent for longer than the production
        // timeouts (see TestServer); these tests are not about timeouts.
        configuration.idleTimeout = .seconds(300)
        configuration.headerTimeout = .seconds(300)
        configuration.bodyTimeout = .seconds(300)
        server = HTTPServer(
            configuration: configuration,
            responder: routes.build(logger: Logger(label: "test")), observer: nil, logger: Logger(label: "test"))
        port = try server.start()
    }

    var pullCount: Int { pulls.count }
}

@Suite("Streamed response bodies")
struct StreamingBodyTests {
    @Test("a streamed body goes out chunked, whole, and the connection stays usable")
    func chunked() async throws {
        let server = try StreamingServer()
        let client = try TestHTTPClient(port: server.port)
        let response = try await client.request("GET", "/stream/5/3")
        #expect(response.status == 200)
        #expect(response.header("Transfer-Encoding") == "chunked")
        #expect(response.header("Content-Length") == nil)
        #expect(response.body.count == 5 * 3 * 1024)
        #expect(response.body.first == UInt8(ascii: "b") && response.body.last == UInt8(ascii: "f"))
        let again = try await client.request("GET", "/stream/1/1")
        #expect(again.body.count == 1024)
        let empty = try await client.request("GET", "/stream/0/1")
        #expect(empty.status == 200 && empty.body.isEmpty)
        await server.server.shutdown()
    }

    @Test("the next piece is produced only as the client reads")
    func backPressure() async throws {
        let server = try StreamingServer()
        do {
            let client = try TestHTTPClient(port: server.port)
            try await client.send("GET /stream/2000/256 HTTP/1.1\r\nHost: x\r\n\r\n")
            // The client reads nothing: once the socket buffers are full the server stops asking.
            var previous = -1
            while server.pullCount != previous {
                previous = server.pullCount
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(server.pullCount < 200)  // 2,000 pieces (500 MiB) exist
        }  // the client's socket closes here, so the server's next write fails and it lets go
        await server.server.shutdown()
    }

    @Test("an HTTP/1.0 client gets the body delimited by the close, HEAD gets no body")
    func http10AndHead() async throws {
        let server = try StreamingServer()
        let client = try TestHTTPClient(port: server.port)
        try await client.send("GET /stream/3/1 HTTP/1.0\r\n\r\n")
        let response = try await client.readResponse()
        #expect(response.header("Transfer-Encoding") == nil)
        #expect(response.header("Connection") == "close")
        #expect(response.body.count == 3 * 1024)
        let head = try await TestHTTPClient(port: server.port).request("HEAD", "/stream/3/1")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        await server.server.shutdown()
    }

    @Test("a body that fails midway ends without its last chunk, so it cannot pass for complete")
    func failure() async throws {
        let server = try StreamingServer()
        let client = try TestHTTPClient(port: server.port)
        await #expect(throws: TestClientError.self) { try await client.request("GET", "/broken") }
        await server.server.shutdown()
    }
}
