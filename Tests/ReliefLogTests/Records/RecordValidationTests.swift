import HTTP
import JSON
import Testing

@testable import ReliefLog

/// The field errors of a validation that must fail, as `pointer: message` lines.
private func failures(_ validate: () throws(ValidationError) -> Void) -> [String] {
    do {
        try validate()
        return ["(no error)"]
    } catch {
        #expect(error.problem.status == 422)
        return error.failures.map { "\($0.field): \($0.message)" }
    }
}

private let slugMessage = "must be a slug: a lowercase letter, then up to 39 lowercase letters, digits or underscores"
private let timestampMessage = "must be an RFC 3339 timestamp with an offset, such as 2026-11-20T08:15:00+01:00"

@Suite("Validating episode bodies")
struct EpisodeValidationTests {
    static let valid = object(
        """
        {"patientId": 3, "startedAt": "2026-11-19T08:15:00+01:00", "endedAt": "2026-11-19T20:00:00Z",
         "intensity": 7, "aura": true, "symptoms": ["nausea", "photophobia"], "locations": ["left"],
         "triggers": ["stress", "some_new_trigger"], "reliefMeasures": ["dark_room"], "stressLevel": 4,
         "disability": "moderate", "notes": "Worse after lunch.", "externalId": "clinic-17",
         "medications": [{"name": "Sumatriptan", "class": "triptan", "doseMg": 50,
                          "takenAt": "2026-11-19T09:00:00+01:00", "effective": true}, {"name": "Water"}]}
        """)

