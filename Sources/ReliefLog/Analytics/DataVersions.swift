import Synchronization
import ThreadSupport

/// In-memory version numbers of the data the analytics read, so that a cached analytics
/// result can be reused (and a poll answered 304) without touching the database.
///
/// Every committed write that can change an analytics result bumps a version *after* its
/// transaction committed. A request reads the version *before* it reads the database, so
/// what it computes is at least as new as the version it is filed under: a stale result can
/// never outlive the bump (at worst a result newer than its version is retired early).
/// Versions come from one monotonic counter, so the maximum of two versions is a version.
///
/// - patient *p*: their episodes, sessions, time zone or existence changed (a record moved
///   between patients changes both);
/// - global: anything at all (clinic-wide results depend on every record).
///
/// Only writes through this process are seen: another process writing the same database
/// file would leave cached analytics stale until this process writes or restarts.
final class DataVersions: Sendable {
    private struct State {
        var clock: UInt64 = 0
        var global: UInt64 = 0
        var patients: [Int64: UInt64] = [:]
    }

    private let state = Locked(State())

    init() {}

    /// The version of one patient's analytics.
    func patient(_ id: Int64) -> UInt64 {
        state.withLock { $0.patients[id] ?? 0 }
    }

    /// The version of the clinic-wide analytics.
    var global: UInt64 { state.withLock { $0.global } }

    /// After a committed write of a patient record or of episodes/sessions of these patients.
    func patientsChanged(_ ids: some Sequence<Int64>) {
        state.withLock { state in
            state.clock += 1
            for id in ids { state.patients[id] = state.clock }
            state.global = state.clock
        }
    }

    /// After a committed write that only clinic-wide results read (therapists).
    func clinicChanged() {
        state.withLock { state in
            state.clock += 1
            state.global = state.clock
        }
    }
}

extension DataVersions {
    /// After a commit: bumps the versions of the patients whose data changed, or the clinic's
    /// alone when only therapists changed.
    func apply(_ changes: [RecordChange]) {
        let patients = changes.flatMap(\.patients)
        if patients.isEmpty {
            clinicChanged()
        } else {
            patientsChanged(patients)
        }
    }
}
