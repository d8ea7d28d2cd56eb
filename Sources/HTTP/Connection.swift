import Dispatch

/// One client connection: socket sources, parser, timing, and the response being written.
///
/// Requests are handled one at a time per connection: while a request is in flight nothing
/// more is parsed (later bytes stay buffered), so responses to pipelined requests leave in
/// request order by construction, and a pipelining client cannot make the server buffer
/// without bound (reading stops past `maxBufferedInput`).
///
/// `@unchecked Sendable`: all state is confined to the owning loop's thread. The handler task
/// prefers that loop as its executor and touches the connection only through `loop.execute`,
/// which runs on the loop's thread (at once when the task is already there).
final class Connection: @unchecked Sendable {
    private enum AfterWrite {
        case keepOpen
        case close
    }

    let fd: Int32
    let address: String
    /// What this connection's epoll events carry, to find it.
    let token: UInt64
    private unowned let loop: EventLoop
    private let shared: ServerShared
    private var parser: HTTPRequestParser
    private(set) var clock: ConnectionClock
    private var writeSourceActive = false
    private var readSuspended = false
    /// Whether the socket is in the loop's epoll interest set.
    private var watched = false
    private var output: [UInt8] = []
    private var outputOffset = 0
    private var afterWrite: AfterWrite?
    private var inFlight = false
    private var pendingContinue = false
    private var peerClosed = false
    private var lingering = false
    /// The body being streamed after the head was written, and what follows its end.
    private var stream: (body: HTTPBodyStream, chunked: Bool, after: AfterWrite)?
    private var pullingChunk = false
    private(set) var closed = false

    init(fd: Int32, address: String, token: UInt64, loop: EventLoop) {
        self.fd = fd
        self.address = address
        self.token = token
        self.loop = loop
        self.shared = loop.shared
        self.parser = HTTPRequestParser(limits: loop.shared.configuration.parserLimits)
        self.clock = ConnectionClock(limits: loop.shared.clockLimits, acceptedAt: monotonicNow())
    }

    func start() {
        updateInterest()
    }

    /// Tells the loop what to watch the socket for: reading unless suspended, writing while a
    /// response waits for room.
    private func updateInterest() {
        watched = loop.watch(self, reading: !readSuspended, writing: writeSourceActive, registered: watched)
    }

    // MARK: Reading

    func readable() {
        guard !closed else { return }
        switch Socket.read(fd, into: loop.readBuffer) {
        case .bytes(let count):
            if lingering { return }  // draining after the final response: discard
            if clock.phase == .idle { clock.requestStarted(at: monotonicNow()) }
            parser.append(UnsafeRawBufferPointer(rebasing: loop.readBuffer[0..<count]))
            if inFlight {
                if parser.bufferedByteCount > shared.configuration.maxBufferedInput { suspendReading() }
                return
            }
            processInput()
        case .wouldBlock:
            return
        case .endOfFile:
            peerClosed = true
            suspendReading()  // EOF stays readable: stop the level-triggered source from firing again
            if lingering {
                close()
            } else if !inFlight && output.isEmpty {
                processInput()
                if !inFlight && output.isEmpty { close() }
            }
        case .peerGone:
            close()
        }
    }

    /// Parses and dispatches as long as no request is in flight.
    private func processInput() {
        while !inFlight && !closed && !lingering {
            switch parser.next() {
            case .needMoreData:
                if pendingContinue {
                    // RFC 9110 §10.1.1: the client waits for this before sending the body.
                    pendingContinue = false
                    output.append(contentsOf: HTTPResponseEncoder.continueResponse)
                    flush()
                }
                if peerClosed && !inFlight { close() }
                return
            case .head(let head):
                if head.isChunked || (head.contentLength ?? 0) > 0 {
                    clock.bodyStarted(at: monotonicNow())
                    pendingContinue = head.expectsContinue
                }
            case .request(let request):
                pendingContinue = false
                dispatch(request)
            case .error(let error):
                pendingContinue = false
                sendFinal(Problem(status: error.status, detail: error.reason).response, route: "-")
                return
            }
        }
    }

