import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// A serial queue that owns a set of connections, their sockets' sources, a read buffer they
/// share, and a periodic sweep that enforces their timeouts.
///
/// It is also the `TaskExecutor` its connections' handler tasks prefer: a handler that does not
/// suspend runs from start to response on this queue, and one that awaits work on another
/// thread (the database writer, say) resumes here, so the response is written by the thread
/// that produced it, without another hand-off.
///
/// `@unchecked Sendable`: every mutable property is read and written only on `queue`
/// (callers from elsewhere hop onto it with `queue.async`), which serialises all access.
final class EventLoop: TaskExecutor, @unchecked Sendable {
    /// Marks a loop's queue with the loop's index, so code running there can find per-loop
    /// resources (`HTTPServer.currentEventLoopIndex`).
    static let markKey = DispatchSpecificKey<Mark>()

    /// Identifies a loop across every server in the process (tests run several).
    struct Mark {
        let loop: ObjectIdentifier
        let index: Int
    }

    let index: Int
    let queue: DispatchQueue
    let shared: ServerShared
    private let requestIdPrefix: String
    private var requestCounter: UInt64 = 0
    private var connections: [ObjectIdentifier: Connection] = [:]
    private var sweepTimer: (any DispatchSourceTimer)?
    /// One read buffer per loop: a connection copies what it reads into its parser at once,
    /// so the buffer is free again before the next read on this queue.
    let readBuffer: UnsafeMutableRawBufferPointer
    private var cachedDateSecond = -1
    private var cachedDate: [UInt8] = []

    init(index: Int, shared: ServerShared, requestIdPrefix: String) {
        self.index = index
        self.queue = DispatchQueue(label: "relieflog.http.loop\(index)")
        self.shared = shared
        self.requestIdPrefix = requestIdPrefix
        self.readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        queue.setSpecific(key: Self.markKey, value: Mark(loop: ObjectIdentifier(self), index: index))
    }

    deinit {
        readBuffer.deallocate()
    }

    /// Runs a job of a task that prefers this loop, after what the queue is running now.
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// Whether the caller is running on this loop's queue.
    var isCurrent: Bool { DispatchQueue.getSpecific(key: Self.markKey)?.loop == ObjectIdentifier(self) }

    /// Runs `body` now when already on this loop (a task that prefers it), otherwise queues it.
    func execute(_ body: @escaping @Sendable () -> Void) {
        if isCurrent { body() } else { queue.async(execute: body) }
    }

    func start() {
        queue.async {
            let timer = DispatchSource.makeTimerSource(queue: self.queue)
            timer.schedule(
                deadline: .now() + .milliseconds(250), repeating: .milliseconds(250), leeway: .milliseconds(50))
            timer.setEventHandler { [unowned self] in self.sweep() }
            timer.resume()
            self.sweepTimer = timer
        }
    }

    func stop() {
        queue.async {
            self.sweepTimer?.cancel()
            self.sweepTimer = nil
        }
    }

    /// Takes ownership of an accepted socket (called from the accept queue).
    func adopt(fd: Int32, address: String) {
        queue.async {
            let connection = Connection(fd: fd, address: address, loop: self)
            self.connections[ObjectIdentifier(connection)] = connection
            self.shared.observer?.connectionOpened()
            connection.start()
        }
    }

    /// Called by a connection once its socket is closed.
    func forget(_ connection: Connection) {
        connections.removeValue(forKey: ObjectIdentifier(connection))
        shared.observer?.connectionClosed()
        shared.openConnections.subtract(1, ordering: .acquiringAndReleasing)
    }

    func beginShutdown() {
        queue.async {
            for connection in Array(self.connections.values) { connection.shutdownRequested() }
        }
    }

    func closeAll() {
        queue.async {
            for connection in Array(self.connections.values) { connection.close() }
        }
    }

    private func sweep() {
        let now = monotonicNow()
        for connection in Array(connections.values) {
            if let timeout = connection.clock.expired(at: now) {
                connection.timedOut(timeout)
            }
        }
    }

    /// A request id unique within this process run: random per-process prefix, loop index, counter.
    func nextRequestId() -> String {
        requestCounter &+= 1
        return requestIdPrefix + String(requestCounter, radix: 16)
    }

    /// `Date` header value bytes, IMF-fixdate (RFC 9110 §5.6.7), formatted once per second.
    func dateHeaderValue() -> [UInt8] {
        let now = time(nil)
        if now != cachedDateSecond {
            cachedDateSecond = now
            cachedDate = Array(HTTPDate.imfFixdate(now).utf8)
        }
        return cachedDate
    }
}

enum HTTPDate {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    static func imfFixdate(_ seconds: Int) -> String {
        var time = seconds
        var parts = tm()
        gmtime_r(&time, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return
            "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}
