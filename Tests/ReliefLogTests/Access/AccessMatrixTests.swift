import Foundation
import ReliefLog
import TestSupport
import Testing

/// Every registered route × every role (and no token) × an object of the caller's own and of
/// someone else, against the rights of API.md "Authentication and roles". The expected answers
/// are written out here, independently of the server's declarations; a route missing from
/// `expectations` fails the test, so a new route cannot ship without its row.
@Suite("Route × role matrix")
struct AccessMatrixTests {
    enum Caller: String, CaseIterable, CustomStringConvertible {
        case anonymous, admin, clinician, patient
        var description: String { rawValue }
    }

    /// Whose object a request aims at: the caller's own (their patient's, or their
    /// therapist's session), someone else's, or none (collections, or objects nobody owns).
    enum Target: String, CustomStringConvertible {
        case own, other, none
        var description: String { rawValue }
    }

    /// The expected status for each route, caller and target.
    static func expected(_ method: String, _ template: String, _ caller: Caller, _ target: Target) -> Int? {
        let operations = ["/healthz", "/readyz", "/openapi.json", "/metrics", "/fhir/r4/metadata"]
        if operations.contains(template) { return 200 }
        // The dashboard's files hold no data: anyone gets them; / and /app redirect to /app/.
        if template == "/" || template == "/app" { return 302 }
        if template.hasPrefix("/app/") { return 200 }
        if caller == .anonymous { return 401 }
        let isAdmin = caller == .admin
        let ok = ["POST": 201, "GET": 200, "PATCH": 200, "DELETE": 204][method]!
        switch (method, template) {
        case ("POST", "/v1/patients"), ("PATCH", "/v1/patients/{id}"), ("DELETE", "/v1/patients/{id}"),
            ("POST", "/v1/therapists"), ("PATCH", "/v1/therapists/{id}"), ("DELETE", "/v1/therapists/{id}"),
            ("POST", "/v1/tokens"), ("GET", "/v1/tokens"), ("GET", "/v1/tokens/{id}"), ("DELETE", "/v1/tokens/{id}"),
            ("GET", "/v1/audit"):
            return isAdmin ? ok : 403
        case ("GET", "/v1/therapists"), ("GET", "/v1/therapists/{id}"), ("GET", "/v1/vocabulary"):
            return 200
        // Webhooks and the event feed: admin only (the rotation answers 200, tests and retries 202).
        case ("POST", "/v1/webhooks/{id}/rotate-secret"):
            return isAdmin ? 200 : 403
        case ("POST", "/v1/webhooks/{id}/test"), ("POST", "/v1/webhooks/{id}/deliveries/{deliveryId}/retry"):
            return isAdmin ? 202 : 403
        case ("POST", "/v1/webhooks"), ("GET", "/v1/webhooks"), ("GET", "/v1/webhooks/{id}"),
            ("PATCH", "/v1/webhooks/{id}"), ("DELETE", "/v1/webhooks/{id}"), ("GET", "/v1/webhooks/{id}/deliveries"),
            ("GET", "/v1/events"):
            return isAdmin ? ok : 403
        case ("GET", "/v1/analytics/overview"), ("GET", "/v1/analytics/techniques"),
            ("GET", "/v1/analytics/therapists"):
            return caller == .patient ? 403 : 200
        case ("GET", "/v1/patients/{id}/analytics/summary"), ("GET", "/v1/patients/{id}/analytics/trends"),
            ("GET", "/v1/patients/{id}/analytics/massage-effect"), ("GET", "/v1/patients/{id}/report"):
            return caller == .patient && target == .other ? 404 : 200
        case ("GET", "/v1/me"):
            return 200
        case ("GET", "/v1/patients"):
            return 200
        case ("GET", "/v1/patients/{id}"), ("GET", "/v1/episodes/{id}"), ("GET", "/v1/sessions/{id}"),
            ("GET", "/v1/episodes"), ("GET", "/v1/sessions"):
            // Everyone reads; a patient only its own (another patient's is 404, never 403).
            return caller == .patient && target == .other ? 404 : 200
        case ("POST", "/v1/episodes"), ("PATCH", "/v1/episodes/{id}"), ("DELETE", "/v1/episodes/{id}"):
            switch caller {
            case .admin: return ok
            case .clinician: return 403
            default: return target == .other ? 404 : ok
            }
        case ("POST", "/v1/sessions"), ("PATCH", "/v1/sessions/{id}"), ("DELETE", "/v1/sessions/{id}"):
            switch caller {
            case .admin: return ok
            // Readable to clinicians, so refusing another therapist's session reveals nothing.
            case .clinician: return target == .other ? 403 : ok
            default: return target == .other ? 404 : ok
            }
        default:
            return bulkExpected(method, template, caller, target)
        }
    }

