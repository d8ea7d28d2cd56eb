import Dispatch
import Synchronization
import ThreadSupport

#if canImport(Glibc)
import Glibc
#endif

/// An absolute `http://` or `https://` URL, split the way a client needs it.
public struct HTTPClientURL: Sendable, Hashable {
    public var scheme: String
    /// The host as written (a name, an IPv4 address, or an IPv6 address without brackets).
    public var host: String
    public var port: Int
    /// Path and query, at least `/`.
    public var target: String

    /// The `Host` header value.
    public var authority: String {
        let name = host.contains(":") ? "[\(host)]" : host
        let defaultPort = scheme == "https" ? 443 : 80
        return port == defaultPort ? name : "\(name):\(port)"
    }

    /// Parses `scheme://host[:port][/path][?query]`; nil for anything else (user info,
    /// fragments, spaces or control characters, other schemes, a port out of range).
    public init?(_ text: String) {
        guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        let lower = text.lowercased()
        if lower.hasPrefix("http://") {
            scheme = "http"
        } else if lower.hasPrefix("https://") {
            scheme = "https"
        } else {
            return nil
        }
        var rest = Substring(text.dropFirst(scheme.count + 3))
        guard !rest.contains("#") else { return nil }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        rest = rest[authorityEnd...]
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        var hostPart: Substring
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portPart = after.dropFirst()
            }
        } else {
            let pieces = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { return nil }
            hostPart = pieces[0]
            portPart = pieces.count == 2 ? pieces[1] : nil
        }
        guard !hostPart.isEmpty, hostPart.count <= 253 else { return nil }
        host = String(hostPart).lowercased()
        if let portPart {
            guard let number = Int(portPart), (1...65535).contains(number), String(number) == portPart else {
                return nil
            }
            port = number
        } else {
            port = scheme == "https" ? 443 : 80
        }
        target = rest.isEmpty ? "/" : (rest.hasPrefix("?") ? "/" + rest : String(rest))
    }
}

/// A response as the client reads it: status and headers; the body is read (so the connection
/// can be reused) but not kept.
public struct HTTPClientResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// Why a request got no response. The descriptions are fixed texts (safe to store and show).
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    case resolve
    case connectionRefused
    case connect
    case timeout
    case connectionClosed
    case malformedResponse

    public var description: String {
        switch self {
        case .resolve: "the host name could not be resolved"
        case .connectionRefused: "connection refused"
        case .connect: "could not connect"
        case .timeout: "timed out"
        case .connectionClosed: "the connection closed before a complete response"
        case .malformedResponse: "the response was not valid HTTP/1.1"
        }
    }
}

/// A small HTTP/1.1 client over plain TCP (no TLS), for webhook deliveries: one request at a
/// time per connection, `Content-Length` bodies, keep-alive connections kept per host and
/// port and reused. The blocking socket calls run on Dispatch threads, never on the Swift
/// concurrency pool that serves requests.
public final class HTTPClient: Sendable {
    private struct Idle {
        var fd: Int32
        var since: ContinuousClock.Instant
    }

    private let idle = Locked<[String: [Idle]]>([:])
    private let maxIdlePerHost: Int
    private let idleTimeout: Duration
    private let maxResponseBytes = 1 << 20
    private let opened = Atomic<Int>(0)

    public init(maxIdlePerHost: Int = 4, idleTimeout: Duration = .seconds(30)) {
        self.maxIdlePerHost = maxIdlePerHost
        self.idleTimeout = idleTimeout
    }

    /// Connections opened so far (reuse shows as fewer connections than requests).
    public var connectionsOpened: Int { opened.load(ordering: .relaxed) }

