import Dispatch

/// A Dispatch source that may be shared between threads.
///
/// `@unchecked Sendable`: Dispatch sources are thread-safe objects (libdispatch synchronises
/// `resume`, `suspend`, `cancel` and handler changes internally), but the Linux overlay does
/// not mark the source protocols `Sendable`, so this wrapper states it once.
struct SendableSource<Source>: @unchecked Sendable {
    let source: Source
    init(_ source: Source) { self.source = source }
}
