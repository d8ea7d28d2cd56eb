public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A parsed HTTP response as a test sees it.
public struct TestResponse: @unchecked Sendable {
    public var status: Int
    public var reason: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public func headerValues(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed with Foundation, for assertions (an independent JSON reader).
    public var json: Any? { try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) }
    public var object: [String: Any] { (json as? [String: Any]) ?? [:] }
}

public struct TestClientError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A blocking HTTP/1.1 client over a real TCP socket, written to be able to send anything:
/// malformed requests, pipelined batches, bodies in pieces, or nothing at all.
public final class TestHTTPClient: @unchecked Sendable {
    // Used by one test at a time; the blocking calls run on a Dispatch thread, never on the
    // Swift concurrency pool, which the server's handlers need.
    public let fd: Int32
    private var buffer: [UInt8] = []
    /// Sent with every `request` unless the call gives a header of the same name (for
    /// example `Authorization`). Set before the client is used.
    public var defaultHeaders: [(String, String)] = []

    /// Connects to 127.0.0.1:`port`; reads time out after `timeout` seconds (generous: a busy
    /// machine can be slow to answer, and only a failing test ever waits that long).
    public init(port: Int, timeout: Double = 30) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestClientError("socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            Glibc.close(fd)
            throw TestClientError("connect to \(port): errno \(errno)")
        }
        setTimeout(timeout)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { Glibc.close(fd) }

    public func setTimeout(_ seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    public func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) async throws { try await offPool { try self.sendSync(bytes) } }

    public func isClosedByServer() async -> Bool { (try? await offPool { self.isClosedByServerSync() }) ?? false }

    public func readResponse(forHead: Bool = false) async throws -> TestResponse {
        try await offPool { try self.readResponseSync(forHead: forHead) }
    }

    public func request(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: String? = nil
    ) async throws -> TestResponse {
        try await offPool { try self.requestSync(method, path, headers: headers, body: body) }
    }

    private func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            // A thread of its own: Dispatch's global queues have only as many threads as cores,
            // and tests blocked there would queue behind each other.
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    private func sendSync(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            guard sent > 0 else { throw TestClientError("send failed: errno \(errno)") }
            offset += sent
        }
    }

    public func shutdownWrite() { Glibc.shutdown(fd, Int32(SHUT_WR)) }

    /// Reads more bytes into the buffer; false on EOF. Throws on timeout.
    @discardableResult
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count > 0 {
            buffer.append(contentsOf: chunk[0..<count])
            return true
        }
        if count == 0 { return false }
        if errno == EAGAIN || errno == EWOULDBLOCK { throw TestClientError("timed out waiting for the server") }
        if errno == ECONNRESET { return false }
        throw TestClientError("recv failed: errno \(errno)")
    }

    /// True when the server has closed the connection (EOF or reset) within the timeout.
    private func isClosedByServerSync() -> Bool {
        do {
            while true {
                if try !fill() { return true }
            }
        } catch {
            return false
        }
    }

    /// Bytes received and not yet consumed by `readResponse`.
    public var unreadBytes: [UInt8] { buffer }

    /// Reads one response (interim 1xx responses included, as their own response).
    private func readResponseSync(forHead: Bool = false) throws -> TestResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            if let range = buffer.firstRange(of: separator) {
                headEnd = range.lowerBound
                break
            }
            guard try fill() else {
                throw TestClientError("connection closed before a response head (got \(buffer.count) bytes)")
            }
        }
        let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        buffer.removeFirst(headEnd! + 4)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2).map(String.init)
        guard parts.count >= 2, let status = Int(parts[1]) else {
            throw TestClientError("bad status line: \(statusLine)")
        }
        let headers = lines.map { line -> (name: String, value: String) in
            let pieces = line.split(separator: ":", maxSplits: 1).map(String.init)
            return (pieces[0], pieces.count > 1 ? pieces[1].trimmingCharacters(in: .whitespaces) : "")
        }
        var response = TestResponse(status: status, reason: parts.count > 2 ? parts[2] : "", headers: headers, body: [])
        if status < 200 || status == 204 || status == 304 || forHead { return response }
        if response.header("Transfer-Encoding")?.lowercased() == "chunked" {
            response.body = try readChunkedBody()
        } else if let lengthText = response.header("Content-Length"), let length = Int(lengthText) {
            while buffer.count < length {
                guard try fill() else { throw TestClientError("connection closed inside a body") }
            }
            response.body = Array(buffer[0..<length])
            buffer.removeFirst(length)
        } else {
            while try fill() {}
            response.body = buffer
            buffer.removeAll()
        }
        return response
    }

    /// A chunked body (RFC 9112 §7.1), decoded; throws when the connection ends before the
    /// last chunk (a truncated body).
    private func readChunkedBody() throws -> [UInt8] {
        var body: [UInt8] = []
        let crlf: [UInt8] = [13, 10]
        while true {
            var lineEnd = buffer.firstRange(of: crlf)
            while lineEnd == nil {
                guard try fill() else { throw TestClientError("connection closed inside a chunked body") }
                lineEnd = buffer.firstRange(of: crlf)
            }
            let sizeText = String(decoding: buffer[0..<lineEnd!.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";")[0], radix: 16) else {
                throw TestClientError("bad chunk size line: \(sizeText)")
            }
            buffer.removeFirst(lineEnd!.upperBound)
            while buffer.count < size + 2 {
                guard try fill() else { throw TestClientError("connection closed inside a chunk") }
            }
            if size == 0 {
                buffer.removeFirst(2)  // no trailers from this server
                return body
            }
            body.append(contentsOf: buffer[0..<size])
            buffer.removeFirst(size + 2)
        }
    }

    /// Sends one request and reads its final response.
    private func requestSync(
        _ method: String, _ path: String, headers: [(String, String)], body: String?
    ) throws -> TestResponse {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in defaultHeaders where !headers.contains(where: { $0.0.lowercased() == name.lowercased() }) {
            text += "\(name): \(value)\r\n"
        }
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let body {
            if !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
                text += "Content-Type: application/json\r\n"
            }
            text += "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        } else {
            text += "\r\n"
        }
        try sendSync(Array(text.utf8))
        var response = try readResponseSync(forHead: method == "HEAD")
        while response.status < 200 { response = try readResponseSync(forHead: method == "HEAD") }
        return response
    }
}

/// A fresh directory under the system's temporary directory, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let url: URL

    public init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("relieflog-test-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public var path: String { url.path }

    public func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    public func remove() { try? FileManager.default.removeItem(at: url) }
}
