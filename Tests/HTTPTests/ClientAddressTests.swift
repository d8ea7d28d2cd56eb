import HTTP
import Testing

@Suite("Client address behind trusted reverse proxies (X-Forwarded-For)")
struct ClientAddressTests {
    static let proxies: Set<String> = ["10.0.0.2", "10.0.0.3", "::1"]

    static func resolve(peer: String, _ forwarded: [String], trusted: Set<String> = proxies) -> String {
        var headers = HTTPHeaders()
        for value in forwarded { headers.add("X-Forwarded-For", value) }
        return ClientAddress.resolve(peer: peer, headers: headers, trustedProxies: trusted)
    }

    @Test(
        "the peer is the client unless it is a trusted proxy",
        arguments: [
            // A client talking to us directly cannot pick its address by sending the header.
            ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),
            ("10.0.0.2", [], "10.0.0.2"),
            ("10.0.0.2", ["198.51.100.1"], "198.51.100.1"),
        ])
    func peer(peer: String, forwarded: [String], expected: String) {
        #expect(Self.resolve(peer: peer, forwarded) == expected)
    }

    @Test(
        "the rightmost address that is not a trusted proxy; what the client wrote to its left is ignored",
        arguments: [
            // The client prepended a fake address; the proxy appended the real one.
            ("10.0.0.2", ["6.6.6.6, 198.51.100.1"], "198.51.100.1"),
            // Two proxies in a row.
            ("10.0.0.2", ["198.51.100.1, 10.0.0.3"], "198.51.100.1"),
            // The list split over several fields, in order.
            ("10.0.0.2", ["6.6.6.6", "198.51.100.1,10.0.0.3"], "198.51.100.1"),
            // Spaces, a port, IPv6 in brackets, IPv4-mapped IPv6.
            ("10.0.0.2", [" 192.0.2.7:52100 "], "192.0.2.7"),
            ("::1", ["[2001:DB8::7]:443"], "2001:db8::7"),
            ("::ffff:10.0.0.2", ["::ffff:192.0.2.8"], "192.0.2.8"),
            // Only proxies: the request came from the leftmost of them.
            ("10.0.0.2", ["10.0.0.3"], "10.0.0.3"),
            // Not an address: stop at the proxy that passed it on.
            ("10.0.0.2", ["unknown"], "10.0.0.2"),
            ("10.0.0.2", ["198.51.100.1, garbage, 10.0.0.3"], "10.0.0.3"),
        ])
    func rightmostUntrusted(peer: String, forwarded: [String], expected: String) {
        #expect(Self.resolve(peer: peer, forwarded) == expected)
    }

    @Test("nothing is trusted by default")
    func noProxies() {
        #expect(Self.resolve(peer: "10.0.0.2", ["198.51.100.1"], trusted: []) == "10.0.0.2")
    }

    @Test(
        "canonical addresses",
        arguments: [
            ("127.0.0.1", "127.0.0.1"), ("0:0:0:0:0:0:0:1", "::1"), ("2001:DB8:0::1", "2001:db8::1"),
            ("::ffff:127.0.0.1", "127.0.0.1"),
        ])
    func canonical(text: String, expected: String) {
        #expect(ClientAddress.canonical(text) == expected)
    }

    @Test("not addresses", arguments: ["", "localhost", "10.0.0.0/8", "1.2.3", "256.1.1.1", "::1%eth0x", " 10.0.0.1"])
    func notAddresses(text: String) {
        #expect(ClientAddress.canonical(text) == nil)
    }
}
