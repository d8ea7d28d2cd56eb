import Foundation

/// The service's one wall clock: epoch milliseconds, rounded down. Everything that needs the
/// time takes a `@Sendable () -> Int64` that defaults to this, so tests inject their own.
enum EpochClock {
    @Sendable static func now() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}
