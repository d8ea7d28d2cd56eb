// libFuzzer entry point for query-string decoding (percent-encoding, '+' as space, UTF-8).
//
// The input is used as the query string of a request. Decoding must either refuse it or yield
// pairs whose every name and value is valid UTF-8; re-encoding the pairs and decoding again
// must give the same pairs.
import HTTP

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let query = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    guard let items = request(query: query).queryItems else { return 0 }
    precondition(items.count <= count, "more pairs than bytes")
    let encoded = items.map { "\(encode($0.name))=\(encode($0.value))" }.joined(separator: "&")
    guard let again = request(query: encoded).queryItems else {
        preconditionFailure("a re-encoded query string was refused")
    }
    precondition(again.count == items.count, "re-encoding changed the number of pairs")
    for (first, second) in zip(items, again) {
        precondition(first.name == second.name && first.value == second.value, "re-encoding changed a pair")
    }
    return 0
}

private func request(query: String) -> HTTPServerRequest {
    HTTPServerRequest(
        head: HTTPRequestHead(method: "GET", target: "/x?" + query, path: "/x", query: query), body: [],
        requestId: "fuzz", remoteAddress: "127.0.0.1")
}

/// Percent-encodes every byte outside the unreserved set (RFC 3986 §2.3).
private func encode(_ text: String) -> String {
    var result = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            result.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex = String(byte, radix: 16, uppercase: true)
            result += "%" + (hex.count == 1 ? "0" + hex : hex)
        }
    }
    return result
}
