import Foundation
import JSON
import SQLite
import TestSupport

@testable import ReliefLog

/// A migrated database file in a fresh temporary directory, on one connection.
final class TestDatabase {
    let directory = TemporaryDirectory()
    let connection: Connection

    init() throws {
        connection = try Connection(path: directory.file("records.sqlite"))
        try Migrator(directory: URL(fileURLWithPath: migrationsDirectory)).migrate(connection)
    }

    deinit {
        connection.close()
        directory.remove()
    }

    var patients: PatientRepository { PatientRepository(connection) }
    var therapists: TherapistRepository { TherapistRepository(connection) }
    var episodes: EpisodeRepository { EpisodeRepository(connection) }
    var sessions: SessionRepository { SessionRepository(connection) }

    func count(_ table: String) throws -> Int64 {
        guard case .integer(let n)? = try connection.scalar("SELECT count(*) FROM \(table)") else { return -1 }
        return n
    }
}

/// An instant from a timestamp literal known to be valid.
func instant(_ text: String) -> Int64 {
    guard let value = Timestamp.parse(text) else { preconditionFailure("bad test timestamp \(text)") }
    return value
}

/// "Now" in these tests: 2026-11-20T12:00:00Z.
let testNow = instant("2026-11-20T12:00:00Z")

/// A JSON object literal from text, for request bodies in tests.
func object(_ text: String) -> JSONObject {
    guard let value = try? JSON.parse(text), case .object(let object) = value else {
        preconditionFailure("not a JSON object: \(text)")
    }
    return object
}

/// `base` with the members of `overrides` set (a `null` member is set to null, not removed).
func body(_ base: JSONObject, _ overrides: String) -> JSONObject {
    var result = base
    for (key, value) in object(overrides) {
        result[key] = value
    }
    return result
}

extension Patient.Fields {
    static func make(
        displayName: String = "Ada", timezone: String = "Europe/Berlin", birthYear: Int? = 1985,
        externalId: String? = nil, notes: String? = nil
    ) -> Self {
        Self(displayName: displayName, timezone: timezone, birthYear: birthYear, externalId: externalId, notes: notes)
    }
}

extension Therapist.Fields {
    static func make(
        name: String = "Grace", licenseNumber: String = "LMT-1", licenseJurisdiction: String? = "US-CA",
        techniques: [String] = ["swedish"], migraineExperience: Bool = false, active: Bool = true,
        externalId: String? = nil
    ) -> Self {
        Self(
            name: name, licenseNumber: licenseNumber, licenseJurisdiction: licenseJurisdiction,
            migraineExperience: migraineExperience, techniques: techniques, active: active, externalId: externalId)
    }
}

extension Episode.Fields {
    static func make(
        patientId: Int64, startedAt: Int64 = instant("2026-11-19T08:00:00Z"), intensity: Int = 6,
        triggers: [String] = [], externalId: String? = nil
    ) -> Self {
        Self(
            patientId: patientId, startedAt: startedAt, intensity: intensity, triggers: triggers, externalId: externalId
        )
    }
}

extension MassageSession.Fields {
    static func make(
        patientId: Int64, therapistId: Int64? = nil, startedAt: Int64 = instant("2026-11-19T10:00:00Z"),
        techniques: [String] = ["neck_shoulder"], externalId: String? = nil
    ) -> Self {
        Self(
            patientId: patientId, therapistId: therapistId, kind: therapistId == nil ? .self : .professional,
            startedAt: startedAt, durationMinutes: 30, techniques: techniques, externalId: externalId)
    }
}