    /// Bulk data and FHIR (the contract's "Bulk data" and "FHIR R4").
    static func bulkExpected(_ method: String, _ template: String, _ caller: Caller, _ target: Target) -> Int? {
        let isAdmin = caller == .admin
        switch (method, template) {
        case ("GET", "/v1/patients/export"), ("GET", "/v1/therapists/export"), ("GET", "/v1/episodes/export"),
            ("GET", "/v1/sessions/export"), ("GET", "/v1/import/migraine-buddy/mapping"),
            ("GET", "/fhir/r4/Practitioner/{id}"):
            return 200
        case ("POST", "/v1/patients/import"), ("POST", "/v1/therapists/import"):
            return isAdmin ? 200 : 403
        case ("POST", "/v1/episodes/import"), ("POST", "/v1/patients/{id}/import/migraine-buddy"):
            switch caller {
            case .admin: return 200
            case .clinician: return 403
            default: return target == .other ? 404 : 200
            }
        case ("POST", "/v1/sessions/import"):
            switch caller {
            case .admin: return 200
            case .clinician: return target == .other ? 403 : 200
            default: return target == .other ? 404 : 200
            }
        case ("GET", "/fhir/r4/Patient/{id}"), ("GET", "/fhir/r4/Patient/{id}/$everything"):
            return caller == .patient && target == .other ? 404 : 200
        case ("GET", "/fhir/r4/$export"), ("GET", "/fhir/r4/Patient/$export"):
            return caller == .patient ? 403 : 202
        // The job is the admin's: another token's job is as if it did not exist.
        case ("GET", "/fhir/r4/bulk/{job}"), ("GET", "/fhir/r4/bulk/{job}/{file}"):
            return caller == .patient ? 403 : isAdmin ? 200 : 404
        case ("DELETE", "/fhir/r4/bulk/{job}"):
            return caller == .patient ? 403 : isAdmin ? 202 : 404
        default:
            return nil
        }
    }

    /// The headers a case sends besides its token.
    static func headers(_ method: String, _ template: String) -> [(String, String)] {
        if method == "PATCH" { return [("Content-Type", "application/merge-patch+json")] }
        if template.hasSuffix("/migraine-buddy") { return [("Content-Type", "text/csv")] }
        if template.hasSuffix("/import") { return [("Content-Type", "application/x-ndjson")] }
        if template.hasSuffix("$export") { return [("Prefer", "respond-async")] }
        return []
    }

    /// The fixtures every case works on: two patients, two therapists, and a token per role
    /// bound to the first of each.
    struct World {
        let app: TestApp
        let admin: TestHTTPClient
        let patient1: Int, patient2: Int, therapist1: Int, therapist2: Int
        let tokens: [Caller: String]

        init() async throws {
            app = try TestApp()
            admin = try app.client()
            patient1 = try await admin.createPatient("Own Patient")
            patient2 = try await admin.createPatient("Other Patient")
            therapist1 = try await admin.createTherapist(license: "OWN-1")
            therapist2 = try await admin.createTherapist(license: "OTHER-2")
            tokens = [
                .admin: app.adminToken,
                .clinician: try app.token(.clinician, therapist: therapist1),
                .patient: try app.token(.patient, patient: patient1),
            ]
        }

        func client(_ caller: Caller) throws -> TestHTTPClient { try app.client(token: tokens[caller]) }

        /// A FHIR export job of the admin's, just started.
        func startJob() async throws -> String {
            let response = try await admin.request("GET", "/fhir/r4/$export", headers: [("Prefer", "respond-async")])
            let location = try #require(response.header("Content-Location"), "\(response.text)")
            return String(location.split(separator: "/").last ?? "")
        }

        /// A FHIR export job of the admin's, complete.
        func finishedJob() async throws -> String {
            let job = try await startJob()
            for _ in 0..<500 where try await admin.get("/fhir/r4/bulk/\(job)").status == 202 {
                try await Task.sleep(for: .milliseconds(20))
            }
            return job
        }

        /// The patient and therapist an own or other object belongs to.
        func owners(_ target: Target) -> (patient: Int, therapist: Int) {
            target == .other ? (patient2, therapist2) : (patient1, therapist1)
        }

