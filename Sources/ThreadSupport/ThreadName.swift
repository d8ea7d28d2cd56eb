import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Names the calling thread for debuggers, crash reports and `top -H` (the kernel keeps at
/// most 15 characters).
public func nameCurrentThread(_ name: String) {
    #if os(Linux)
    // Foundation's Thread.name setter does not reliably reach the kernel on Linux
    // (and pthread_setname_np is not visible to Swift there); this is what it does.
    let descriptor = open("/proc/thread-self/comm", O_WRONLY)
    guard descriptor >= 0 else { return }
    _ = name.withCString { write(descriptor, $0, strlen($0)) }
    _ = close(descriptor)
    #else
    Thread.current.name = name
    #endif
}
