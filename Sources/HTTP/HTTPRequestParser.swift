/// An incremental, strict HTTP/1.1 request parser (RFC 9112).
///
/// The parser is a value that never touches a socket: the connection appends
/// whatever bytes it read and calls ``next()`` until it returns
/// ``HTTPParserEvent/needMoreData``. For every request it reports
/// ``HTTPParserEvent/head(_:)`` as soon as the head is complete and valid,
/// then ``HTTPParserEvent/request(_:)`` once the whole body has arrived.
/// Bytes left over after a request belong to the next, pipelined, request.
///
/// The outcome depends only on the bytes, never on how they were split
/// between calls to `append`: every decision is taken on a complete line,
/// or on a prefix that already proves a limit is exceeded. Lines are
/// consumed as soon as they are complete and body bytes are moved out of
/// the buffer as they arrive, so between events the parser holds at most
/// one unfinished line.
///
/// Strictness, beyond what RFC 9112 requires:
/// - Lines end with CRLF only. A bare CR *or* a bare LF anywhere in the head,
///   a chunk-size line or the trailers is an error. RFC 9112 §2.2 lets a
///   recipient treat a bare CR as invalid and only *allows* (MAY) accepting
///   a lone LF as a line terminator; this parser does not.
/// - Up to four empty lines before a request line are ignored (RFC 9112
///   §2.2 asks for at least one); a fifth is an error.
/// - A `#` (fragment) in the request target is an error: no target form of
///   RFC 9112 §3.2 has a fragment.
/// - Header values may contain obs-text (bytes 0x80–0xFF, RFC 9110 §5.5);
///   they are decoded as UTF-8, with invalid sequences replaced by U+FFFD.
/// - Trailer fields are validated like header fields, then discarded.
/// - Whitespace after a chunk size that is not followed by `;` is an error
///   (the chunk-ext grammar of RFC 9112 §7.1.1 allows BWS only before `;`
///   and around `=`).
public struct HTTPRequestParser: Sendable {
    /// The limits this parser enforces.
    public let limits: HTTPParserLimits

    /// Empty lines (CRLF) ignored before a request line (RFC 9112 §2.2).
    internal static let maxLeadingEmptyLines = 4

    /// Capacity above which an emptied buffer is released rather than kept.
    private static let retainedBufferCapacity = 64 * 1024

    private var buffer: [UInt8] = []
    /// First byte not yet consumed.
    private var readIndex = 0
    /// Where the search for the end of the current line resumes (≥ readIndex),
    /// so a line that arrives in pieces is scanned only once.
    private var scanIndex = 0
    private var state: State = .beforeRequest(emptyLines: 0)
    /// The head being parsed, then the emitted head while the body is read.
    private var pending = PendingHead()
    private var body: [UInt8] = []
    /// The body limit of the request being read (`HTTPParserLimits.maxBodyBytes(forPath:)`).
    private var bodyLimit = 0

    private enum State {
        case beforeRequest(emptyLines: Int)
        case requestLine
        /// `bytes`: size of the field lines so far, CRLFs included.
        case headerFields(bytes: Int)
        case contentBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        /// `bytes`: size of the trailer lines so far, CRLFs included.
        case trailers(bytes: Int)
        case failed(HTTPParseError)
    }

    /// Creates a parser enforcing `limits`.
    public init(limits: HTTPParserLimits = .init()) {
        self.limits = limits
    }

    // MARK: - Feeding bytes

