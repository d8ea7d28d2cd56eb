import CEpoll
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
import ThreadSupport
#endif

/// A thread of its own that owns a set of connections: it waits for their sockets with
/// epoll(7), reads, parses, runs their handlers' tasks (it is their `TaskExecutor`), writes the
/// responses, and enforces the connections' timeouts.
///
/// Why not Dispatch sources: on Linux every read source event goes through libdispatch's
/// manager thread (its own epoll), which wakes a worker for the source's queue, and every time
/// the handler returns, the source is re-armed by a write to the manager's eventfd and another
/// wake-up of the manager. Under load those wake-ups, not parsing or SQLite, were the largest
/// item of the server's profile (docs/architecture.md, "Threads and hand-offs"). Here one
/// thread waits, reads, handles and writes: a request that does not leave the loop costs no
/// wake-up at all while the loop is busy.
///
/// Level-triggered: a socket stays in the interest set for reading unless its connection
/// suspends reading (a request in flight with too much buffered behind it, or the peer's end of
/// file), and for writing only while a response waits for room in the socket buffer. A socket
/// with no interest at all is removed from the set, since epoll reports hang-ups and errors
/// whatever the mask says.
///
/// `@unchecked Sendable`: every mutable property but `inbox` (a mutex) is read and written
/// only on the loop's thread; other threads reach the loop through `execute`, which queues.
final class EventLoop: TaskExecutor, @unchecked Sendable {
    let index: Int
    let shared: ServerShared
    private let requestIdPrefix: String
    private var requestCounter: UInt64 = 0
    /// Registered connections by the token their epoll events carry (0 is the wake-up fd).
    private var connections: [UInt64: Connection] = [:]
    private var nextToken: UInt64 = 1
    /// One read buffer per loop: a connection copies what it reads into its parser at once,
    /// so the buffer is free again before the next read on this thread.
    let readBuffer: UnsafeMutableRawBufferPointer
    private var cachedDateSecond = -1
    private var cachedDate: [UInt8] = []
    private let epoll: Int32
    private let wakeDescriptor: Int32
    /// Work queued from this thread (tasks' jobs, deferred steps): no lock, no wake-up.
    private var localJobs: [@Sendable () -> Void] = []
    /// Work queued from other threads, and whether the loop sleeps in `epoll_wait` (then the
    /// queuer writes to the eventfd to wake it).
    private let inbox = Mutex<Inbox>(Inbox())
    /// An acquire-release edge with every `inbox` critical section, for ThreadSanitizer, which
    /// cannot see a futex hand-over inside the kernel (as in the SQLite module's `Locked`).
    private let inboxEdge = Atomic<Int>(0)
    private let finished = DispatchSemaphore(value: 0)
    private var started = false
    private var nextSweep: UInt64 = 0
    static let sweepInterval: UInt64 = 250_000_000

    private struct Inbox {
        var jobs: [@Sendable () -> Void] = []
        var sleeping = false
        var stopping = false
    }

    init(index: Int, shared: ServerShared, requestIdPrefix: String) {
        self.index = index
        self.shared = shared
        self.requestIdPrefix = requestIdPrefix
        self.readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeDescriptor = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        precondition(epoll >= 0 && wakeDescriptor >= 0, "cannot create an event loop's epoll/eventfd: errno \(errno)")
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = 0
        precondition(epoll_ctl(epoll, EPOLL_CTL_ADD, wakeDescriptor, &event) == 0, "epoll_ctl: errno \(errno)")
    }

    deinit {
        readBuffer.deallocate()
        Glibc.close(epoll)
        Glibc.close(wakeDescriptor)
    }

    // MARK: Thread

    func start() {
        started = true
        let thread = Thread { [self] in
            nameCurrentThread("http-loop-\(index)")
            pthread_setspecific(currentLoopKey, Unmanaged.passUnretained(self).toOpaque())
            run()
            pthread_setspecific(currentLoopKey, nil)
            finished.signal()
        }
        thread.start()
    }

    /// Ends the thread once the work queued before this call has run; returns when it has.
    func stop() {
        guard started else { return }
        withInbox { $0.stopping = true }
        wake()
        if !isCurrent { finished.wait() }
    }

    private func run() {
        let capacity = 64
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        nextSweep = monotonicNow() + Self.sweepInterval
        while true {
            runQueuedJobs()
            let (stopping, sleep) = withInbox { inbox -> (Bool, Bool) in
                let idle = inbox.jobs.isEmpty && localJobs.isEmpty
                inbox.sleeping = idle
                return (inbox.stopping && idle, idle)
            }
            shared.configuration.eventLoopTurnEnded?(index)
            if stopping { break }
            let now = monotonicNow()
            let timeout = sleep ? Int32(clamping: (nextSweep &- min(now, nextSweep)) / 1_000_000 + 1) : 0
            let count = epoll_wait(epoll, events, Int32(capacity), timeout)
            if sleep { withInbox { $0.sleeping = false } }
            if count > 0 {
                for offset in 0..<Int(count) {
                    handle(events[offset])
                }
            }
            if monotonicNow() >= nextSweep {
                sweep()
                nextSweep = monotonicNow() + Self.sweepInterval
            }
        }
    }

