import HTTP
import Testing

@Suite("HTTP client (webhook deliveries) against our server on loopback")
struct HTTPClientTests {
    @Test("requests to one host reuse one kept-alive connection")
    func reuse() async throws {
        let server = try TestServer()
        let client = HTTPClient()
        for index in 0..<5 {
            let body = Array("hello \(index)".utf8)
            let response = try await client.send(
                method: "POST", host: "127.0.0.1", port: server.port, target: "/echo",
                headers: [("Host", "127.0.0.1"), ("Content-Type", "application/octet-stream")], body: body,
                timeout: .seconds(30))
            #expect(response.status == 200)
        }
        #expect(client.connectionsOpened == 1)
        let big = try await client.send(
            method: "GET", host: "127.0.0.1", port: server.port, target: "/big/64", headers: [("Host", "x")], body: [],
            timeout: .seconds(30))
        #expect(big.status == 200)
        #expect(client.connectionsOpened == 1)
        client.closeIdleConnections()
        await server.stop()
    }

    @Test("a slow response times out; a closed port is refused")
    func failures() async throws {
        let server = try TestServer()
        let client = HTTPClient()
        await #expect(throws: HTTPClientError.timeout) {
            try await client.send(
                method: "GET", host: "127.0.0.1", port: server.port, target: "/slow/2000", headers: [("Host", "x")],
                body: [], timeout: .milliseconds(200))
        }
        let port = server.port
        await server.stop()
        await #expect(throws: HTTPClientError.connectionRefused) {
            try await client.send(
                method: "GET", host: "127.0.0.1", port: port, target: "/", headers: [("Host", "x")], body: [],
                timeout: .seconds(2))
        }
    }

    @Test("URLs: http and https with host, port and target; nothing else")
    func urls() throws {
        let plain = try #require(HTTPClientURL("http://Clinic.example:8080/hooks?x=1"))
        #expect(plain.scheme == "http" && plain.host == "clinic.example" && plain.port == 8080)
        #expect(plain.target == "/hooks?x=1" && plain.authority == "clinic.example:8080")
        let secure = try #require(HTTPClientURL("https://[::1]"))
        #expect(secure.port == 443 && secure.host == "::1" && secure.target == "/" && secure.authority == "[::1]")
        for bad in [
            "ftp://x/", "http://", "http://user:pw@host/", "http://host/#frag", "http://host:0/", "http://host:99999/",
            "http://ho st/", "mailto:a@b",
        ] {
            #expect(HTTPClientURL(bad) == nil, "\(bad)")
        }
    }
}
