import Glibc

/// Who a request came from when the server sits behind reverse proxies.
///
/// A proxy connects to us itself, so the peer address is the proxy's; the client's is in
/// `X-Forwarded-For`, to which every proxy on the way appends the address it received the
/// request from. Only proxies the operator lists are believed, and the list is read right to
/// left: the first address that is not a trusted proxy is the client. Anything to its left was
/// written by the client itself and could be anything, so it is never used; that is what keeps
/// a client from choosing its own rate-limit bucket.
public enum ClientAddress {
    /// The client of a request from `peer`: `peer` itself unless it is one of `trustedProxies`
    /// (canonical addresses, see `canonical(_:)`); then the rightmost `X-Forwarded-For` entry
    /// that is not a trusted proxy. An entry that is not an IP address (say, "unknown") ends
    /// the walk at the trusted proxy that passed it on, as does a missing header.
    public static func resolve(peer: String, headers: HTTPHeaders, trustedProxies: Set<String>) -> String {
        guard !trustedProxies.isEmpty, let peerAddress = canonical(peer), trustedProxies.contains(peerAddress) else {
            return peer
        }
        var client = peerAddress
        // Several X-Forwarded-For fields are one comma-separated list, in order (RFC 9110 §5.3).
        for entry in headers.values("X-Forwarded-For").flatMap({ $0.split(separator: ",") }).reversed() {
            guard let address = canonical(withoutPort(entry)) else { return client }
            client = address
            if !trustedProxies.contains(address) { return address }
        }
        return client
    }

    /// The canonical text of an IPv4 or IPv6 address literal ("127.0.0.1", "2001:db8::1"), with
    /// IPv4-mapped IPv6 addresses written as IPv4; nil for anything else.
    public static func canonical(_ text: some StringProtocol) -> String? {
        let text = String(text)
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return format(AF_INET, withUnsafeBytes(of: v4) { Array($0) }, length: INET_ADDRSTRLEN)
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return bytes[12...].map(String.init).joined(separator: ".")
        }
        return format(AF_INET6, bytes, length: INET6_ADDRSTRLEN)
    }

    /// `inet_ntop` of an address given as its network-order bytes.
    private static func format(_ family: Int32, _ address: [UInt8], length: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(length))
        let written = address.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(length)) }
        guard written != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// An entry without surrounding blanks and without a port: "[2001:db8::1]:443" and
    /// "192.0.2.1:8080" as some proxies write them, and bare addresses as they are.
    private static func withoutPort(_ entry: Substring) -> Substring {
        let trimmed = entry.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed()
        let text = Substring(String(trimmed))
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            return text[text.index(after: text.startIndex)..<close]
        }
        if text.contains("."), let colon = text.firstIndex(of: ":"), text[colon...].dropFirst().allSatisfy(\.isNumber) {
            return text[..<colon]
        }
        return text
    }
}