    /// Sends one request to `host:port` and reads the response, all within `timeout`.
    /// `target` is the request target (origin form, or absolute form for a proxy).
    public func send(
        method: String, host: String, port: Int, target: String, headers: [(String, String)], body: [UInt8],
        timeout: Duration
    ) async throws(HTTPClientError) -> HTTPClientResponse {
        var head = "\(method) \(target) HTTP/1.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        var bytes = Array(head.utf8)
        bytes.append(contentsOf: body)
        let request = bytes
        let result: Result<HTTPClientResponse, HTTPClientError> = await withCheckedContinuation { continuation in
            // A queue of its own targets Dispatch's overcommitting pool, which adds a thread when
            // the others are blocked: the global concurrent queue has only as many threads as
            // cores, and one stalled receiver would hold up the deliveries to every other.
            DispatchQueue(label: "relieflog.http-client").async {
                continuation.resume(
                    returning: self.exchange(host: host, port: port, request: request, timeout: timeout))
            }
        }
        return try result.get()
    }

    /// Closes every idle connection.
    public func closeIdleConnections() {
        let all = idle.withLock { pool in
            defer { pool.removeAll() }
            return pool.values.flatMap { $0 }
        }
        for connection in all { Socket.close(connection.fd) }
    }

    // MARK: Blocking work (on a Dispatch thread)

    private func exchange(
        host: String, port: Int, request: [UInt8], timeout: Duration
    ) -> Result<HTTPClientResponse, HTTPClientError> {
        let deadline = ContinuousClock.now + timeout
        let key = "\(host):\(port)"
        // A kept-alive connection may have been closed by the peer meanwhile: if it fails
        // before any byte of a response, the request goes again on a fresh connection.
        if let fd = takeIdle(key) {
            switch roundTrip(fd: fd, request: request, deadline: deadline) {
            case .success(let (response, reusable)):
                finish(fd, key: key, reusable: reusable)
                return .success(response)
            case .failure(let error) where error == .connectionClosed:
                Socket.close(fd)
            case .failure(let error):
                Socket.close(fd)
                return .failure(error)
            }
        }
        let fd: Int32
        switch connect(host: host, port: port, deadline: deadline) {
        case .success(let connected): fd = connected
        case .failure(let error): return .failure(error)
        }
        opened.add(1, ordering: .relaxed)
        switch roundTrip(fd: fd, request: request, deadline: deadline) {
        case .success(let (response, reusable)):
            finish(fd, key: key, reusable: reusable)
            return .success(response)
        case .failure(let error):
            Socket.close(fd)
            return .failure(error)
        }
    }

    private func takeIdle(_ key: String) -> Int32? {
        let now = ContinuousClock.now
        var stale: [Int32] = []
        let found: Int32? = idle.withLock { pool in
            var list = pool[key] ?? []
            defer { pool[key] = list.isEmpty ? nil : list }
            while let candidate = list.popLast() {
                // Expired, or readable while idle (the peer closed it or sent garbage): drop it.
                if now - candidate.since > idleTimeout || Self.isReadable(candidate.fd) {
                    stale.append(candidate.fd)
                    continue
                }
                return candidate.fd
            }
            return nil
        }
        for fd in stale { Socket.close(fd) }
        return found
    }

    private func finish(_ fd: Int32, key: String, reusable: Bool) {
        guard reusable else {
            Socket.close(fd)
            return
        }
        let kept = idle.withLock { pool -> Bool in
            var list = pool[key] ?? []
            guard list.count < maxIdlePerHost else { return false }
            list.append(Idle(fd: fd, since: .now))
            pool[key] = list
            return true
        }
        if !kept { Socket.close(fd) }
    }