    // MARK: Handling

    private func dispatch(_ request: HTTPRequest) {
        inFlight = true
        clock.processingStarted()
        let started = monotonicNow()
        let head = request.head
        let requestId = Connection.saneRequestId(head.headers["X-Request-Id"]) ?? loop.nextRequestId()
        let serverRequest = HTTPServerRequest(
            head: head, body: request.body, requestId: requestId, remoteAddress: address,
            clientAddress: ClientAddress.resolve(
                peer: address, headers: head.headers, trustedProxies: shared.configuration.trustedProxies))
        let responder = shared.responder
        // The task prefers this loop: it runs here once the current read event is handled, and
        // ends here, so the response is encoded and sent from the thread that produced it.
        Task(executorPreference: loop) {
            let response = await responder.respond(to: serverRequest)
            self.loop.execute {
                self.complete(response, head: head, requestId: requestId, started: started)
            }
        }
    }

    private func complete(_ response: HTTPResponse, head: HTTPRequestHead, requestId: String, started: UInt64) {
        inFlight = false
        let keepAlive = head.keepAlive && !shared.isShuttingDown && !peerClosed && !closed
        let bodyBytes = head.method == "HEAD" || HTTPStatus.forbidsBody(response.status) ? 0 : response.body.count
        shared.observer?.requestCompleted(
            HTTPRequestRecord(
                method: head.method, route: response.route ?? "unmatched", status: response.status,
                durationNanoseconds: monotonicNow() &- started, bodyBytes: bodyBytes, requestId: requestId))
        guard !closed else { return }
        let http10 = head.version == .http1_0
        if let body = response.bodyStream, head.method != "HEAD", !HTTPStatus.forbidsBody(response.status) {
            // Streamed: the request stays in flight until the last piece is written. An HTTP/1.0
            // body ends with the connection.
            let keepStreaming = keepAlive && !http10
            encode(response, requestId: requestId, keepAlive: keepStreaming, http10: http10, omitBody: false)
            inFlight = true
            stream = (body, !http10, keepStreaming ? .keepOpen : .close)
            flush()
            return
        }
        encode(
            response, requestId: requestId, keepAlive: keepAlive, http10: http10,
            omitBody: head.method == "HEAD")
        afterWrite = keepAlive ? .keepOpen : .close
        flush()
    }

    /// A response the server makes itself (parse errors, timeouts): always the last on the connection.
    private func sendFinal(_ response: HTTPResponse, route: String) {
        let requestId = loop.nextRequestId()
        shared.observer?.requestCompleted(
            HTTPRequestRecord(
                method: "-", route: route, status: response.status, durationNanoseconds: 0,
                bodyBytes: response.body.count, requestId: requestId))
        encode(response, requestId: requestId, keepAlive: false, http10: false, omitBody: false)
        afterWrite = .close
        flush()
    }

    /// Appends the response to `output` with this loop's cached `Date` and the configured default
    /// headers: one buffer, so the response normally leaves in a single `send`.
    private func encode(_ response: HTTPResponse, requestId: String, keepAlive: Bool, http10: Bool, omitBody: Bool) {
        HTTPResponseEncoder.encode(
            response, requestId: requestId, keepAlive: keepAlive, http10: http10, omitBody: omitBody,
            date: loop.dateHeaderValue(), defaultHeaders: shared.defaultHeaderBytes, into: &output)
    }

