public import Synchronization

/// A `Mutex` that ThreadSanitizer can follow.
///
/// On Linux a contended `Mutex` is handed from one thread to the next inside the kernel (a
/// futex), where ThreadSanitizer cannot see it, so it reports false races on the protected
/// value. Each critical section here also does an acquire-release operation on one atomic,
/// which ThreadSanitizer understands; outside the sanitizer that is two uncontended atomic
/// increments. Every lock of the SQLite, HTTP and service modules is one of these.
public final class Locked<Value: Sendable>: Sendable {
    @usableFromInline let mutex: Mutex<Value>
    @usableFromInline let edge = Atomic<Int>(0)

    public init(_ value: Value) {
        mutex = Mutex(value)
    }

    /// Runs `body` with exclusive access to the value.
    @inlinable
    public func withLock<Result: Sendable, Failure: Error>(
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        try mutex.withLock { (value: inout sending Value) throws(Failure) -> sending Result in
            edge.wrappingAdd(1, ordering: .acquiringAndReleasing)
            defer { edge.wrappingAdd(1, ordering: .releasing) }
            return try body(&value)
        }
    }
}