    private static func isReadable(_ fd: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) != 0
    }

    /// Milliseconds left before `deadline` (0 when it has passed).
    private static func remaining(_ deadline: ContinuousClock.Instant) -> Int32 {
        let left = deadline - ContinuousClock.now
        guard left > .zero else { return 0 }
        let (seconds, attoseconds) = left.components
        return Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
    }

    /// Waits until `fd` is ready for `events`; false on timeout.
    private static func wait(_ fd: Int32, _ events: Int32, _ deadline: ContinuousClock.Instant) -> Bool {
        while true {
            let left = remaining(deadline)
            if left == 0 { return false }
            var descriptor = pollfd(fd: fd, events: Int16(events), revents: 0)
            let rc = poll(&descriptor, 1, left)
            if rc > 0 { return true }
            if rc == 0 { return false }
            if errno != EINTR { return true }  // let the next call report the error
        }
    }

    private func connect(host: String, port: Int, deadline: ContinuousClock.Instant) -> Result<Int32, HTTPClientError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_flags = AI_NUMERICSERV
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else {
            return .failure(.resolve)
        }
        defer { freeaddrinfo(results) }
        var lastError = HTTPClientError.connect
        var address: UnsafeMutablePointer<addrinfo>? = first
        while let current = address {
            address = current.pointee.ai_next
            #if canImport(Glibc)
            let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
            #else
            let type = SOCK_STREAM
            #endif
            let fd = socket(current.pointee.ai_family, type, 0)
            guard fd >= 0 else { continue }
            var rc = Glibc.connect(fd, current.pointee.ai_addr, current.pointee.ai_addrlen)
            if rc != 0 && errno == EINPROGRESS {
                guard Self.wait(fd, Int32(POLLOUT), deadline) else {
                    Socket.close(fd)
                    return .failure(.timeout)
                }
                var code: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length)
                rc = code == 0 ? 0 : -1
                errno = code
            }
            if rc == 0 {
                Socket.setNoDelay(fd)
                return .success(fd)
            }
            lastError = errno == ECONNREFUSED ? .connectionRefused : .connect
            Socket.close(fd)
        }
        return .failure(lastError)
    }

    /// Writes the request and reads one response. `reusable` says whether the connection can
    /// carry another request.
    private func roundTrip(
        fd: Int32, request: [UInt8], deadline: ContinuousClock.Instant
    ) -> Result<(HTTPClientResponse, Bool), HTTPClientError> {
        var sent = 0
        while sent < request.count {
            let result = request.withUnsafeBytes { Socket.write(fd, UnsafeRawBufferPointer(rebasing: $0[sent...])) }
            switch result {
            case .bytes(let count): sent += count
            case .wouldBlock:
                guard Self.wait(fd, Int32(POLLOUT), deadline) else { return .failure(.timeout) }
            case .endOfFile, .peerGone: return .failure(.connectionClosed)
            }
        }
        var reader = ResponseReader(fd: fd, deadline: deadline, limit: maxResponseBytes)
        while true {
            let head: ParsedHead
            switch reader.readHead() {
            case .success(let parsed): head = parsed
            case .failure(let error): return .failure(error)
            }
            if (100..<200).contains(head.status) { continue }  // interim responses carry no body
            let response = HTTPClientResponse(status: head.status, headers: head.headers)
            let bodyComplete: Bool
            switch reader.skipBody(head) {
            case .success(let complete): bodyComplete = complete
            case .failure(let error): return .failure(error)
            }
            let close = head.headers.contains {
                $0.name.lowercased() == "connection" && $0.value.lowercased().contains("close")
            }
            return .success((response, bodyComplete && !close && head.version11 && reader.buffered.isEmpty))
        }
    }
}

private struct ParsedHead {
    var status: Int
    var version11: Bool
    var headers: [(name: String, value: String)]
    var contentLength: Int?
    var chunked: Bool
}

/// Reads one response from a socket with a deadline.
private struct ResponseReader {
    let fd: Int32
    let deadline: ContinuousClock.Instant
    let limit: Int
    var buffered: [UInt8] = []
    var total = 0

