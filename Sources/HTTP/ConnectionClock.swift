/// Which limit a connection ran into.
public enum ConnectionTimeout: String, Sendable, Equatable {
    /// The request head did not arrive in time (slowloris protection).
    case header
    /// The body of a request whose head was complete did not arrive in time.
    case body
    /// A kept-alive connection stayed silent between requests.
    case idle
    /// The client did not read a response it asked for (it stopped reading).
    case write
    /// The lingering close after an error or shutdown response ran out.
    case linger
}

/// The timing rules of one connection as a pure state machine.
///
/// It holds no timer and reads no clock: the connection reports what happened and when (in
/// monotonic nanoseconds), and a periodic sweep asks `expired(at:)`. That keeps every rule
/// here, testable without sockets or sleeping.
public struct ConnectionClock: Sendable, Equatable {
    public struct Limits: Sendable, Equatable {
        public var header: Duration
        public var body: Duration
        public var idle: Duration
        public var write: Duration
        public var linger: Duration

        public init(header: Duration, body: Duration, idle: Duration, write: Duration, linger: Duration) {
            self.header = header
            self.body = body
            self.idle = idle
            self.write = write
            self.linger = linger
        }
    }

    public enum Phase: Sendable, Equatable {
        /// Between requests on a kept-alive connection; nothing of the next request seen yet.
        case idle
        /// Some bytes of a request head have arrived (or the connection is new).
        case readingHead
        case readingBody
        /// The handler owns the request; the server's own clock does not run here.
        case processing
        /// A response is partially sent and waits for the client to read.
        case writing
        /// The final response is sent and the write side shut; draining until the peer closes.
        case lingering
    }

    public private(set) var phase: Phase
    public private(set) var deadline: UInt64?
    private let limits: Limits

    /// A new connection must send its first request head within the header limit: an
    /// accepted socket that says nothing is the cheapest way to hold a server's slots.
    public init(limits: Limits, acceptedAt now: UInt64) {
        self.limits = limits
        self.phase = .readingHead
        self.deadline = now &+ limits.header.nanoseconds
    }

    /// The first byte of a new request arrived on an idle connection.
    public mutating func requestStarted(at now: UInt64) {
        guard phase == .idle else { return }
        set(.readingHead, now, limits.header)
    }

    /// The head is complete and a body follows.
    public mutating func bodyStarted(at now: UInt64) {
        set(.readingBody, now, limits.body)
    }

    /// The request is complete and handed to the application.
    public mutating func processingStarted() {
        phase = .processing
        deadline = nil
    }

    /// A response could not be written in full; the rest waits for the client.
    /// Each successful partial write restarts the clock, so a slow but moving reader is fine.
    public mutating func writeBlocked(at now: UInt64) {
        guard phase != .lingering else { return }
        set(.writing, now, limits.write)
    }

    /// The response is fully written and the connection stays open for the next request.
    public mutating func responseCompleted(at now: UInt64) {
        set(.idle, now, limits.idle)
    }

    /// Bytes of the next (pipelined) request were already buffered when the previous one ended.
    public mutating func pipelinedRequestStarted(at now: UInt64) {
        set(.readingHead, now, limits.header)
    }

    /// The last response is sent and the write side is shut down.
    public mutating func lingerStarted(at now: UInt64) {
        set(.lingering, now, limits.linger)
    }

    /// The limit that has run out at `now`, if any.
    public func expired(at now: UInt64) -> ConnectionTimeout? {
        guard let deadline, now >= deadline else { return nil }
        switch phase {
        case .idle: return .idle
        case .readingHead: return .header
        case .readingBody: return .body
        case .writing: return .write
        case .lingering: return .linger
        case .processing: return nil
        }
    }

    private mutating func set(_ phase: Phase, _ now: UInt64, _ limit: Duration) {
        self.phase = phase
        self.deadline = now &+ limit.nanoseconds
    }
}

extension Duration {
    /// Whole nanoseconds, saturating: durations here are configuration values in seconds.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return .max }
        return whole &+ UInt64(attoseconds / 1_000_000_000)
    }
}