    /// Appends bytes read from the connection. Bytes appended after an error
    /// are dropped.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard prepareForAppend() else { return }
        buffer.append(contentsOf: bytes)
    }

    /// Appends bytes from any sequence, e.g. `Array("GET / HTTP/1.1\r\n".utf8)`.
    /// Bytes appended after an error are dropped.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        guard prepareForAppend() else { return }
        buffer.append(contentsOf: bytes)
    }

    /// Compacts the buffer before an append: moves the unconsumed bytes to
    /// the front once the consumed part is more than half of the buffer, so
    /// pipelined requests and long keep-alive sessions reuse the same
    /// storage. Returns false after an error.
    private mutating func prepareForAppend() -> Bool {
        if case .failed = state { return false }
        if readIndex == buffer.count {
            if buffer.capacity > Self.retainedBufferCapacity {
                buffer = []
            } else {
                buffer.removeAll(keepingCapacity: true)
            }
            readIndex = 0
            scanIndex = 0
        } else if readIndex > 0 && readIndex * 2 > buffer.count {
            buffer.removeSubrange(0..<readIndex)
            scanIndex -= readIndex
            readIndex = 0
        }
        return true
    }

    // MARK: - State the connection needs

    /// Bytes appended but not yet consumed by ``next()``.
    ///
    /// After ``next()`` returns ``HTTPParserEvent/needMoreData`` this is at
    /// most about `maxRequestLineBytes + maxHeaderBytes`, since anything
    /// longer has already been rejected.
    public var bufferedByteCount: Int {
        buffer.count - readIndex
    }

    /// True between requests: no byte of a next request is buffered (empty
    /// lines that are ignored before a request line do not count). Used to
    /// choose an idle timeout over a header timeout.
    public var isIdle: Bool {
        if case .beforeRequest = state { return readIndex == buffer.count }
        return false
    }

    /// True from the ``HTTPParserEvent/head(_:)`` of a request until its
    /// ``HTTPParserEvent/request(_:)``: the body (possibly empty) is still
    /// being read. Used for the body-read timeout.
    public var isReadingBody: Bool {
        switch state {
        case .contentBody, .chunkSize, .chunkData, .chunkDataEnd, .trailers: return true
        case .beforeRequest, .requestLine, .headerFields, .failed: return false
        }
    }

    /// Size of the internal buffer including consumed bytes, for tests of compaction.
    internal var storageByteCount: Int { buffer.count }

    // MARK: - Parsing

    /// Parses as far as the buffered bytes allow and reports what happened.
    ///
    /// Call it again after every event other than `.needMoreData` or
    /// `.error`; pipelined requests come out one event at a time.
    public mutating func next() -> HTTPParserEvent {
        while true {
            switch state {
            case .failed(let error):
                return .error(error)

            case .beforeRequest(let emptyLines):
                let available = buffer.count - readIndex
                if available == 0 { return .needMoreData }
                let first = buffer[readIndex]
                if first == ASCII.cr {
                    if available < 2 { return .needMoreData }
                    guard buffer[readIndex + 1] == ASCII.lf else {
                        return fail(400, "bare CR in request head")
                    }
                    // RFC 9112 §2.2: a server SHOULD ignore at least one empty
                    // line received prior to the request-line.
                    guard emptyLines < Self.maxLeadingEmptyLines else {
                        return fail(400, "too many empty lines before request line")
                    }
                    consume(2)
                    state = .beforeRequest(emptyLines: emptyLines + 1)
                } else if first == ASCII.lf {
                    return fail(400, "bare LF in request head")
                } else {
                    state = .requestLine
                }

            case .requestLine:
                switch readLine(maxContent: limits.maxRequestLineBytes) {
                case .needMore: return .needMoreData
                case .tooLong: return fail(414, "request line too long")
                case .bareCR: return fail(400, "bare CR in request head")
                case .bareLF: return fail(400, "bare LF in request head")
                case .line(let line):
                    if let error = withBytes({ Self.parseRequestLine($0, line, into: &$1) }) {
                        return fail(error)
                    }
                    consumeLine(line)
                    state = .headerFields(bytes: 0)
                }

            case .headerFields(let bytes):
                // Each field line costs its length plus CRLF; the empty line
                // that ends the section is not counted.
                switch readLine(maxContent: limits.maxHeaderBytes - bytes - 2) {
                case .needMore: return .needMoreData
                case .tooLong: return fail(431, "request header section too large")
                case .bareCR: return fail(400, "bare CR in request head")
                case .bareLF: return fail(400, "bare LF in request head")
                case .line(let line):
                    consumeLine(line)
                    if line.isEmpty { return finishHead() }
                    if pending.head.headers.count >= limits.maxHeaderCount {
                        return fail(431, "too many header fields")
                    }
                    if let error = withBytes({ Self.parseFieldLine($0, line, into: &$1, isTrailer: false) }) {
                        return fail(error)
                    }
                    state = .headerFields(bytes: bytes + line.count + 2)
                }

            case .contentBody(let remaining):
                if remaining == 0 { return finishRequest() }
                let taken = takeBodyBytes(upTo: remaining)
                if taken == 0 { return .needMoreData }
                state = .contentBody(remaining: remaining - taken)

            case .chunkSize:
                switch readLine(maxContent: limits.maxChunkLineBytes) {
                case .needMore: return .needMoreData
                case .tooLong: return fail(400, "chunk size line too long")
                case .bareCR: return fail(400, "bare CR in chunked body")
                case .bareLF: return fail(400, "bare LF in chunked body")
                case .line(let line):
                    let parsed = buffer.withUnsafeBufferPointer { Self.parseChunkSizeLine($0, line) }
                    let size: Int
                    switch parsed {
                    case .failure(let error): return fail(error)
                    case .success(let value): size = value
                    }
                    consumeLine(line)
                    if size == 0 {
                        state = .trailers(bytes: 0)
                    } else if size > bodyLimit - body.count {
                        return fail(413, "request body too large")
                    } else {
                        state = .chunkData(remaining: size)
                    }
                }

            case .chunkData(let remaining):
                let taken = takeBodyBytes(upTo: remaining)
                if taken == 0 { return .needMoreData }
                state = taken == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - taken)

            case .chunkDataEnd:
                // chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF  (RFC 9112 §7.1)
                let available = buffer.count - readIndex
                if available == 0 { return .needMoreData }
                guard buffer[readIndex] == ASCII.cr else {
                    return fail(400, "chunk data not followed by CRLF")
                }
                if available < 2 { return .needMoreData }
                guard buffer[readIndex + 1] == ASCII.lf else {
                    return fail(400, "chunk data not followed by CRLF")
                }
                consume(2)
                state = .chunkSize

            case .trailers(let bytes):
                // trailer-section = *( field-line CRLF )  (RFC 9112 §7.1.2)
                switch readLine(maxContent: limits.maxTrailerBytes - bytes - 2) {
                case .needMore: return .needMoreData
                case .tooLong: return fail(431, "trailer section too large")
                case .bareCR: return fail(400, "bare CR in chunked body")
                case .bareLF: return fail(400, "bare LF in chunked body")
                case .line(let line):
                    consumeLine(line)
                    if line.isEmpty { return finishRequest() }
                    if let error = withBytes({ Self.parseFieldLine($0, line, into: &$1, isTrailer: true) }) {
                        return fail(error)
                    }
                    state = .trailers(bytes: bytes + line.count + 2)
                }
            }
        }
    }

    // MARK: - Steps

    /// Validates the completed header section (RFC 9112 §3.2, §6) and
    /// emits the head, or the error that rejects it.
    private mutating func finishHead() -> HTTPParserEvent {
        let version = pending.head.version
        let isHTTP11 = version == .http1_1

        // RFC 9112 §3.2: a server MUST respond 400 to an HTTP/1.1 request
        // that lacks a Host field, and to any request with more than one
        // Host field or an invalid Host value.
        if pending.hostCount == 0 && isHTTP11 { return fail(400, "missing Host header field") }
        if pending.hostCount > 1 { return fail(400, "multiple Host header fields") }
        if pending.hostIsInvalid { return fail(400, "invalid Host header field") }

        var contentLength: Int? = nil
        var isChunked = false
        bodyLimit = limits.maxBodyBytes(forPath: pending.head.path)
        if pending.hasTransferEncoding {
            // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means
            // the framing is faulty.
            if !isHTTP11 { return fail(400, "Transfer-Encoding is not allowed in HTTP/1.0") }
            // RFC 9112 §6.1 / §6.3 item 3: both framing fields may be a request
            // smuggling attempt; reject rather than pick one.
            if pending.contentLengthFieldCount > 0 {
                return fail(400, "both Content-Length and Transfer-Encoding")
            }
            if pending.transferCodingIsMalformed || pending.transferCodingCount == 0 {
                return fail(400, "invalid Transfer-Encoding")
            }
            // RFC 9112 §6.1: chunked MUST NOT be applied more than once and,
            // in a request, MUST be the final coding (§6.3 item 4).
            if pending.chunkedCount > 1 { return fail(400, "chunked transfer coding applied more than once") }
            if pending.chunkedCount == 1 && !pending.lastCodingIsChunked {
                return fail(400, "chunked is not the final transfer coding")
            }
            // RFC 9112 §6.1: a server that receives a transfer coding it does
            // not understand SHOULD respond 501. Only chunked is implemented.
            if pending.hasUnsupportedCoding { return fail(501, "unsupported transfer coding") }
            isChunked = true
        } else if pending.contentLengthFieldCount > 0 {
            if let reason = pending.contentLengthError { return fail(400, reason) }
            contentLength = pending.contentLength
            if let length = contentLength, length > bodyLimit {
                return fail(413, "request body too large")
            }
        }

        pending.head.contentLength = contentLength
        pending.head.isChunked = isChunked
        // RFC 9112 §9.3: HTTP/1.1 defaults to persistent connections unless
        // "close" is listed; HTTP/1.0 is persistent only with "keep-alive".
        pending.head.keepAlive =
            !pending.connectionClose && (isHTTP11 || pending.connectionKeepAlive)
        // RFC 9110 §10.1.1: a server MUST ignore 100-continue in an HTTP/1.0
        // request; it only matters when a body will follow.
        pending.head.expectsContinue =
            isHTTP11 && pending.expectsContinue && (isChunked || (contentLength ?? 0) > 0)

        // RFC 9112 §6.3 item 7: a request without Content-Length or
        // Transfer-Encoding has a body of length zero.
        state = isChunked ? .chunkSize : .contentBody(remaining: contentLength ?? 0)
        return .head(pending.head)
    }

    /// Emits the finished request and gets ready for the next one.
    private mutating func finishRequest() -> HTTPParserEvent {
        let request = HTTPRequest(head: pending.head, body: body)
        body = []
        pending = PendingHead()
        state = .beforeRequest(emptyLines: 0)
        return .request(request)
    }

    /// Moves up to `limit` buffered bytes into the body; returns how many.
    private mutating func takeBodyBytes(upTo limit: Int) -> Int {
        let count = min(limit, buffer.count - readIndex)
        if count > 0 {
            body.append(contentsOf: buffer[readIndex..<(readIndex + count)])
            consume(count)
        }
        return count
    }

    private mutating func fail(_ status: Int, _ reason: String) -> HTTPParserEvent {
        fail(HTTPParseError(status: status, reason: reason))
    }

    /// Enters the terminal error state and drops everything buffered:
    /// nothing after a bad request is ever parsed.
    private mutating func fail(_ error: HTTPParseError) -> HTTPParserEvent {
        state = .failed(error)
        buffer = []
        readIndex = 0
        scanIndex = 0
        body = []
        pending = PendingHead()
        return .error(error)
    }

    // MARK: - Lines

    private enum LineResult {
        /// A complete line: its content, without the CRLF that follows it.
        case line(Range<Int>)
        case needMore
        /// The content is longer than allowed (possibly still unfinished).
        case tooLong
        case bareCR
        case bareLF
    }

    /// Finds the line that starts at `readIndex`.
    ///
    /// `maxContent` is the most content bytes the line may have (a negative
    /// budget still allows the empty line). The length check comes first and
    /// fires as soon as more than `maxContent` bytes without CR or LF are
    /// buffered, so an endless line is never buffered beyond the limit; the
    /// line ending is checked next, and only then does the caller look at
    /// the content. That order makes the result independent of how the
    /// bytes arrived.
    private mutating func readLine(maxContent: Int) -> LineResult {
        let start = readIndex
        let limit = max(maxContent, 0)
        // No need to look further than one byte past the allowed content.
        let searchEnd = min(buffer.count, start + limit + 1)
        let found = buffer.withUnsafeBufferPointer { bytes -> Int? in
            var index = scanIndex
            while index < searchEnd {
                let byte = bytes[index]
                if byte == ASCII.cr || byte == ASCII.lf { return index }
                index += 1
            }
            return nil
        }
        guard let end = found else {
            scanIndex = searchEnd
            return searchEnd - start > limit ? .tooLong : .needMore
        }
        scanIndex = end
        if buffer[end] == ASCII.lf { return .bareLF }
        if end + 1 == buffer.count { return .needMore }
        if buffer[end + 1] != ASCII.lf { return .bareCR }
        return .line(start..<end)
    }

    /// Consumes a line returned by `readLine` and its CRLF.
    private mutating func consumeLine(_ line: Range<Int>) {
        readIndex = line.upperBound + 2
        scanIndex = readIndex
    }

    private mutating func consume(_ count: Int) {
        readIndex += count
        scanIndex = readIndex
    }

    /// Runs `body` with the buffered bytes and the pending head. The buffer
    /// is retained by a local so the closure may mutate `pending`.
    private mutating func withBytes<R>(
        _ body: (UnsafeBufferPointer<UInt8>, inout PendingHead) -> R
    ) -> R {
        let bytes = buffer
        return bytes.withUnsafeBufferPointer { body($0, &pending) }
    }
}