    /// More bytes into `buffered`; false at end of stream.
    mutating func fill() -> Result<Bool, HTTPClientError> {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let result = chunk.withUnsafeMutableBytes { Socket.read(fd, into: $0) }
            switch result {
            case .bytes(let count):
                buffered.append(contentsOf: chunk[0..<count])
                total += count
                return .success(true)
            case .wouldBlock:
                guard waitReadable() else { return .failure(.timeout) }
            case .endOfFile, .peerGone:
                return .success(false)
            }
        }
    }

    private func waitReadable() -> Bool {
        while true {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return false }
            let (seconds, attoseconds) = left.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let rc = poll(&descriptor, 1, milliseconds)
            if rc > 0 { return true }
            if rc == 0 { return false }
            if errno != EINTR { return true }
        }
    }

    mutating func readHead() -> Result<ParsedHead, HTTPClientError> {
        let terminator: [UInt8] = [13, 10, 13, 10]
        while true {
            if let end = Self.find(terminator, in: buffered) {
                let headBytes = Array(buffered[0..<end])
                buffered.removeFirst(end + 4)
                return Self.parse(headBytes)
            }
            if buffered.count > 64 * 1024 { return .failure(.malformedResponse) }
            switch fill() {
            case .success(true): continue
            case .success(false): return .failure(.connectionClosed)
            case .failure(let error): return .failure(error)
            }
        }
    }

    /// Reads and discards the body; `.success(false)` when it was not read to its end (too
    /// large, or delimited by the connection closing), so the connection cannot be reused.
    mutating func skipBody(_ head: ParsedHead) -> Result<Bool, HTTPClientError> {
        if head.status == 204 || head.status == 304 { return .success(true) }
        if head.chunked { return skipChunked() }
        if let length = head.contentLength {
            guard length <= limit else { return .success(false) }
            while buffered.count < length {
                switch fill() {
                case .success(true): continue
                case .success(false): return .failure(.connectionClosed)
                case .failure(let error): return .failure(error)
                }
            }
            buffered.removeFirst(length)
            return .success(true)
        }
        // Delimited by close: read what comes (bounded), never reuse.
        while total < limit {
            switch fill() {
            case .success(true): continue
            case .success(false): return .success(false)
            case .failure(let error): return .failure(error)
            }
        }
        return .success(false)
    }

    private mutating func skipChunked() -> Result<Bool, HTTPClientError> {
        let crlf: [UInt8] = [13, 10]
        while true {
            guard total < limit else { return .success(false) }
            guard let lineEnd = Self.find(crlf, in: buffered) else {
                switch fill() {
                case .success(true): continue
                case .success(false): return .failure(.connectionClosed)
                case .failure(let error): return .failure(error)
                }
            }
            let line = String(decoding: buffered[0..<lineEnd], as: UTF8.self)
            let sizeText = line.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard let size = Int(sizeText, radix: 16), size >= 0, size <= limit else {
                return .failure(.malformedResponse)
            }
            if size == 0 {
                // Trailers end with an empty line.
                buffered.removeFirst(lineEnd + 2)
                while true {
                    if let end = Self.find(crlf, in: buffered) {
                        let empty = end == 0
                        buffered.removeFirst(end + 2)
                        if empty { return .success(true) }
                        continue
                    }
                    switch fill() {
                    case .success(true): continue
                    case .success(false): return .success(false)
                    case .failure(let error): return .failure(error)
                    }
                }
            }
            let needed = lineEnd + 2 + size + 2
            while buffered.count < needed {
                switch fill() {
                case .success(true): continue
                case .success(false): return .failure(.connectionClosed)
                case .failure(let error): return .failure(error)
                }
            }
            buffered.removeFirst(needed)
        }
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where haystack[index] == needle[0] {
            if Array(haystack[index..<(index + needle.count)]) == needle { return index }
        }
        return nil
    }

    private static func parse(_ bytes: [UInt8]) -> Result<ParsedHead, HTTPClientError> {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard !lines.isEmpty else { return .failure(.malformedResponse) }
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].count == 3, let status = Int(parts[1]),
            (100...599).contains(status)
        else { return .failure(.malformedResponse) }
        var headers: [(name: String, value: String)] = []
        var contentLength: Int?
        var chunked = false
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { return .failure(.malformedResponse) }
            let name = String(line[..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.append((name, value))
            switch name.lowercased() {
            case "content-length":
                guard let length = Int(value), length >= 0, contentLength == nil || contentLength == length else {
                    return .failure(.malformedResponse)
                }
                contentLength = length
            case "transfer-encoding":
                chunked = value.lowercased().hasSuffix("chunked")
            default:
                break
            }
        }
        return .success(
            ParsedHead(
                status: status, version11: parts[0] == "HTTP/1.1", headers: headers,
                contentLength: chunked ? nil : contentLength, chunked: chunked))
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in _: WhitespaceSet) -> String {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}

/// Spaces and tabs (HTTP's optional white space), without Foundation.
private enum WhitespaceSet { case whitespaces }
