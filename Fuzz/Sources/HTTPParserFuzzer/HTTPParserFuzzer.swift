// libFuzzer entry point for HTTPRequestParser.
//
// Each input is parsed several ways (whole through a raw buffer pointer,
// split in two at positions derived from the first byte, and one byte at a
// time when short) and the invariants below are checked with precondition,
// so any violation is a crash that libFuzzer records.
import HTTP

/// Small limits so that every limit path is reachable with short inputs.
private let limits = HTTPParserLimits(
    maxRequestLineBytes: 256,
    maxHeaderBytes: 1024,
    maxHeaderCount: 16,
    maxBodyBytes: 4096,
    maxChunkLineBytes: 64,
    maxTrailerBytes: 256)

/// Most bytes the parser may hold after answering needMoreData: one
/// unfinished line (plus a CR) of the longest kind the limits allow.
private let bufferedBound =
    max(
        limits.maxRequestLineBytes, limits.maxHeaderBytes, limits.maxChunkLineBytes,
        limits.maxTrailerBytes) + 1

/// Inputs at most this long are also fed one byte at a time.
private let byteByByteMaximum = 512

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = UnsafeBufferPointer(start: start, count: count)
    let whole = parse(pieces: [0..<count], of: input, rawAppend: true)

    if count > 0 {
        let first = Int(input[0])
        for split in [first % (count + 1), first * (count + 1) / 256] {
            let pieces = [0..<split, split..<count]
            let events = parse(pieces: pieces, of: input, rawAppend: false)
            precondition(events == whole, "split at \(split) changed the outcome")
        }
    }
    if count <= byteByByteMaximum {
        let pieces = (0..<count).map { $0..<($0 + 1) }
        let events = parse(pieces: pieces, of: input, rawAppend: false)
        precondition(events == whole, "byte-by-byte feeding changed the outcome")
    }
    return 0
}

/// Feeds `pieces` of `input` to a fresh parser, draining it after each,
/// checks the invariants and returns every event but needMoreData.
private func parse(
    pieces: [Range<Int>], of input: UnsafeBufferPointer<UInt8>, rawAppend: Bool
) -> [HTTPParserEvent] {
    var parser = HTTPRequestParser(limits: limits)
    var events: [HTTPParserEvent] = []
    var pendingHead: HTTPRequestHead? = nil
    var failure: HTTPParseError? = nil

    for piece in pieces {
        let bytes = UnsafeBufferPointer(rebasing: input[piece])
        if rawAppend {
            parser.append(UnsafeRawBufferPointer(bytes))
        } else {
            parser.append(Array(bytes))
        }
        if let failure {
            // Nothing after an error is buffered or parsed.
            precondition(parser.bufferedByteCount == 0, "bytes buffered after an error")
            precondition(parser.next() == .error(failure), "error not terminal")
            continue
        }
        drain: while true {
            let event = parser.next()
            switch event {
            case .needMoreData:
                precondition(!parser.isIdle || parser.bufferedByteCount == 0, "idle with bytes buffered")
                precondition(parser.bufferedByteCount <= bufferedBound, "buffered beyond the limits")
                precondition(parser.isReadingBody == (pendingHead != nil), "isReadingBody out of step")
                break drain
            case .head(let head):
                precondition(pendingHead == nil, "two heads without a request")
                check(head)
                pendingHead = head
                precondition(parser.isReadingBody, "not reading the body after a head")
                events.append(event)
            case .request(let request):
                precondition(request.head == pendingHead, "request does not match its head")
                pendingHead = nil
                check(request)
                precondition(!parser.isReadingBody, "still reading a body after a request")
                // Right after a request the parser is idle unless bytes of the next one wait.
                precondition(parser.isIdle == (parser.bufferedByteCount == 0), "isIdle out of step")
                events.append(event)
            case .error(let error):
                precondition([400, 413, 414, 431, 501, 505].contains(error.status), "unexpected status")
                precondition(!error.reason.isEmpty, "empty reason")
                failure = error
                events.append(event)
                precondition(parser.next() == event, "error not terminal")
                precondition(!parser.isIdle && !parser.isReadingBody, "flags set after an error")
                break drain
            }
        }
    }
    return events
}

private func check(_ request: HTTPRequest) {
    precondition(request.body.count <= limits.maxBodyBytes, "body over the limit")
    if let length = request.head.contentLength {
        precondition(request.body.count == length, "body length differs from Content-Length")
    } else if !request.head.isChunked {
        precondition(request.body.isEmpty, "body without framing")
    }
}

/// Re-checks a parsed head against the grammar, independently of the parser.
private func check(_ head: HTTPRequestHead) {
    precondition(isToken(head.method), "method is not a token")
    precondition(
        !head.target.isEmpty && head.target.utf8.allSatisfy { (0x21...0x7E).contains($0) },
        "target is not visible ASCII")
    precondition(!head.target.utf8.contains(UInt8(ascii: "#")), "fragment in target")
    precondition(!head.path.isEmpty, "empty path")
    precondition(head.version == .http1_1 || head.version == .http1_0, "unsupported version")
    precondition(head.headers.count <= limits.maxHeaderCount, "too many fields")
    for (name, value) in head.headers {
        precondition(isToken(name), "field name is not a token")
        precondition(
            !value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 || $0 == 0x7F },
            "CR, LF, NUL or DEL in a field value")
        if let first = value.utf8.first, let last = value.utf8.last {
            precondition(
                first != 0x20 && first != 0x09 && last != 0x20 && last != 0x09,
                "field value not trimmed")
        }
    }
    precondition(!(head.isChunked && head.contentLength != nil), "both chunked and Content-Length")
    precondition(
        !(head.isChunked || head.contentLength != nil) || head.headers.contains("content-length")
            || head.headers.contains("transfer-encoding"), "framing without a field")
    if head.isChunked {
        precondition(!head.headers.contains("content-length"), "chunked with Content-Length")
        precondition(head.version == .http1_1, "chunked on HTTP/1.0")
    }
    if let length = head.contentLength {
        precondition(length >= 0 && length <= limits.maxBodyBytes, "Content-Length out of range")
    }
    let hosts = head.headers.values("host").count
    precondition(hosts <= 1 && (head.version == .http1_0 || hosts == 1), "Host rule broken")
    if head.expectsContinue {
        precondition(head.version == .http1_1, "100-continue on HTTP/1.0")
        precondition(head.isChunked || (head.contentLength ?? 0) > 0, "100-continue without a body")
    }
    if head.target.utf8.first == UInt8(ascii: "/") {
        let expected = head.target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        precondition(head.path == String(expected[0]), "origin-form path mismatch")
        precondition(head.query == (expected.count > 1 ? String(expected[1]) : nil), "query mismatch")
    }
    roundTrip(head)
}

/// Writes the head back out canonically and parses it again with the
/// default limits: the result must be the same head.
private func roundTrip(_ head: HTTPRequestHead) {
    var text = "\(head.method) \(head.target) \(head.version)\r\n"
    for (name, value) in head.headers {
        text += "\(name): \(value)\r\n"
    }
    text += "\r\n"
    var parser = HTTPRequestParser()
    parser.append(Array(text.utf8))
    precondition(parser.next() == .head(head), "head does not survive a round trip")
}

private func isToken(_ s: String) -> Bool {
    !s.isEmpty
        && s.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
            }
        }
}