    private func handle(_ event: epoll_event) {
        let token = event.data.u64
        if token == 0 {
            var value: UInt64 = 0
            _ = Glibc.read(wakeDescriptor, &value, 8)
            return
        }
        guard let connection = connections[token] else { return }
        let flags = event.events
        if flags & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 {
            // Both directions are gone (a reset, or the peer's FIN after our own shutdown):
            // nothing more can be read or delivered.
            connection.close()
            return
        }
        if flags & EPOLLIN.rawValue != 0 { connection.readable() }
        if flags & EPOLLOUT.rawValue != 0, !connection.closed { connection.writable() }
    }

    /// Runs what was queued, a few rounds at most (a job may queue another), so sockets are
    /// polled again between rounds however much work keeps arriving.
    private func runQueuedJobs() {
        for _ in 0..<4 {
            var remote = withInbox { inbox -> [@Sendable () -> Void] in
                var jobs: [@Sendable () -> Void] = []
                swap(&jobs, &inbox.jobs)
                return jobs
            }
            if remote.isEmpty && localJobs.isEmpty { return }
            for job in remote { job() }
            remote.removeAll()
            var local: [@Sendable () -> Void] = []
            swap(&local, &localJobs)
            for job in local { job() }
        }
    }

    private func withInbox<T>(_ body: (inout Inbox) -> T) -> T {
        inbox.withLock { inbox in
            inboxEdge.wrappingAdd(1, ordering: .acquiringAndReleasing)
            defer { inboxEdge.wrappingAdd(1, ordering: .releasing) }
            return body(&inbox)
        }
    }

    private func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeDescriptor, &one, 8)
    }

    // MARK: Executing work

    /// Whether the caller is running on this loop's thread.
    var isCurrent: Bool { pthread_getspecific(currentLoopKey) == Unmanaged.passUnretained(self).toOpaque() }

    /// Runs `body` now when already on this loop (a task that prefers it), otherwise queues it.
    func execute(_ body: @escaping @Sendable () -> Void) {
        if isCurrent { body() } else { submit(body) }
    }

    /// Queues `body` to run on the loop after what it is doing now.
    func submit(_ body: @escaping @Sendable () -> Void) {
        if isCurrent {
            localJobs.append(body)
            return
        }
        let sleeping = withInbox { inbox -> Bool in
            inbox.jobs.append(body)
            defer { inbox.sleeping = false }
            return inbox.sleeping
        }
        if sleeping { wake() }
    }

    /// Runs a job of a task that prefers this loop, after what the loop is running now.
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        submit { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    // MARK: Connections

    /// Takes ownership of an accepted socket (called from the accept queue).
    func adopt(fd: Int32, address: String) {
        submit {
            let token = self.nextToken
            self.nextToken += 1
            let connection = Connection(fd: fd, address: address, token: token, loop: self)
            self.connections[token] = connection
            self.shared.observer?.connectionOpened()
            connection.start()
        }
    }

    /// Sets what `connection`'s socket is watched for; with neither, it leaves the interest set.
    func watch(_ connection: Connection, reading: Bool, writing: Bool, registered: Bool) -> Bool {
        var mask: UInt32 = 0
        if reading { mask |= EPOLLIN.rawValue }
        if writing { mask |= EPOLLOUT.rawValue }
        if mask == 0 {
            if registered { _ = epoll_ctl(epoll, EPOLL_CTL_DEL, connection.fd, nil) }
            return false
        }
        var event = epoll_event()
        event.events = mask
        event.data.u64 = connection.token
        if epoll_ctl(epoll, registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, connection.fd, &event) != 0 {
            shared.logger.warning("epoll_ctl failed", metadata: ["errno": "\(errno)"])
        }
        return true
    }

    /// Called by a connection as it closes its socket.
    func forget(_ connection: Connection) {
        connections.removeValue(forKey: connection.token)
        shared.observer?.connectionClosed()
        shared.openConnections.subtract(1, ordering: .acquiringAndReleasing)
    }

    func beginShutdown() {
        submit {
            for connection in Array(self.connections.values) { connection.shutdownRequested() }
        }
    }

    func closeAll() {
        submit {
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

/// The event loop whose thread is the current one (`nil` elsewhere).
let currentLoopKey: pthread_key_t = {
    var key = pthread_key_t()
    let status = pthread_key_create(&key, nil)
    precondition(status == 0, "pthread_key_create failed: \(status)")
    return key
}()

extension EventLoop {
    /// The loop running the calling thread, if any.
    static var current: EventLoop? {
        guard let pointer = pthread_getspecific(currentLoopKey) else { return nil }
        return Unmanaged<EventLoop>.fromOpaque(pointer).takeUnretainedValue()
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