    @Test("a complete body becomes the fields it describes")
    func complete() throws {
        let fields = try Episode.Fields(validating: Self.valid, now: testNow)
        #expect(fields.patientId == 3)
        #expect(fields.startedAt == instant("2026-11-19T07:15:00Z"))
        #expect(fields.endedAt == instant("2026-11-19T20:00:00Z"))
        #expect(fields.intensity == 7)
        #expect(fields.aura)
        #expect(fields.symptoms == ["nausea", "photophobia"])
        #expect(fields.triggers == ["stress", "some_new_trigger"], "unknown slugs are accepted")
        #expect(
            fields.medications == [
                Medication(
                    name: "Sumatriptan", medicationClass: "triptan", doseMg: 50,
                    takenAt: instant("2026-11-19T08:00:00Z"), effective: true),
                Medication(name: "Water"),
            ])
        #expect(fields.stressLevel == 4)
        #expect(fields.disability == "moderate")
        #expect(fields.externalId == "clinic-17")
    }

    @Test("the smallest body takes the defaults")
    func minimal() throws {
        let fields = try Episode.Fields(
            validating: object(#"{"patientId": 1, "startedAt": "2026-11-19T08:00:00Z", "intensity": 0}"#), now: testNow)
        #expect(fields == Episode.Fields(patientId: 1, startedAt: instant("2026-11-19T08:00:00Z"), intensity: 0))
    }

    @Test(
        "each rule fails alone at its own pointer",
        arguments: [
            (#"{"intensity": 11}"#, "/intensity: must be between 0 and 10"),
            (#"{"intensity": -1}"#, "/intensity: must be between 0 and 10"),
            (#"{"intensity": 5.5}"#, "/intensity: must be an integer"),
            (#"{"intensity": "5"}"#, "/intensity: must be an integer"),
            (#"{"intensity": null}"#, "/intensity: is required"),
            (#"{"patientId": null}"#, "/patientId: is required"),
            (#"{"patientId": 0}"#, "/patientId: must be a positive integer id"),
            (#"{"patientId": "3"}"#, "/patientId: must be a positive integer id"),
            (#"{"startedAt": null}"#, "/startedAt: is required"),
            (#"{"startedAt": "2026-11-19T08:15:00"}"#, "/startedAt: " + timestampMessage),
            (#"{"startedAt": 1795158900000}"#, "/startedAt: must be a string"),
            (
                #"{"startedAt": "2026-11-21T12:00:01Z", "endedAt": null}"#,
                "/startedAt: must not be more than 1 day in the future"
            ),
            (#"{"endedAt": "2026-11-19T07:14:59Z"}"#, "/endedAt: must not be before startedAt"),
            (#"{"endedAt": "2026-12-03T07:15:00.001Z"}"#, "/endedAt: must be at most 14 days after startedAt"),
            (#"{"aura": "no"}"#, "/aura: must be true or false"),
            (#"{"symptoms": "nausea"}"#, "/symptoms: must be an array"),
            (#"{"symptoms": ["nausea", "Photophobia"]}"#, "/symptoms/1: " + slugMessage),
            (#"{"locations": [1]}"#, "/locations/0: must be a string"),
            (#"{"triggers": ["stress", "stress"]}"#, "/triggers/1: repeats an earlier item"),
            (
                #"{"reliefMeasures": ["a_very_long_slug_that_is_longer_than_forty_c"]}"#,
                "/reliefMeasures/0: " + slugMessage
            ),
            (#"{"medications": {"name": "x"}}"#, "/medications: must be an array"),
            (#"{"medications": ["x"]}"#, "/medications/0: must be an object"),
            (#"{"medications": [{"name": ""}]}"#, "/medications/0/name: must not be empty"),
            (#"{"medications": [{"class": "nsaid"}]}"#, "/medications/0/name: is required"),
            (#"{"medications": [{"name": "x", "class": "NSAID"}]}"#, "/medications/0/class: " + slugMessage),
            (#"{"medications": [{"name": "x", "doseMg": 0}]}"#, "/medications/0/doseMg: must be greater than 0"),
            (#"{"medications": [{"name": "x", "doseMg": "50"}]}"#, "/medications/0/doseMg: must be a number"),
            (
                #"{"medications": [{"name": "x", "takenAt": "yesterday"}]}"#,
                "/medications/0/takenAt: " + timestampMessage
            ),
            (#"{"medications": [{"name": "x", "effective": 1}]}"#, "/medications/0/effective: must be true or false"),
            (#"{"medications": [{"name": "x", "dose": 5}]}"#, "/medications/0/dose: is not a known field"),
            (#"{"medications": [{"name": "x", "id": 5}]}"#, "/medications/0/id: is not a known field"),
            (#"{"stressLevel": 11}"#, "/stressLevel: must be between 0 and 10"),
            (#"{"disability": "extreme"}"#, "/disability: must be one of: none, mild, moderate, severe"),
            (#"{"notes": 5}"#, "/notes: must be a string"),
            (#"{"externalId": ""}"#, "/externalId: must not be empty"),
            (#"{"id": 5}"#, "/id: is managed by the server"),
            (#"{"createdAt": "2026-11-19T08:15:00Z"}"#, "/createdAt: is managed by the server"),
            (#"{"updatedAt": null}"#, "/updatedAt: is managed by the server"),
            (#"{"intensty": 5}"#, "/intensty: is not a known field"),
            (#"{"a/b~c": 1}"#, "/a~1b~0c: is not a known field"),
        ])
    func singleRule(overrides: String, expected: String) {
        #expect(
            failures { () throws(ValidationError) in
                _ = try Episode.Fields(validating: body(Self.valid, overrides), now: testNow)
            } == [expected])
    }

    @Test("text length limits count characters, not bytes")
    func lengths() {
        let notes = String(repeating: "é", count: 4000)
        #expect(
            failures { () throws(ValidationError) in
                _ = try Episode.Fields(validating: body(Self.valid, #"{"notes": "\#(notes)"}"#), now: testNow)
            } == ["(no error)"])
        #expect(
            failures { () throws(ValidationError) in
                _ = try Episode.Fields(validating: body(Self.valid, #"{"notes": "\#(notes)x"}"#), now: testNow)
            } == ["/notes: must be at most 4000 characters"])
        let externalId = String(repeating: "x", count: 101)
        #expect(
            failures { () throws(ValidationError) in
                _ = try Episode.Fields(validating: body(Self.valid, #"{"externalId": "\#(externalId)"}"#), now: testNow)
            } == ["/externalId: must be 1 to 100 characters"])
    }

    @Test("many failing fields are reported together, unknown members first, then in the contract's order")
    func many() {
        let bad = object(
            """
            {"id": 1, "intensity": "high", "startedAt": "nope", "symptoms": [1, "OK"], "medications": [{"doseMg": -1}],
             "foo": true, "disability": "none", "stressLevel": 10.5}
            """)
        #expect(
            failures { () throws(ValidationError) in _ = try Episode.Fields(validating: bad, now: testNow) } == [
                "/id: is managed by the server",
                "/foo: is not a known field",
                "/patientId: is required",
                "/startedAt: " + timestampMessage,
                "/intensity: must be an integer",
                "/symptoms/0: must be a string",
                "/symptoms/1: " + slugMessage,
                "/medications/0/name: is required",
                "/medications/0/doseMg: must be greater than 0",
                "/stressLevel: must be an integer",
            ])
    }

    @Test("an implied patient id stands in for a missing patientId; a given one is kept for the caller to compare")
    func impliedPatient() throws {
        var withoutPatient = Self.valid
        withoutPatient["patientId"] = nil
        #expect(try Episode.Fields(validating: withoutPatient, impliedPatientId: 9, now: testNow).patientId == 9)
        #expect(try Episode.Fields(validating: Self.valid, impliedPatientId: 9, now: testNow).patientId == 3)
    }

    @Test("a merge patch changes only what it names, null clears optional fields, required ones stay required")
    func mergePatch() throws {
        let stored = Episode(
            id: 4, fields: try Episode.Fields(validating: Self.valid, now: testNow), createdAt: testNow,
            updatedAt: testNow)
        let patched = try stored.patched(
            with: object(#"{"endedAt": null, "notes": "ok", "symptoms": []}"#), now: testNow)
        var expected = stored.fields
        expected.endedAt = nil
        expected.notes = "ok"
        expected.symptoms = []
        #expect(patched == expected)

        let cleared = try stored.patched(with: object(#"{"medications": null, "disability": null}"#), now: testNow)
        #expect(cleared.medications.isEmpty)
        #expect(cleared.disability == nil)

        #expect(
            failures { () throws(ValidationError) in
                _ = try stored.patched(with: object(#"{"intensity": null, "startedAt": null}"#), now: testNow)
            } == ["/startedAt: is required", "/intensity: is required"])
        #expect(
            failures { () throws(ValidationError) in
                _ = try stored.patched(with: object(#"{"id": null, "bogus": null, "updatedAt": "x"}"#), now: testNow)
            } == [
                "/id: is managed by the server", "/bogus: is not a known field", "/updatedAt: is managed by the server",
            ])
        #expect(
            failures { () throws(ValidationError) in
                _ = try stored.patched(with: object(#"{"startedAt": "2026-11-19T21:00:00Z"}"#), now: testNow)
            } == ["/endedAt: must not be before startedAt"], "rules between fields see the patched values")
        #expect(
            failures { () throws(ValidationError) in
                _ = try stored.patched(with: object(#"{"medications": [{"name": "x", "class": 5}]}"#), now: testNow)
            } == ["/medications/0/class: must be a string"])
    }
}

@Suite("Validating massage session bodies")
struct SessionValidationTests {
    static let valid = object(
        """
        {"patientId": 3, "therapistId": 2, "kind": "professional", "startedAt": "2026-11-18T16:00:00-08:00",
         "durationMinutes": 45, "techniques": ["neck_shoulder", "trigger_point"], "areas": ["neck", "shoulders"],
         "pressure": "medium", "triggerPointsReleased": 3, "essentialOils": ["lavender"], "warmCompress": true,
         "breathingExercise": false, "painBefore": 6, "painAfter": 3, "stressBefore": 7, "stressAfter": 4,
         "notes": "Tight trapezius.", "externalId": "s-1"}
        """)

    @Test("a complete body becomes the fields it describes")
    func complete() throws {
        let fields = try MassageSession.Fields(validating: Self.valid, now: testNow)
        #expect(fields.kind == .professional)
        #expect(fields.therapistId == 2)
        #expect(fields.startedAt == instant("2026-11-19T00:00:00Z"))
        #expect(fields.techniques == ["neck_shoulder", "trigger_point"])
        #expect(fields.warmCompress && !fields.breathingExercise)
        #expect(fields.painBefore == 6 && fields.painAfter == 3)
    }

    @Test("without kind, a therapist makes it professional and no therapist makes it self")
    func inferredKind() throws {
        var body = Self.valid
        body["kind"] = nil
        #expect(try MassageSession.Fields(validating: body, now: testNow).kind == .professional)
        body["therapistId"] = nil
        #expect(try MassageSession.Fields(validating: body, now: testNow).kind == .self)
    }

    @Test(
        "each rule fails alone at its own pointer",
        arguments: [
            (#"{"therapistId": null}"#, "/therapistId: is required when kind is professional"),
            (#"{"kind": "self"}"#, "/therapistId: must be null when kind is self"),
            (#"{"kind": "partner"}"#, "/kind: must be one of: professional, self"),
            (#"{"therapistId": -2}"#, "/therapistId: must be a positive integer id"),
            (#"{"durationMinutes": 0}"#, "/durationMinutes: must be between 1 and 240"),
            (#"{"durationMinutes": 241}"#, "/durationMinutes: must be between 1 and 240"),
            (#"{"durationMinutes": null}"#, "/durationMinutes: is required"),
            (#"{"techniques": []}"#, "/techniques: must list at least one technique"),
            (#"{"techniques": null}"#, "/techniques: is required"),
            (#"{"techniques": ["Swedish"]}"#, "/techniques/0: " + slugMessage),
            (#"{"areas": ["neck", "neck"]}"#, "/areas/1: repeats an earlier item"),
            (#"{"notes": "a\u0000b"}"#, "/notes: must not contain U+0000"),
            (#"{"externalId": "\u0000"}"#, "/externalId: must not contain U+0000"),
            (#"{"pressure": "hard"}"#, "/pressure: must be one of: light, medium, firm"),
            (#"{"triggerPointsReleased": -1}"#, "/triggerPointsReleased: must be at least 0"),
            (#"{"essentialOils": "lavender"}"#, "/essentialOils: must be an array"),
            (#"{"warmCompress": null}"#, "(no error)"),
            (#"{"breathingExercise": "yes"}"#, "/breathingExercise: must be true or false"),
            (#"{"painBefore": 11}"#, "/painBefore: must be between 0 and 10"),
            (#"{"painAfter": -1}"#, "/painAfter: must be between 0 and 10"),
            (#"{"stressBefore": 2.5}"#, "/stressBefore: must be an integer"),
            (#"{"stressAfter": true}"#, "/stressAfter: must be an integer"),
            (#"{"startedAt": "2026-11-18"}"#, "/startedAt: " + timestampMessage),
            (#"{"createdAt": null}"#, "/createdAt: is managed by the server"),
        ])
    func singleRule(overrides: String, expected: String) {
        #expect(
            failures { () throws(ValidationError) in
                _ = try MassageSession.Fields(validating: body(Self.valid, overrides), now: testNow)
            } == [expected])
    }

    @Test("a merge patch can turn a professional session into a self-massage only together with its therapist")
    func patchKind() throws {
        let stored = MassageSession(
            id: 1, fields: try MassageSession.Fields(validating: Self.valid, now: testNow), createdAt: testNow,
            updatedAt: testNow)
        #expect(
            failures { () throws(ValidationError) in
                _ = try stored.patched(with: object(#"{"kind": "self"}"#), now: testNow)
            }
                == ["/therapistId: must be null when kind is self"])
        let patched = try stored.patched(with: object(#"{"kind": "self", "therapistId": null}"#), now: testNow)
        #expect(patched.kind == .self && patched.therapistId == nil)
    }
}

@Suite("Validating patient and therapist bodies")
struct PersonValidationTests {
    @Test("a patient takes UTC by default and any IANA zone, but not abbreviations Foundation also knows")
    func timezones() throws {
        #expect(try Patient.Fields(validating: object(#"{"displayName": "Ada"}"#), now: testNow).timezone == "UTC")
        for zone in [
            "UTC", "Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata", "America/Argentina/Buenos_Aires", "Etc/UTC",
        ] {
            #expect(
                try Patient.Fields(validating: object(#"{"displayName": "Ada", "timezone": "\#(zone)"}"#), now: testNow)
                    .timezone == zone)
        }
        for zone in ["EST", "GMT+1", "GMT+01:00", "europe/berlin", "Mars/Olympus", "Europe/../Europe/Berlin", ""] {
            let errors = failures { () throws(ValidationError) in
                _ = try Patient.Fields(
                    validating: object(#"{"displayName": "Ada", "timezone": "\#(zone)"}"#), now: testNow)
            }
            #expect(errors.count == 1 && errors[0].hasPrefix("/timezone: "), "\(zone): \(errors)")
        }
    }

    @Test(
        "patient rules",
        arguments: [
            (#"{}"#, ["/displayName: is required"]),
            (#"{"displayName": ""}"#, ["/displayName: must not be empty"]),
            (#"{"displayName": "   "}"#, ["/displayName: must not be blank"]),
            (#"{"displayName": "A", "birthYear": 1899}"#, ["/birthYear: must be between 1900 and 2026"]),
            (#"{"displayName": "A", "birthYear": 2027}"#, ["/birthYear: must be between 1900 and 2026"]),
            (#"{"displayName": "A", "birthYear": 2026}"#, ["(no error)"]),
            (
                #"{"displayName": "A", "id": 1, "createdAt": 1, "nickname": "x"}"#,
                [
                    "/id: is managed by the server", "/createdAt: is managed by the server",
                    "/nickname: is not a known field",
                ]
            ),
            (
                #"{"displayName": 7, "timezone": 7, "birthYear": "1980", "externalId": 7, "notes": []}"#,
                [
                    "/displayName: must be a string", "/timezone: must be a string", "/birthYear: must be an integer",
                    "/externalId: must be a string", "/notes: must be a string",
                ]
            ),
        ])
    func patientRules(text: String, expected: [String]) {
        #expect(
            failures { () throws(ValidationError) in _ = try Patient.Fields(validating: object(text), now: testNow) }
                == expected)
    }

    @Test(
        "therapist rules",
        arguments: [
            (#"{"name": "G", "licenseNumber": "1"}"#, ["(no error)"]),
            (#"{}"#, ["/name: is required", "/licenseNumber: is required"]),
            (
                #"{"name": "G", "licenseNumber": "1", "email": "a@b@c"}"#,
                ["/email: must be an email address: one '@' with text on both sides and no spaces"]
            ),
            (
                #"{"name": "G", "licenseNumber": "1", "email": "@clinic.example"}"#,
                ["/email: must be an email address: one '@' with text on both sides and no spaces"]
            ),
            (
                #"{"name": "G", "licenseNumber": "1", "email": "g race@clinic.example"}"#,
                ["/email: must be an email address: one '@' with text on both sides and no spaces"]
            ),
            (#"{"name": "G", "licenseNumber": "1", "phone": "+1 (555) 010-2000"}"#, ["(no error)"]),
            (
                #"{"name": "G", "licenseNumber": "1", "phone": "call me"}"#,
                ["/phone: must be a phone number: digits, spaces and + - ( ) only"]
            ),
            (
                #"{"name": "G", "licenseNumber": "1", "phone": "12345678901234567890123456789012345678901"}"#,
                ["/phone: must be 1 to 40 characters"]
            ),
            (
                #"{"name": "G", "licenseNumber": "1", "yearsExperience": -1, "certifications": ["", "CMT", "CMT"], "techniques": ["Swedish"], "active": 0}"#,
                [
                    "/certifications/0: must not be empty", "/certifications/2: repeats an earlier item",
                    "/yearsExperience: must be between 0 and 100",
                    "/techniques/0: " + slugMessage, "/active: must be true or false",
                ]
            ),
        ])
    func therapistRules(text: String, expected: [String]) {
        #expect(
            failures { () throws(ValidationError) in _ = try Therapist.Fields(validating: object(text), now: testNow) }
                == expected)
    }

    @Test("therapists default to active without migraine experience")
    func therapistDefaults() throws {
        let fields = try Therapist.Fields(validating: object(#"{"name": "G", "licenseNumber": "1"}"#), now: testNow)
        #expect(
            fields.active && !fields.migraineExperience && fields.techniques.isEmpty && fields.certifications.isEmpty)
    }
}
