import Dispatch
public import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One finished request, as the access log and metrics see it. It carries the route template,
/// never the concrete path or any body: identifiers in paths and bodies are patient data.
public struct HTTPRequestRecord: Sendable {
    public let method: String
    /// The route template, "unmatched" for a 404 from the router, "-" for a request the parser rejected.
    public let route: String
    public let status: Int
    public let durationNanoseconds: UInt64
    /// Bytes of the response body.
    public let bodyBytes: Int
    public let requestId: String
}

/// Receives events from the server's event loops. Calls arrive on those loops' threads, so
/// implementations must be quick and must never block.
public protocol HTTPServerObserver: Sendable {
    func requestCompleted(_ record: HTTPRequestRecord)
    func connectionOpened()
    func connectionClosed()
}

extension HTTPServerObserver {
    public func connectionOpened() {}
    public func connectionClosed() {}
}

/// An HTTP/1.1 server on non-blocking sockets.
///
/// ## Threading
/// - One serial Dispatch *accept queue* owns the listening socket and its read source, and
///   hands each accepted socket to an event loop in turn.
/// - `eventLoopCount` *event loops* (one per core by default), each a thread of its own
///   waiting on epoll, service the accepted sockets. A connection lives on one loop for its
///   whole life and all of its state is touched only there, so it needs no locks.
/// - Each request's handler runs as a Swift task that prefers its connection's loop as its
///   executor (SE-0417 task executor preference): a handler that does not suspend runs from
///   the parsed request to the written response on the loop's thread, with no hand-off between
///   threads; one that awaits work elsewhere (the database writer) resumes on the loop to
///   answer. Routes registered with `.concurrentPool` placement (long, CPU-heavy work) run on
///   the global concurrent executor instead, so they cannot delay other connections' I/O.
///   See `docs/architecture.md` for the measurements behind this (and why the loops wait on
///   epoll themselves rather than through Dispatch sources).
///
/// The loops read into one reusable buffer per loop, parse in place and write a whole
/// response with one `send`.
public final class HTTPServer: Sendable {
    private let shared: ServerShared
    private let loops: [EventLoop]
    private let acceptQueue = DispatchQueue(label: "relieflog.http.accept")
    private let listener = Mutex<ListenerState>(ListenerState())

    private struct ListenerState: ~Copyable {
        var fd: Int32 = -1
        var source: SendableSource<any DispatchSourceRead>?
        var port: Int?
    }

    public init(
        configuration: HTTPServerConfiguration, responder: any HTTPResponder,
        observer: (any HTTPServerObserver)? = nil, logger: Logger
    ) {
        let shared = ServerShared(
            configuration: configuration, responder: responder, observer: observer, logger: logger)
        self.shared = shared
        let prefix = String(UInt32.random(in: .min ... .max), radix: 16)
        self.loops = (0..<max(1, configuration.eventLoopCount)).map {
            EventLoop(index: $0, shared: shared, requestIdPrefix: "\(prefix)-\($0)-")
        }
    }

