import JSON

// The records as FHIR R4 (4.0.1) resources (the contract's "FHIR R4"; docs/fhir.md has the
// mapping table). Pure: records in, JSON out.
//
// - Patient → Patient; Therapist → Practitioner.
// - Episode → a symptom Observation in the manner of the HL7 Symptoms IG: code LOINC 75325-1
//   (Symptom), the headache as valueCodeableConcept in SNOMED CT, effectivePeriod, a component
//   LOINC 72514-3 (pain severity 0–10) with the intensity, and components for symptoms,
//   locations, triggers and relief measures in our own code systems. Each medication is a
//   MedicationStatement that is partOf the Observation.
// - Session → Procedure (performer the therapist, bodySite from the areas) with pain and stress
//   before and after as Observations partOf it.
// Codes without a public code system live under `urn:relieflog:codes:`.

enum FHIR {
    static let loinc = "http://loinc.org"
    static let snomed = "http://snomed.info/sct"
    static let ucum = "http://unitsofmeasure.org"

    /// SNOMED CT concepts for the headache an episode records.
    enum Headache {
        static let migraineWithAura: JSONValue = coding(snomed, "4473006", "Migraine with aura")
        static let migraineWithoutAura: JSONValue = coding(snomed, "56097005", "Migraine without aura")
        static let headache: JSONValue = coding(snomed, "25064002", "Headache")
    }

    static let symptomCode: JSONValue = coding(loinc, "75325-1", "Symptom")
    static let painSeverityCode: JSONValue = coding(
        loinc, "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported")

    static func coding(_ system: String, _ code: String, _ display: String? = nil) -> JSONValue {
        var object: JSONObject = ["system": .string(system), "code": .string(code)]
        if let display { object.append("display", .string(display)) }
        return .object(object)
    }

    static func concept(_ codings: [JSONValue], text: String? = nil) -> JSONValue {
        var object: JSONObject = ["coding": .array(codings)]
        if let text { object.append("text", .string(text)) }
        return .object(object)
    }

    /// A concept in one of our own code systems, `urn:relieflog:codes:<system>`.
    static func ours(_ system: String, _ code: String) -> JSONValue {
        concept([coding("urn:relieflog:codes:\(system)", code)])
    }

    static func identifiers(_ collection: String, _ id: String, externalId: String?) -> JSONValue {
        var list: [JSONValue] = [["system": .string("urn:relieflog:\(collection)"), "value": .string(id)]]
        if let externalId {
            list.append(["system": .string("urn:relieflog:\(collection):externalId"), "value": .string(externalId)])
        }
        return .array(list)
    }

    static func reference(_ type: String, _ id: String) -> JSONValue {
        ["reference": .string("\(type)/\(id)")]
    }

    static func meta(_ updatedAt: Int64) -> JSONValue {
        ["lastUpdated": .string(Timestamp.formatWithMilliseconds(updatedAt))]
    }

    static func dateTime(_ instant: Int64) -> JSONValue { .string(Timestamp.format(instant)) }

    // MARK: Resources

    static func patient(_ patient: Patient) -> JSONValue {
        var object: JSONObject = [
            "resourceType": "Patient", "id": .string(String(patient.id)), "meta": meta(patient.updatedAt),
            "identifier": identifiers("patients", String(patient.id), externalId: patient.externalId),
            "name": [["text": .string(patient.displayName)]],
        ]
        if let year = patient.birthYear { object.append("birthDate", .string(String(format4(year)))) }
        object.append(
            "extension",
            [
                [
                    "url": "http://hl7.org/fhir/StructureDefinition/timezone",
                    "valueCode": .string(patient.timezone),
                ]
            ])
        return .object(object)
    }