        /// A path and body for the case; objects that the request may change or delete are
        /// made fresh for it.
        func request(
            _ method: String, _ template: String, _ caller: Caller, _ target: Target
        ) async throws -> (String, String?) {
            let (patient, therapist) = owners(target)
            let episode = #"{"patientId": \#(patient), "startedAt": "2026-11-01T08:00:00Z", "intensity": 5}"#
            let session =
                #"{"patientId": \#(patient), "therapistId": \#(therapist), "kind": "professional", "startedAt": "2026-11-01T08:00:00Z", "durationMinutes": 30, "techniques": ["scalp"]}"#
            switch (method, template) {
            case ("POST", "/v1/patients/import"): return (template, #"{"displayName": "New"}"#)
            case ("POST", "/v1/therapists/import"):
                return (template, #"{"name": "New", "licenseNumber": "N-\#(UUID().uuidString)"}"#)
            case ("POST", "/v1/episodes/import"): return (template, episode)
            case ("POST", "/v1/sessions/import"): return (template, session)
            case ("POST", "/v1/patients/{id}/import/migraine-buddy"):
                let file = "#,Started,Lasted,Pain Level\r\n1,2026-03-01 08:30,01h 00m,5\r\n"
                return ("/v1/patients/\(patient)/import/migraine-buddy", file)
            case ("GET", "/fhir/r4/Patient/{id}"), ("GET", "/fhir/r4/Patient/{id}/$everything"):
                return (template.replacingOccurrences(of: "{id}", with: String(patient)), nil)
            case ("GET", "/fhir/r4/Practitioner/{id}"): return ("/fhir/r4/Practitioner/\(therapist)", nil)
            case ("GET", "/fhir/r4/bulk/{job}"): return ("/fhir/r4/bulk/\(try await finishedJob())", nil)
            case ("GET", "/fhir/r4/bulk/{job}/{file}"):
                return ("/fhir/r4/bulk/\(try await finishedJob())/Patient.ndjson", nil)
            case ("DELETE", "/fhir/r4/bulk/{job}"): return ("/fhir/r4/bulk/\(try await startJob())", nil)
            case ("POST", "/v1/patients"): return ("/v1/patients", #"{"displayName": "New"}"#)
            case ("POST", "/v1/therapists"):
                return ("/v1/therapists", #"{"name": "New", "licenseNumber": "N-\#(UUID().uuidString)"}"#)
            case ("POST", "/v1/episodes"): return ("/v1/episodes", episode)
            case ("POST", "/v1/sessions"): return ("/v1/sessions", session)
            case ("POST", "/v1/tokens"): return ("/v1/tokens", #"{"role": "admin"}"#)
            // Port 9 refuses connections: the deliveries these webhooks owe just wait.
            case ("POST", "/v1/webhooks"): return ("/v1/webhooks", #"{"url": "http://127.0.0.1:9/", "events": ["*"]}"#)
            case ("GET", "/v1/episodes"), ("GET", "/v1/sessions"):
                return (target == .none ? template : "\(template)?patientId=\(patient)", nil)
            case ("GET", _) where !template.contains("{id}"):
                return (template, nil)
            default:
                break
            }
            if template.hasPrefix("/v1/webhooks/{id}") {
                let webhook = try await admin.create("webhooks", #"{"url": "http://127.0.0.1:9/", "events": ["*"]}"#)
                var path = template.replacingOccurrences(of: "{id}", with: String(webhook))
                if template.contains("{deliveryId}") {
                    let ping = try await admin.post("/v1/webhooks/\(webhook)/test", "")
                    let delivery = try #require(ping.object["id"] as? Int)
                    path = path.replacingOccurrences(of: "{deliveryId}", with: String(delivery))
                }
                return (path, method == "PATCH" ? #"{"description": "changed"}"# : nil)
            }
            if template.hasPrefix("/v1/patients/{id}/analytics/") || template == "/v1/patients/{id}/report" {
                return (template.replacingOccurrences(of: "{id}", with: String(patient)), nil)
            }
            let id: Int
            switch template {
            case "/v1/patients/{id}":
                // A patient token's own patient is its bound one; deletions get a fresh patient.
                id = target == .own && method != "DELETE" ? patient1 : try await admin.createPatient("Fresh")
            case "/v1/therapists/{id}":
                id = try await admin.createTherapist(license: "F-\(UUID().uuidString)")
            case "/v1/episodes/{id}":
                id = try await admin.create("episodes", episode)
            case "/v1/sessions/{id}":
                id = try await admin.create("sessions", session)
            case "/v1/tokens/{id}":
                id = try await admin.create("tokens", #"{"role": "admin", "label": "fresh"}"#)
            default:
                throw TestClientError("no request for \(method) \(template)")
            }
            let path = template.replacingOccurrences(of: "{id}", with: String(id))
            let patches = [
                "/v1/patients/{id}": #"{"notes": "changed"}"#, "/v1/therapists/{id}": #"{"phone": "555"}"#,
                "/v1/episodes/{id}": #"{"intensity": 6}"#, "/v1/sessions/{id}": #"{"durationMinutes": 45}"#,
            ]
            return (path, method == "PATCH" ? patches[template] : nil)
        }
    }

    static func targets(_ template: String) -> [Target] {
        switch template {
        case "/v1/patients/{id}", "/v1/episodes/{id}", "/v1/sessions/{id}": [.own, .other]
        case _ where template.hasPrefix("/v1/patients/{id}/analytics/"): [.own, .other]
        case "/v1/patients/{id}/report": [.own, .other]
        // Creates name an own or other patient (or therapist); lists filter by one, or not at all.
        case "/v1/episodes", "/v1/sessions": [.own, .other, .none]
        case "/v1/episodes/import", "/v1/sessions/import", "/v1/patients/{id}/import/migraine-buddy",
            "/fhir/r4/Patient/{id}", "/fhir/r4/Patient/{id}/$everything":
            [.own, .other]
        default: [.none]
        }
    }

    @Test("every route answers every role as the contract says, for its own and others' objects")
    func matrix() async throws {
        let world = try await World()
        var mismatches: [String] = []
        var cases = 0
        for route in world.app.application.routes {
            for caller in Caller.allCases {
                for target in Self.targets(route.template) {
                    guard let expected = Self.expected(route.method, route.template, caller, target) else {
                        mismatches.append(
                            "\(route.method) \(route.template): no expectation written (declared: \(route.access))")
                        continue
                    }
                    let (path, body) = try await world.request(route.method, route.template, caller, target)
                    let client = try world.client(caller)
                    let headers = Self.headers(route.method, route.template)
                    let response = try await client.request(route.method, path, headers: headers, body: body)
                    cases += 1
                    if response.status != expected {
                        mismatches.append(
                            "\(route.method) \(path) as \(caller) (\(target)): \(response.status), expected \(expected): \(response.text.prefix(200))"
                        )
                    }
                    if expected == 401 {
                        #expect(
                            response.header("WWW-Authenticate")?.hasPrefix("Bearer") == true, "\(route.method) \(path)")
                    }
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(cases) cases:\n\(mismatches.joined(separator: "\n"))")
        #expect(cases > 100)
        // Every route declares its access; the router lists the declaration with the route.
        for route in world.app.application.routes {
            #expect(!route.access.description.isEmpty)
            let behindToken =
                route.template.hasPrefix("/v1")
                || (route.template.hasPrefix("/fhir/r4/") && route.template != "/fhir/r4/metadata")
            #expect(behindToken == (route.access.description != "public"), "\(route.template): \(route.access)")
        }
        await world.app.stop()
    }

    @Test("another patient's object answers exactly like one that does not exist")
    func noExistenceLeak() async throws {
        let world = try await World()
        let patient = try world.client(.patient)
        let (other, _) = world.owners(.other)
        let episode = try await world.admin.createEpisode(patientId: other, startedAt: "2026-11-01T08:00:00Z")
        let hidden = try await patient.get("/v1/episodes/\(episode)")
        let missing = try await patient.get("/v1/episodes/99999999")
        #expect(hidden.status == 404)
        #expect(hidden.status == missing.status)
        #expect(hidden.text == missing.text)
        // A list narrowed to the other patient, and a write naming them, are 404 as well.
        #expect(try await patient.get("/v1/episodes?patientId=\(other)").status == 404)
        let written = try await patient.post(
            "/v1/episodes", #"{"patientId": \#(other), "startedAt": "2026-11-01T08:00:00Z", "intensity": 3}"#)
        #expect(written.status == 404)
        await world.app.stop()
    }

    @Test("a patient token's lists hold only its patient's rows, and patientId is implied on create")
    func patientScoping() async throws {
        let world = try await World()
        let patient = try world.client(.patient)
        _ = try await world.admin.createEpisode(patientId: world.patient2, startedAt: "2026-11-02T08:00:00Z")
        let created = try await patient.post("/v1/episodes", #"{"startedAt": "2026-11-03T08:00:00Z", "intensity": 4}"#)
        #expect(created.status == 201)
        #expect(created.object["patientId"] as? Int == world.patient1)
        let episodes = try await patient.listIds("/v1/episodes")
        #expect(episodes.ids == [created.object["id"] as? Int])
        let patients = try await patient.listIds("/v1/patients")
        #expect(patients.ids == [world.patient1])
        // Moving an own episode to another patient is refused like any reach beyond the token.
        let id = try #require(created.object["id"] as? Int)
        #expect(try await patient.patch("/v1/episodes/\(id)", #"{"patientId": \#(world.patient2)}"#).status == 404)
        // Admins see both patients' episodes.
        #expect(try await world.admin.listIds("/v1/episodes").ids.count == 2)
        await world.app.stop()
    }
}