// MARK: - The head being parsed

/// The head under construction plus what the framing decisions need,
/// gathered while the field lines go by.
private struct PendingHead {
    var head = HTTPRequestHead(method: "", target: "", path: "")
    var hostCount = 0
    var hostIsInvalid = false
    var contentLengthFieldCount = 0
    var contentLength: Int? = nil
    var contentLengthError: String? = nil
    var hasTransferEncoding = false
    var transferCodingIsMalformed = false
    var transferCodingCount = 0
    var chunkedCount = 0
    var lastCodingIsChunked = false
    var hasUnsupportedCoding = false
    var connectionClose = false
    var connectionKeepAlive = false
    var expectsContinue = false
}

// MARK: - Line grammars

extension HTTPRequestParser {
    private typealias Bytes = UnsafeBufferPointer<UInt8>

    private static func string(_ bytes: Bytes, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    private static func badRequest(_ reason: String) -> HTTPParseError {
        HTTPParseError(status: 400, reason: reason)
    }

    /// `request-line = method SP request-target SP HTTP-version`
    /// (RFC 9112 §3), with exactly one SP between the parts.
    private static func parseRequestLine(
        _ bytes: Bytes, _ line: Range<Int>, into pending: inout PendingHead
    ) -> HTTPParseError? {
        let end = line.upperBound
        var index = line.lowerBound
        while index < end && bytes[index] != ASCII.sp { index += 1 }
        guard index < end else { return badRequest("malformed request line") }
        let methodRange = line.lowerBound..<index
        index += 1
        let targetStart = index
        while index < end && bytes[index] != ASCII.sp { index += 1 }
        guard index < end else { return badRequest("malformed request line") }
        let targetRange = targetStart..<index
        let versionRange = (index + 1)..<end

        // method = token  (RFC 9110 §9.1)
        guard !methodRange.isEmpty else { return badRequest("invalid method") }
        for i in methodRange where !ASCII.isTchar(bytes[i]) {
            return badRequest("invalid method")
        }
        // The target is visible ASCII only: no CTL, SP, DEL or byte ≥ 0x80
        // (RFC 9112 §3.2; an empty target means two SPs in a row).
        guard !targetRange.isEmpty else { return badRequest("empty request target") }
        for i in targetRange where !(0x21...0x7E).contains(bytes[i]) {
            return badRequest("invalid character in request target")
        }
        // HTTP-version = HTTP-name "/" DIGIT "." DIGIT, HTTP-name = %s"HTTP"
        // (RFC 9112 §2.3; case-sensitive).
        let v = versionRange.lowerBound
        guard versionRange.count == 8,
            bytes[v] == UInt8(ascii: "H"), bytes[v + 1] == UInt8(ascii: "T"),
            bytes[v + 2] == UInt8(ascii: "T"), bytes[v + 3] == UInt8(ascii: "P"),
            bytes[v + 4] == ASCII.slash, ASCII.isDigit(bytes[v + 5]),
            bytes[v + 6] == UInt8(ascii: "."), ASCII.isDigit(bytes[v + 7])
        else { return badRequest("malformed HTTP version") }
        let version = HTTPVersion(major: Int(bytes[v + 5] - 0x30), minor: Int(bytes[v + 7] - 0x30))
        // RFC 9110 §15.6.6: 505 for a major version the server does not
        // support; only 1.0 and 1.1 are implemented here.
        guard version == .http1_1 || version == .http1_0 else {
            return HTTPParseError(status: 505, reason: "HTTP version not supported")
        }

        // request-target = origin-form / absolute-form / authority-form /
        //                  asterisk-form   (RFC 9112 §3.2)
        for i in targetRange where bytes[i] == ASCII.hash {
            return badRequest("fragment in request target")
        }
        let isConnect = ASCII.equalsCaseSensitive(bytes, methodRange, "CONNECT")
        let isOptions = ASCII.equalsCaseSensitive(bytes, methodRange, "OPTIONS")
        let first = bytes[targetStart]
        var pathRange: Range<Int>
        var queryRange: Range<Int>? = nil
        var emptyPathIsRoot = false
        if isConnect {
            // authority-form = uri-host ":" port, only for CONNECT (RFC 9112 §3.2.3).
            guard let authority = ASCII.parseAuthority(bytes, targetRange),
                authority.hostEnd > targetStart, authority.hasPort, !authority.portIsEmpty
            else { return badRequest("CONNECT requires an authority-form target") }
            pathRange = targetRange
        } else if first == ASCII.slash {
            // origin-form = absolute-path [ "?" query ]  (RFC 9112 §3.2.1)
            (pathRange, queryRange) = splitQuery(bytes, targetRange)
        } else if targetRange.count == 1 && first == ASCII.asterisk {
            // asterisk-form = "*", only for OPTIONS (RFC 9112 §3.2.4).
            guard isOptions else { return badRequest("asterisk-form target is only allowed with OPTIONS") }
            pathRange = targetRange
        } else if let afterScheme = schemeEnd(bytes, targetRange) {
            // absolute-form = absolute-URI (RFC 9112 §3.2.2): the server uses
            // its authority and ignores Host; the target is reduced to its
            // path and query. An http(s) URI needs a host (RFC 9110 §4.2.1)
            // and userinfo is an error (RFC 9110 §4.2.4).
            var authorityEnd = afterScheme
            while authorityEnd < targetRange.upperBound
                && bytes[authorityEnd] != ASCII.slash && bytes[authorityEnd] != ASCII.question
            {
                authorityEnd += 1
            }
            guard let authority = ASCII.parseAuthority(bytes, afterScheme..<authorityEnd),
                authority.hostEnd > afterScheme
            else { return badRequest("invalid authority in request target") }
            (pathRange, queryRange) = splitQuery(bytes, authorityEnd..<targetRange.upperBound)
            emptyPathIsRoot = true
        } else {
            return badRequest("invalid request target")
        }

        pending.head.method = string(bytes, methodRange)
        pending.head.target = string(bytes, targetRange)
        pending.head.path = pathRange.isEmpty && emptyPathIsRoot ? "/" : string(bytes, pathRange)
        pending.head.query = queryRange.map { string(bytes, $0) }
        pending.head.version = version
        return nil
    }

    /// Splits `path [ "?" query ]` at the first `?`.
    private static func splitQuery(_ bytes: Bytes, _ range: Range<Int>) -> (Range<Int>, Range<Int>?) {
        for i in range where bytes[i] == ASCII.question {
            return (range.lowerBound..<i, (i + 1)..<range.upperBound)
        }
        return (range, nil)
    }

    /// The index after `http://` or `https://` (scheme case-insensitive,
    /// RFC 3986 §3.1), or nil if the target starts with neither.
    private static func schemeEnd(_ bytes: Bytes, _ range: Range<Int>) -> Int? {
        let start = range.lowerBound
        if range.count >= 7 && ASCII.equalsIgnoringCase(bytes, start..<(start + 7), "http://") {
            return start + 7
        }
        if range.count >= 8 && ASCII.equalsIgnoringCase(bytes, start..<(start + 8), "https://") {
            return start + 8
        }
        return nil
    }

    /// `field-line = field-name ":" OWS field-value OWS` (RFC 9112 §5).
    ///
    /// Header fields (not trailers) are stored in the pending head and the
    /// ones that decide framing and connection handling are interpreted.
    private static func parseFieldLine(
        _ bytes: Bytes, _ line: Range<Int>, into pending: inout PendingHead, isTrailer: Bool
    ) -> HTTPParseError? {
        let start = line.lowerBound
        let end = line.upperBound
        // RFC 9112 §5.2: obs-fold (a line starting with SP or HTAB) is
        // rejected with 400. This also rejects whitespace between the start
        // line and the first field (RFC 9112 §2.2).
        if ASCII.isWhitespace(bytes[start]) { return badRequest("obsolete line folding is not accepted") }
        // field-name = token  (RFC 9110 §5.1)
        var index = start
        while index < end && ASCII.isTchar(bytes[index]) { index += 1 }
        guard index < end else { return badRequest("header field without colon") }
        if bytes[index] != ASCII.colon {
            if ASCII.isWhitespace(bytes[index]) {
                var next = index
                while next < end && ASCII.isWhitespace(bytes[next]) { next += 1 }
                // RFC 9112 §5.1: no whitespace is allowed between the field
                // name and colon; a server MUST reject it with 400.
                if next < end && bytes[next] == ASCII.colon {
                    return badRequest("whitespace between header field name and colon")
                }
                return badRequest("header field without colon")
            }
            return badRequest("invalid character in header field name")
        }
        guard index > start else { return badRequest("empty header field name") }
        let nameRange = start..<index
        // OWS around the value is not part of it (RFC 9112 §5).
        let valueRange = ASCII.trimmingWhitespace(bytes, (index + 1)..<end)
        // field-value = *field-content: VCHAR, obs-text, SP, HTAB
        // (RFC 9110 §5.5); other CTLs, NUL and DEL are rejected.
        for i in valueRange where !ASCII.isFieldValueByte(bytes[i]) {
            return badRequest("invalid character in header field value")
        }
        if isTrailer { return nil }

        interpretField(bytes, nameRange, valueRange, into: &pending)
        pending.head.headers.add(string(bytes, nameRange), string(bytes, valueRange))
        return nil
    }

    /// Records what the framing and connection fields say. Errors are kept
    /// and reported by `finishHead` once the whole section is known.
    private static func interpretField(
        _ bytes: Bytes, _ name: Range<Int>, _ value: Range<Int>, into pending: inout PendingHead
    ) {
        switch name.count {
        case 4 where ASCII.equalsIgnoringCase(bytes, name, "host"):
            // Host = uri-host [ ":" port ]  (RFC 9110 §7.2); may be empty.
            pending.hostCount += 1
            if ASCII.parseAuthority(bytes, value) == nil { pending.hostIsInvalid = true }

        case 14 where ASCII.equalsIgnoringCase(bytes, name, "content-length"):
            // Content-Length = 1*DIGIT (RFC 9110 §8.6). A list of identical
            // values, or repeated fields with the same value, is accepted as
            // that value; anything else is invalid (RFC 9112 §6.3 item 5).
            pending.contentLengthFieldCount += 1
            ASCII.forEachListElement(bytes, value) { element in
                guard pending.contentLengthError == nil else { return }
                guard let length = parseDecimal(bytes, element) else {
                    pending.contentLengthError = "invalid Content-Length"
                    return
                }
                if let previous = pending.contentLength, previous != length {
                    pending.contentLengthError = "conflicting Content-Length values"
                } else {
                    pending.contentLength = length
                }
            }

        case 17 where ASCII.equalsIgnoringCase(bytes, name, "transfer-encoding"):
            // Transfer-Encoding = #transfer-coding; transfer-coding = token
            // *( OWS ";" OWS transfer-parameter )  (RFC 9112 §6.1, §7).
            // Repeated fields form one list in order (RFC 9110 §5.3).
            pending.hasTransferEncoding = true
            ASCII.forEachListElement(bytes, value) { element in
                // RFC 9110 §5.6.1: empty list elements are ignored.
                guard !element.isEmpty else { return }
                pending.transferCodingCount += 1
                var index = element.lowerBound
                while index < element.upperBound && ASCII.isTchar(bytes[index]) { index += 1 }
                let token = element.lowerBound..<index
                guard !token.isEmpty else {
                    pending.transferCodingIsMalformed = true
                    return
                }
                let hasParameters = index < element.upperBound
                if hasParameters {
                    var next = index
                    while next < element.upperBound && ASCII.isWhitespace(bytes[next]) { next += 1 }
                    if next == element.upperBound || bytes[next] != ASCII.semicolon {
                        pending.transferCodingIsMalformed = true
                        return
                    }
                }
                if ASCII.equalsIgnoringCase(bytes, token, "chunked") {
                    // chunked has no parameters (RFC 9112 §7).
                    if hasParameters { pending.transferCodingIsMalformed = true }
                    pending.chunkedCount += 1
                    pending.lastCodingIsChunked = true
                } else {
                    pending.hasUnsupportedCoding = true
                    pending.lastCodingIsChunked = false
                }
            }

        case 10 where ASCII.equalsIgnoringCase(bytes, name, "connection"):
            // Connection = #connection-option; options are case-insensitive
            // tokens (RFC 9110 §7.6.1).
            ASCII.forEachListElement(bytes, value) { element in
                if ASCII.equalsIgnoringCase(bytes, element, "close") {
                    pending.connectionClose = true
                } else if ASCII.equalsIgnoringCase(bytes, element, "keep-alive") {
                    pending.connectionKeepAlive = true
                }
            }

        case 6 where ASCII.equalsIgnoringCase(bytes, name, "expect"):
            // Expect = #expectation; "100-continue" is case-insensitive
            // (RFC 9110 §10.1.1). Other expectations are ignored.
            ASCII.forEachListElement(bytes, value) { element in
                if ASCII.equalsIgnoringCase(bytes, element, "100-continue") {
                    pending.expectsContinue = true
                }
            }

        default:
            break
        }
    }

    /// `1*DIGIT` as an Int; nil if empty, not all digits (no sign), or too
    /// large for Int.
    private static func parseDecimal(_ bytes: Bytes, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty else { return nil }
        var value = 0
        for i in range {
            let byte = bytes[i]
            guard ASCII.isDigit(byte) else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte &- 0x30))
            guard !overflow1 && !overflow2 else { return nil }
            value = sum
        }
        return value
    }

    /// Most hex digits accepted in a chunk size.
    internal static let maxChunkSizeDigits = 16

    /// `chunk-size [ chunk-ext ]` (RFC 9112 §7.1): returns the size.
    ///
    /// `chunk-size = 1*HEXDIG`, here at most 16 digits with a value that
    /// fits in Int. `chunk-ext = *( BWS ";" BWS chunk-ext-name
    /// [ BWS "=" BWS chunk-ext-val ] )` (§7.1.1): extensions are checked and
    /// ignored.
    private static func parseChunkSizeLine(_ bytes: Bytes, _ line: Range<Int>) -> Result<Int, HTTPParseError> {
        let end = line.upperBound
        var index = line.lowerBound
        var size = 0
        while index < end, let digit = ASCII.hexValue(bytes[index]) {
            guard index - line.lowerBound < maxChunkSizeDigits, size <= Int.max >> 4 else {
                return .failure(badRequest("chunk size too large"))
            }
            size = size << 4 | digit
            index += 1
        }
        guard index > line.lowerBound else { return .failure(badRequest("invalid chunk size")) }

        func skipWhitespace(_ i: inout Int) {
            while i < end && ASCII.isWhitespace(bytes[i]) { i += 1 }
        }
        func skipToken(_ i: inout Int) -> Bool {
            let start = i
            while i < end && ASCII.isTchar(bytes[i]) { i += 1 }
            return i > start
        }
        let invalidExtension = Result<Int, HTTPParseError>.failure(badRequest("invalid chunk extension"))
        while index < end {
            skipWhitespace(&index)
            guard index < end, bytes[index] == ASCII.semicolon else { return invalidExtension }
            index += 1
            skipWhitespace(&index)
            guard skipToken(&index) else { return invalidExtension }
            var afterName = index
            skipWhitespace(&afterName)
            guard afterName < end, bytes[afterName] == ASCII.equals else { continue }
            index = afterName + 1
            skipWhitespace(&index)
            guard index < end else { return invalidExtension }
            if bytes[index] == ASCII.quote {
                // quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE  (RFC 9110 §5.6.4)
                index += 1
                var closed = false
                while index < end {
                    let byte = bytes[index]
                    if byte == ASCII.quote {
                        closed = true
                        index += 1
                        break
                    }
                    if byte == ASCII.backslash {
                        index += 1
                        guard index < end, ASCII.isFieldValueByte(bytes[index]) else { return invalidExtension }
                    } else if !ASCII.isFieldValueByte(byte) {
                        return invalidExtension
                    }
                    index += 1
                }
                guard closed else { return invalidExtension }
            } else {
                guard skipToken(&index) else { return invalidExtension }
            }
        }
        return .success(size)
    }
}
