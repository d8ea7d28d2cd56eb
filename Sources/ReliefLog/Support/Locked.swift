import Synchronization

/// A `Mutex` that ThreadSanitizer can follow.
///
/// On Linux a contended `Mutex` is handed from one thread to the next inside the kernel (a
/// futex), where ThreadSanitizer cannot see it, so it reports false races on the protected
/// value. Each critical section here also does an acquire-release operation on one atomic,
/// which ThreadSanitizer understands; outside the sanitizer that is two uncontended atomic
/// increments. (The SQLite module has the same type for its job queues.)
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    private let edge = Atomic<Int>(0)

    init(_ value: Value) {
        mutex = Mutex(value)
    }

    func withLock<Result: Sendable, Failure: Error>(
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        try mutex.withLock { (value: inout sending Value) throws(Failure) -> sending Result in
            edge.wrappingAdd(1, ordering: .acquiringAndReleasing)
            defer { edge.wrappingAdd(1, ordering: .releasing) }
            return try body(&value)
        }
    }
}
