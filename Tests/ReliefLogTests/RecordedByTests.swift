import Foundation
import ReliefLog
import TestSupport
import Testing

/// `recordedBy`: who entered a session. A patient token can record a professional session for
/// any therapist; only clinic-recorded sessions count in the clinic-wide statistics.
@Suite("sessions say who recorded them")
struct RecordedByTests {
    @Test(
        "the server sets recordedBy, refuses it in bodies, keeps it on PATCH, and clinic statistics count the clinic's")
    func recordedBy() async throws {
        let app = try TestApp()
        let admin = try app.client()
        let patient = try await admin.createPatient()
        let therapist = try await admin.createTherapist(license: "L-1")
        let phone = try app.client(token: try app.token(.patient, patient: patient))
        let yesterday = ISO8601DateFormatter().string(from: Date(timeIntervalSinceNow: -86_400))
        let body = #"{"therapistId": \#(therapist), "startedAt": "\#(yesterday)", "durationMinutes": 30"#

        let byPatient = try await phone.post("/v1/sessions", body + #", "techniques": ["scalp"]}"#)
        #expect(byPatient.status == 201)
        #expect(byPatient.object["recordedBy"] as? String == "patient")
        let byClinic = try await admin.post(
            "/v1/sessions", body + #", "patientId": \#(patient), "techniques": ["swedish"]}"#)
        #expect(byClinic.status == 201, "\(byClinic.text)")
        #expect(byClinic.object["recordedBy"] as? String == "clinic")

        // Not settable: refused like id and createdAt, on create and on PATCH; nothing stored.
        let forged = try await phone.post("/v1/sessions", body + #", "techniques": ["scalp"], "recordedBy": "clinic"}"#)
        #expect(forged.status == 422)
        #expect(
            forged.text.contains(#""/recordedBy""#) && forged.text.contains("is managed by the server"),
            "\(forged.text)")
        let sessionId = try #require(byPatient.object["id"] as? Int)
        let patched = try await admin.patch("/v1/sessions/\(sessionId)", #"{"recordedBy": "clinic"}"#)
        #expect(patched.status == 422)
        // A PATCH of another field keeps it.
        let renamed = try await admin.patch("/v1/sessions/\(sessionId)", #"{"notes": "checked"}"#)
        #expect(renamed.status == 200)
        #expect(renamed.object["recordedBy"] as? String == "patient")
        #expect(try await admin.get("/v1/sessions/\(sessionId)").object["recordedBy"] as? String == "patient")

        // The clinic's statistics: the patient's entry is not the therapist's session.
        let therapists = try await admin.get("/v1/analytics/therapists")
        let therapistItems = try #require(therapists.object["items"] as? [[String: Any]])
        #expect(therapistItems.count == 1)
        #expect(therapistItems.first?["sessions"] as? Int == 1)
        let techniques = try await admin.get("/v1/analytics/techniques")
        let techniqueNames = (techniques.object["items"] as? [[String: Any]])?.compactMap { $0["technique"] as? String }
        #expect(techniqueNames == ["swedish"])
        // The patient's own analytics count both.
        let effect = try await admin.get("/v1/patients/\(patient)/analytics/massage-effect")
        #expect(effect.object["sessions"] as? Int == 2)

        // The OpenAPI document: in the response schema (read-only), not in the request ones.
        let document = try await admin.get("/openapi.json")
        let schemas = try #require(
            (document.object["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]])
        let session = try #require(schemas["Session"])
        #expect((session["required"] as? [String])?.contains("recordedBy") == true)
        let property = try #require((session["properties"] as? [String: [String: Any]])?["recordedBy"])
        #expect(property["readOnly"] as? Bool == true)
        #expect(property["enum"] as? [String] == ["patient", "clinic"])
        #expect((schemas["SessionInput"]?["properties"] as? [String: Any])?["recordedBy"] == nil)
        #expect((schemas["SessionPatch"]?["properties"] as? [String: Any])?["recordedBy"] == nil)
        await app.stop()
    }
}