    /// A client's request id is echoed only when it is short and made of safe characters,
    /// so it cannot inject anything into logs or headers.
    static func saneRequestId(_ value: String?) -> String? {
        guard let value, (1...128).contains(value.utf8.count) else { return nil }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                UInt8(ascii: "."), UInt8(ascii: ":"):
                continue
            default:
                return nil
            }
        }
        return value
    }

    // MARK: Writing

    private func flush() {
        while outputOffset < output.count {
            let result = output.withUnsafeBytes {
                Socket.write(fd, UnsafeRawBufferPointer(rebasing: $0[outputOffset...]))
            }
            switch result {
            case .bytes(let count):
                outputOffset += count
            case .wouldBlock:
                clock.writeBlocked(at: monotonicNow())
                enableWriteSource()
                return
            case .endOfFile, .peerGone:
                close()
                return
            }
        }
        // Keep a modest buffer for the next response; drop a large one.
        if output.capacity > 64 * 1024 {
            output = []
        } else {
            output.removeAll(keepingCapacity: true)
        }
        outputOffset = 0
        disableWriteSource()
        if stream != nil {
            pullChunk()
            return
        }
        if let next = afterWrite {
            afterWrite = nil
            responseWritten(next)
        }
    }

    /// Asks the streamed body for its next piece; at most one request at a time.
    private func pullChunk() {
        guard let body = stream?.body, !pullingChunk else { return }
        pullingChunk = true
        // Producing the next piece is the handler's time, not the client's.
        clock.processingStarted()
        Task(executorPreference: loop) {
            let piece: [UInt8]?
            let failed: Bool
            do {
                piece = try await body.next()
                failed = false
            } catch {
                piece = nil
                failed = true
            }
            self.loop.execute { self.chunkArrived(piece, failed: failed) }
        }
    }

    private func chunkArrived(_ piece: [UInt8]?, failed: Bool) {
        pullingChunk = false
        guard let current = stream, !closed else {
            stream = nil
            return
        }
        if failed {
            // No last chunk: the client must not take a truncated body for a complete one.
            stream = nil
            close()
            return
        }
        if let piece {
            HTTPResponseEncoder.encodeChunk(piece, chunked: current.chunked, into: &output)
        } else {
            stream = nil
            inFlight = false
            if current.chunked { output.append(contentsOf: HTTPResponseEncoder.lastChunk) }
            afterWrite = current.after
        }
        flush()
    }

    private func responseWritten(_ next: AfterWrite) {
        switch next {
        case .close:
            if peerClosed {
                close()
            } else {
                // RFC 9112 §9.6: half-close and drain, so unread request bytes do not make the
                // kernel reset the connection and destroy the response before the client reads it.
                Socket.shutdownWrite(fd)
                lingering = true
                clock.lingerStarted(at: monotonicNow())
                resumeReading()
            }
        case .keepOpen:
            if parser.bufferedByteCount > 0 {
                clock.pipelinedRequestStarted(at: monotonicNow())
            } else {
                clock.responseCompleted(at: monotonicNow())
            }
            if peerClosed {
                processInput()
                if !inFlight && output.isEmpty { close() }
                return
            }
            resumeReading()
            processInput()
        }
    }

    /// The socket has room again for a response that did not fit.
    func writable() {
        guard !closed else { return }
        flush()
    }

    private func enableWriteSource() {
        if !writeSourceActive {
            writeSourceActive = true
            updateInterest()
        }
    }

    private func disableWriteSource() {
        if writeSourceActive {
            writeSourceActive = false
            updateInterest()
        }
    }

    private func suspendReading() {
        if !readSuspended {
            readSuspended = true
            updateInterest()
        }
    }

    private func resumeReading() {
        if readSuspended && !peerClosed {
            readSuspended = false
            updateInterest()
        }
    }

    // MARK: Timeouts and shutdown

    func timedOut(_ timeout: ConnectionTimeout) {
        guard !closed else { return }
        switch timeout {
        case .header where parser.bufferedByteCount > 0 || !parser.isIdle, .body:
            // RFC 9110 §15.5.9: tell a client that started a request why it is cut off.
            sendFinal(Problem(status: 408, detail: "The request was not received in time.").response, route: "-")
        case .header, .idle, .write, .linger:
            close()
        }
    }

    /// On shutdown an idle connection closes now; one with a request in progress closes after
    /// its response, which then carries `Connection: close`.
    func shutdownRequested() {
        if !inFlight && output.isEmpty && parser.isIdle && parser.bufferedByteCount == 0 {
            close()
        }
    }

    func close() {
        guard !closed else { return }
        closed = true
        // Out of the interest set before the number can be reused by a new connection.
        readSuspended = true
        writeSourceActive = false
        updateInterest()
        Socket.close(fd)
        loop.forget(self)
    }
}
