/// A complete request as handlers see it: the parsed head, the whole body, and what the
/// server knows about where it came from.
public struct HTTPServerRequest: Sendable {
    public var head: HTTPRequestHead
    public var body: [UInt8]
    /// The request id: the client's `X-Request-Id` when it is sane, otherwise generated.
    public var requestId: String
    /// The peer's numeric address ("127.0.0.1").
    public var remoteAddress: String
    /// The client's address: the peer's, or behind a trusted reverse proxy the one its
    /// `X-Forwarded-For` gives (see `ClientAddress`). What per-client limits are keyed on.
    public var clientAddress: String

    public init(
        head: HTTPRequestHead, body: [UInt8], requestId: String, remoteAddress: String, clientAddress: String? = nil
    ) {
        self.head = head
        self.body = body
        self.requestId = requestId
        self.remoteAddress = remoteAddress
        self.clientAddress = clientAddress ?? remoteAddress
    }

    public var method: String { head.method }
    public var path: String { head.path }
    public var headers: HTTPHeaders { head.headers }

    /// Query parameters in order, percent-decoded ('+' as space, as HTML forms and curl send them).
    /// Returns nil when the query is not valid percent-encoding or not UTF-8.
    public var queryItems: [(name: String, value: String)]? {
        guard let query = head.query, !query.isEmpty else { return [] }
        var items: [(name: String, value: String)] = []
        // Split on the bytes: splitting the String would walk it by grapheme clusters, and the
        // separators are ASCII, so a byte split cannot cut a character apart.
        for pair in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let name = Substring(pair[..<(equals ?? pair.endIndex)])
            let value = equals.map { Substring(pair[pair.index(after: $0)...]) } ?? ""
            guard let name = PercentDecoding.decode(name, plusAsSpace: true),
                let value = PercentDecoding.decode(value, plusAsSpace: true)
            else { return nil }
            items.append((name, value))
        }
        return items
    }

    /// The media type of the body without parameters, lowercased ("application/json").
    public var mediaType: String? {
        guard let contentType = head.headers["Content-Type"] else { return nil }
        let type = contentType.split(separator: ";", maxSplits: 1).first ?? ""
        return type.trimmingASCIIWhitespace().lowercased()
    }
}

enum PercentDecoding {
    /// Decodes %XX escapes; nil for a malformed escape or bytes that are not UTF-8.
    static func decode(_ text: Substring, plusAsSpace: Bool) -> String? {
        let utf8 = text.utf8
        if !utf8.contains(UInt8(ascii: "%")) && !(plusAsSpace && utf8.contains(UInt8(ascii: "+"))) {
            return String(text)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%") {
                let high = utf8.index(after: index)
                guard high != utf8.endIndex else { return nil }
                let low = utf8.index(after: high)
                guard low != utf8.endIndex, let h = hexValue(utf8[high]), let l = hexValue(utf8[low]) else {
                    return nil
                }
                bytes.append(h << 4 | l)
                index = utf8.index(after: low)
            } else {
                bytes.append(plusAsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index = utf8.index(after: index)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension StringProtocol {
    func trimmingASCIIWhitespace() -> Substring {
        let string = Substring(self)
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = string.firstIndex(where: { !isSpace($0) }) else { return string[string.endIndex...] }
        let last = string.lastIndex(where: { !isSpace($0) })!
        return string[first...last]
    }
}