    private static func format4(_ year: Int) -> String {
        let digits = String(year)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    static func practitioner(_ therapist: Therapist) -> JSONValue {
        var object: JSONObject = [
            "resourceType": "Practitioner", "id": .string(String(therapist.id)), "meta": meta(therapist.updatedAt),
            "identifier": identifiers("therapists", String(therapist.id), externalId: therapist.externalId),
            "active": .bool(therapist.active), "name": [["text": .string(therapist.name)]],
        ]
        var telecom: [JSONValue] = []
        if let email = therapist.email { telecom.append(["system": "email", "value": .string(email)]) }
        if let phone = therapist.phone { telecom.append(["system": "phone", "value": .string(phone)]) }
        if !telecom.isEmpty { object.append("telecom", .array(telecom)) }
        var license: JSONObject = ["value": .string(therapist.licenseNumber)]
        license.append(
            "system", .string("urn:relieflog:licenses:\(therapist.licenseJurisdiction ?? "unspecified")"))
        var qualifications: [JSONValue] = [
            ["identifier": [.object(license)], "code": ["text": "Massage therapy license"]]
        ]
        for certification in therapist.certifications {
            qualifications.append(["code": ["text": .string(certification)]])
        }
        object.append("qualification", .array(qualifications))
        return .object(object)
    }

    /// The episode's Observation and its MedicationStatements.
    static func episode(_ episode: Episode) -> [JSONValue] {
        let id = "episode-\(episode.id)"
        let subject = reference("Patient", String(episode.patientId))
        let headache: JSONValue
        if episode.aura {
            headache = Headache.migraineWithAura
        } else if !episode.symptoms.isEmpty {
            headache = Headache.migraineWithoutAura
        } else {
            headache = Headache.headache
        }
        var period: JSONObject = ["start": dateTime(episode.startedAt)]
        if let end = episode.endedAt { period.append("end", dateTime(end)) }
        var components: [JSONValue] = [
            ["code": concept([painSeverityCode]), "valueInteger": .number(.integer(Int64(episode.intensity)))]
        ]
        func add(_ kind: String, _ system: String, _ slugs: [String]) {
            for slug in slugs {
                components.append([
                    "code": ours("observation-components", kind), "valueCodeableConcept": ours(system, slug),
                ])
            }
        }
        add("associated-symptom", "symptoms", episode.symptoms)
        add("location", "locations", episode.locations)
        add("trigger", "triggers", episode.triggers)
        add("relief-measure", "relief-measures", episode.reliefMeasures)
        if let stress = episode.stressLevel {
            components.append([
                "code": ours("observation-components", "stress-level"),
                "valueInteger": .number(.integer(Int64(stress))),
            ])
        }
        if let disability = episode.disability {
            components.append([
                "code": ours("observation-components", "disability"),
                "valueCodeableConcept": ours("disability", disability),
            ])
        }
        var observation: JSONObject = [
            "resourceType": "Observation", "id": .string(id), "meta": meta(episode.updatedAt),
            "identifier": identifiers("episodes", String(episode.id), externalId: episode.externalId),
            "status": .string(episode.endedAt == nil ? "preliminary" : "final"),
            "category": [
                concept([coding("http://terminology.hl7.org/CodeSystem/observation-category", "survey", "Survey")])
            ],
            "code": concept([symptomCode]), "subject": subject, "effectivePeriod": .object(period),
            "valueCodeableConcept": concept([headache]), "component": .array(components),
        ]
        if let notes = episode.notes, !notes.isEmpty { observation.append("note", [["text": .string(notes)]]) }
        var resources: [JSONValue] = [.object(observation)]
        for (index, medication) in episode.medications.enumerated() {
            var codings: [JSONValue] = []
            if let medicationClass = medication.medicationClass {
                codings.append(coding("urn:relieflog:codes:medication-classes", medicationClass))
            }
            var statement: JSONObject = [
                "resourceType": "MedicationStatement", "id": .string("\(id)-medication-\(index)"),
                "identifier": [
                    ["system": "urn:relieflog:episodes:medications", "value": .string("\(episode.id)-\(index)")]
                ],
                "status": "completed", "partOf": [reference("Observation", id)],
                "medicationCodeableConcept": concept(codings, text: medication.name), "subject": subject,
                "effectiveDateTime": dateTime(medication.takenAt ?? episode.startedAt),
            ]
            if let dose = medication.doseMg {
                statement.append(
                    "dosage",
                    [
                        [
                            "doseAndRate": [
                                [
                                    "doseQuantity": [
                                        "value": Medication.number(dose), "unit": "mg", "system": .string(ucum),
                                        "code": "mg",
                                    ]
                                ]
                            ]
                        ]
                    ])
            }
            if let effective = medication.effective {
                statement.append(
                    "note", [["text": .string(effective ? "Reported effective." : "Reported not effective.")]])
            }
            resources.append(.object(statement))
        }
        return resources
    }

    /// The session's Procedure and its before/after Observations.
    static func session(_ session: MassageSession) -> [JSONValue] {
        let id = "session-\(session.id)"
        let subject = reference("Patient", String(session.patientId))
        let end = session.startedAt + Int64(session.durationMinutes) * 60_000
        let performer: JSONValue =
            session.therapistId.map { ["actor": reference("Practitioner", String($0))] }
            ?? ["actor": subject]
        var procedure: JSONObject = [
            "resourceType": "Procedure", "id": .string(id), "meta": meta(session.updatedAt),
            "identifier": identifiers("sessions", String(session.id), externalId: session.externalId),
            "status": "completed",
            "category": ours("session-kinds", session.kind.rawValue),
            "code": concept(
                session.techniques.map { coding("urn:relieflog:codes:massage-techniques", $0) },
                text: "Massage (\(session.techniques.joined(separator: ", ")))"),
            "subject": subject,
            "performedPeriod": ["start": dateTime(session.startedAt), "end": dateTime(end)],
            "performer": [performer],
        ]
        if !session.areas.isEmpty {
            procedure.append("bodySite", .array(session.areas.map { ours("massage-areas", $0) }))
        }
        var notes: [JSONValue] = []
        if let pressure = session.pressure { notes.append(["text": .string("Pressure: \(pressure).")]) }
        if let notesText = session.notes, !notesText.isEmpty { notes.append(["text": .string(notesText)]) }
        if !notes.isEmpty { procedure.append("note", .array(notes)) }
        var resources: [JSONValue] = [.object(procedure)]
        let measures: [(String, Int?, JSONValue, Int64)] = [
            ("pain-before", session.painBefore, concept([painSeverityCode]), session.startedAt),
            ("pain-after", session.painAfter, concept([painSeverityCode]), end),
            ("stress-before", session.stressBefore, ours("observation-components", "stress-level"), session.startedAt),
            ("stress-after", session.stressAfter, ours("observation-components", "stress-level"), end),
        ]
        for (name, value, code, at) in measures {
            guard let value else { continue }
            resources.append([
                "resourceType": "Observation", "id": .string("\(id)-\(name)"),
                "identifier": [
                    ["system": "urn:relieflog:sessions:observations", "value": .string("\(session.id)-\(name)")]
                ],
                "status": "final", "partOf": [reference("Procedure", id)], "code": code, "subject": subject,
                "effectiveDateTime": dateTime(at), "valueInteger": .number(.integer(Int64(value))),
            ])
        }
        return resources
    }

    // MARK: Protocol resources

    static func capabilityStatement(date: Int64, version: String) -> JSONValue {
        [
            "resourceType": "CapabilityStatement", "status": "active", "date": dateTime(date),
            "kind": "instance", "fhirVersion": "4.0.1", "format": ["application/fhir+json", "json"],
            "software": ["name": "ReliefLog", "version": .string(version)],
            "implementation": ["description": "ReliefLog migraine diary and massage-session records"],
            "rest": [
                [
                    "mode": "server",
                    "documentation": "Bearer tokens as for /v1 (Authorization: Bearer <token>); metadata needs none.",
                    "resource": [
                        [
                            "type": "Patient", "interaction": [["code": "read"]],
                            "operation": [
                                [
                                    "name": "everything",
                                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                                ],
                                [
                                    "name": "export",
                                    "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export",
                                ],
                            ],
                        ],
                        ["type": "Practitioner", "interaction": [["code": "read"]]],
                        ["type": "Observation"], ["type": "MedicationStatement"], ["type": "Procedure"],
                    ],
                    "operation": [
                        ["name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"]
                    ],
                ]
            ],
        ]
    }
}