    /// Binds, listens and starts accepting. Returns the bound port.
    public func start() throws -> Int {
        let configuration = shared.configuration
        let (fd, port) = try Socket.listen(
            host: configuration.host, port: configuration.port, backlog: configuration.backlog)
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: acceptQueue)
        let loops = self.loops
        let shared = self.shared
        let pausable = SendableSource(source)
        source.setEventHandler {
            HTTPServer.acceptPending(listener: fd, loops: loops, shared: shared, source: pausable)
        }
        source.setCancelHandler {
            Socket.close(fd)
            shared.listenerClosed.store(true, ordering: .releasing)
        }
        listener.withLock {
            $0.fd = fd
            $0.source = SendableSource(source)
            $0.port = port
        }
        for loop in loops { loop.start() }
        source.resume()
        return port
    }

    /// The index (`0..<eventLoopCount`) of the event loop the caller is running on, or `nil`
    /// off the loops. A handler running on its loop can use per-loop resources by this index
    /// (the application keeps one read-only database connection per loop, for instance).
    public static var currentEventLoopIndex: Int? {
        EventLoop.current?.index
    }

    /// The bound port once started.
    public var port: Int? { listener.withLock { $0.port } }

    /// Connections open right now.
    public var openConnections: Int { shared.openConnections.load(ordering: .relaxed) }

    /// Graceful shutdown: stop accepting, close idle connections, let in-flight requests
    /// finish (their responses carry `Connection: close`) for up to `shutdownGracePeriod`,
    /// then cut whatever is left.
    public func shutdown() async {
        guard !shared.shuttingDown.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let source = listener.withLock { state -> SendableSource<any DispatchSourceRead>? in
            let source = state.source
            state.source = nil
            return source
        }
        source?.source.cancel()
        // The listening socket closes in the source's cancel handler: wait for it, so that once
        // shutdown has begun a new connection is refused, not accepted into the backlog and cut.
        if source != nil {
            while !shared.listenerClosed.load(ordering: .acquiring) {
                try? await Task.sleep(for: .milliseconds(1))
            }
        }
        for loop in loops { loop.beginShutdown() }
        let deadline = ContinuousClock.now + shared.configuration.shutdownGracePeriod
        while shared.openConnections.load(ordering: .acquiring) > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        for loop in loops { loop.closeAll() }
        while shared.openConnections.load(ordering: .acquiring) > 0 {
            try? await Task.sleep(for: .milliseconds(5))
        }
        for loop in loops { loop.stop() }
    }

    /// Written straight from the accept queue to a connection refused for load, then closed:
    /// encoded once, without `Date`, request id or default headers, since no request was read
    /// (RFC 9110 §6.6.1 makes `Date` optional on a 5xx).
    static let overloadResponse: [UInt8] = {
        var response = Problem(status: 503, detail: "Too many open connections; retry shortly.").response
        response.headers.add("Retry-After", "1")
        var bytes: [UInt8] = []
        HTTPResponseEncoder.encode(
            response, requestId: nil, keepAlive: false, http10: false, omitBody: false,
            date: nil, defaultHeaders: [], into: &bytes)
        return bytes
    }()

    private static func acceptPending(
        listener: Int32, loops: [EventLoop], shared: ServerShared, source: SendableSource<any DispatchSourceRead>
    ) {
        // Bounded so one busy listener cannot starve the queue; the level-triggered source fires again.
        for _ in 0..<64 {
            switch Socket.accept(listener) {
            case .accepted(let fd, let address):
                let open = shared.openConnections.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue
                if open > shared.configuration.maxConnections || shared.shuttingDown.load(ordering: .acquiring) {
                    overloadResponse.withUnsafeBytes { _ = Socket.write(fd, $0) }
                    Socket.close(fd)
                    shared.openConnections.subtract(1, ordering: .acquiringAndReleasing)
                    continue
                }
                Socket.setNoDelay(fd)
                let loop = loops[shared.nextLoop.wrappingAdd(1, ordering: .relaxed).oldValue % loops.count]
                loop.adopt(fd: fd, address: address)
            case .wouldBlock:
                return
            case .failed(let error):
                // Out of descriptors (EMFILE/ENFILE) would make the level-triggered source spin:
                // pause accepting briefly and let connections close.
                shared.logger.warning("accept failed", metadata: ["error": "\(error)"])
                source.source.suspend()
                DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(100)) { source.source.resume() }
                return
            }
        }
    }
}

/// State shared by the server and its loops; immutable but for atomics.
final class ServerShared: Sendable {
    let configuration: HTTPServerConfiguration
    let responder: any HTTPResponder
    let observer: (any HTTPServerObserver)?
    let logger: Logger
    let openConnections = Atomic<Int>(0)
    let shuttingDown = Atomic<Bool>(false)
    let nextLoop = Atomic<Int>(0)
    let listenerClosed = Atomic<Bool>(false)
    let clockLimits: ConnectionClock.Limits
    let defaultHeaderBytes: [UInt8]

    init(
        configuration: HTTPServerConfiguration, responder: any HTTPResponder, observer: (any HTTPServerObserver)?,
        logger: Logger
    ) {
        self.configuration = configuration
        self.responder = responder
        self.observer = observer
        self.logger = logger
        self.clockLimits = configuration.clockLimits
        var bytes: [UInt8] = []
        for (name, value) in configuration.defaultHeaders {
            bytes.append(contentsOf: "\(name): \(value)\r\n".utf8)
        }
        self.defaultHeaderBytes = bytes
    }

    var isShuttingDown: Bool { shuttingDown.load(ordering: .relaxed) }
}

/// Monotonic time in nanoseconds (CLOCK_MONOTONIC through Dispatch).
@inline(__always) func monotonicNow() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
