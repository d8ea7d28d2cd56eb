import Dispatch
import Synchronization
import ThreadSupport

/// A first-in first-out queue with amortised O(1) operations.
struct FIFO<Element> {
    private var incoming: [Element] = []
    private var outgoing: [Element] = []  // reversed: the next element is last

    var isEmpty: Bool { incoming.isEmpty && outgoing.isEmpty }
    var count: Int { incoming.count + outgoing.count }

    /// The element `popFirst()` would return.
    var first: Element? { outgoing.last ?? incoming.first }

    mutating func append(_ element: Element) {
        incoming.append(element)
    }

    mutating func popFirst() -> Element? {
        if outgoing.isEmpty {
            guard !incoming.isEmpty else { return nil }
            outgoing = incoming.reversed()
            incoming.removeAll(keepingCapacity: true)
        }
        return outgoing.popLast()
    }
}

/// Lets an idle worker thread sleep until it is handed work.
final class Parker: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)

    func park() { semaphore.wait() }
    func unpark() { semaphore.signal() }
}

/// A job queue shared by one or more worker threads.
///
/// Idle workers register a `Parker` and sleep; `submit` wakes exactly one of them
/// (the most recently idle, whose caches are warmest). Every worker pulls from the
/// same queue, so a worker stuck in a long job never holds up jobs that another
/// worker could run. A parker is in the idle list at most once and removed from it
/// exactly once per signal, so wake-ups are never lost and never pile up.
final class JobQueue<Job: Sendable>: Sendable {
    private struct State: Sendable {
        var jobs = FIFO<Job>()
        var idle: [Parker] = []
        var isClosed = false
    }

    private let state = Locked(State())

    /// Enqueues `job`; returns `false` (and drops it) once the queue is closed.
    func submit(_ job: Job) -> Bool {
        let (accepted, parker) = state.withLock { state -> (Bool, Parker?) in
            guard !state.isClosed else { return (false, nil) }
            state.jobs.append(job)
            return (true, state.idle.popLast())
        }
        parker?.unpark()
        return accepted
    }

    /// Blocks until there is work, then lets `take` remove what the caller will run.
    /// Returns `nil` once the queue is closed and drained: the worker should exit.
    func next<Taken: Sendable>(parker: Parker, take: (inout FIFO<Job>) -> Taken) -> Taken? {
        while true {
            let taken: Taken?? = state.withLock { state in
                if !state.jobs.isEmpty { return .some(take(&state.jobs)) }
                if state.isClosed { return .some(nil) }
                state.idle.append(parker)
                return nil
            }
            if let taken { return taken }
            parker.park()
        }
    }

    /// Refuses new jobs; queued jobs still run, then idle workers are woken to exit.
    func close() {
        let sleepers = state.withLock { state -> [Parker] in
            state.isClosed = true
            defer { state.idle.removeAll() }
            return state.idle
        }
        for parker in sleepers {
            parker.unpark()
        }
    }

    var isClosed: Bool { state.withLock { $0.isClosed } }

    /// Number of queued jobs.
    var count: Int { state.withLock { $0.jobs.count } }
}

extension FIFO: Sendable where Element: Sendable {}
