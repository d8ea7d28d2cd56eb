import Foundation
import JSON
import TestSupport
import Testing

@testable import ReliefLog

/// Bad parameters (400 naming the field), unknown patients (404), and the OpenAPI document.
@Suite("Analytics: parameters, errors and the OpenAPI document")
struct AnalyticsParametersTests {
    static let now = "2026-03-20T12:00:00Z"

    @Test("bad parameters answer 400 naming the field")
    func badParameters() async throws {
        try await AnalyticsHarness.run(now: Self.now) { h in
            let p = try await h.patient()
            let base = "/v1/patients/\(p)/analytics"
            let cases: [(String, [String])] = [
                ("\(base)/summary?from=2026-13-01", ["/from"]),
                ("\(base)/summary?to=yesterday", ["/to"]),
                ("\(base)/summary?from=", ["/from"]),
                ("\(base)/summary?from=2026-03-01&from=2026-03-02", ["/from"]),
                ("\(base)/summary?limit=5", ["/limit"]),
                ("\(base)/summary?from=2026-03-10&to=2026-03-10", ["/from"]),  // empty window
                ("\(base)/summary?from=2026-03-10&to=2026-03-01", ["/from"]),
                ("\(base)/summary?to=2026-01-01", ["/to"]),  // default from (02-21) is after it
                ("\(base)/summary?from=1900-01-01&to=2026-01-01", ["/from"]),  // > 36,600 days
                ("\(base)/summary?from=2026-03-01T10:00:00+01:00", ["/from"]),  // + unencoded reads as a space
                ("\(base)/trends?bucket=year", ["/bucket"]),
                ("\(base)/trends?bucket=day&from=2000-01-01&to=2020-01-01", ["/from"]),  // > 5,000 buckets
                ("\(base)/trends?bucket=week&from=2000-01-01&from=x", ["/from"]),
                ("\(base)/massage-effect?baselineDays=0", ["/baselineDays"]),
                ("\(base)/massage-effect?windowDays=3651", ["/windowDays"]),
                ("\(base)/massage-effect?baselineDays=1.5&windowDays=x", ["/baselineDays", "/windowDays"]),
                ("\(base)/massage-effect?from=2026-01-01", ["/from"]),
                ("/v1/analytics/overview?from=2026-02-30", ["/from"]),
                ("/v1/analytics/techniques?from=2026-03-02&to=2026-03-01", ["/from"]),
                ("/v1/analytics/therapists?patientId=1", ["/patientId"]),
            ]
            for (path, fields) in cases {
                let response = try await h.get(path)
                #expect(response.status == 400, "\(path): \(response.text)")
                #expect(response.header("Content-Type") == "application/problem+json", "\(path)")
                #expect(response.problemFields == fields, "\(path): \(response.text)")
            }
            // The limits themselves are fine: 36,600 days, 5,000 day buckets, 1 and 3650 days.
            for path in [
                "\(base)/summary?from=1926-01-01&to=2026-03-17",
                "\(base)/trends?bucket=day&from=2010-01-01&to=2023-09-10",
                "\(base)/massage-effect?baselineDays=1&windowDays=3650",
            ] {
                #expect(try await h.get(path).status == 200, "\(path)")
            }
        }
    }

    @Test("unknown patients answer 404")
    func unknownPatient() async throws {
        try await AnalyticsHarness.run(now: Self.now) { h in
            for endpoint in ["summary", "trends", "massage-effect"] {
                for id in ["999", "0", "-1"] {
                    let response = try await h.get("/v1/patients/\(id)/analytics/\(endpoint)")
                    #expect(response.status == 404, "\(endpoint) \(id): \(response.text)")
                }
            }
        }
    }

    @Test("the OpenAPI document describes every analytics operation and the schemas match the responses")
    func openAPI() async throws {
        try await AnalyticsHarness.run(now: Self.now) { h in
            let p = try await h.patient()
            let t = try await h.therapist("Dana", license: "O-1")
            try await h.episode(
                p, "2026-03-10T10:00:00Z", ended: "2026-03-10T12:00:00Z", intensity: 5,
                extra:
                    #", "triggers": ["stress"], "symptoms": ["nausea"], "medications": [{"name": "S", "class": "triptan"}]"#
            )
            try await h.session(p, "2026-03-01T10:00:00Z", therapist: t, pain: (5, 2), stress: (4, 4))
            let document = try JSON.parse(try await h.get("/openapi.json").body)
            let paths = try #require(document.objectValue?["paths"]?.objectValue)
            let schemas = try #require(document.objectValue?["components"]?.objectValue?["schemas"]?.objectValue)
            let requests: [(String, String, [String])] = [
                (
                    "/v1/patients/{id}/analytics/summary", "/v1/patients/\(p)/analytics/summary",
                    ["200", "304", "400", "404"]
                ),
                (
                    "/v1/patients/{id}/analytics/trends", "/v1/patients/\(p)/analytics/trends",
                    ["200", "304", "400", "404"]
                ),
                (
                    "/v1/patients/{id}/analytics/massage-effect", "/v1/patients/\(p)/analytics/massage-effect",
                    ["200", "304", "400", "404"]
                ),
                (
                    "/v1/patients/{id}/analytics/massage-effect",
                    "/v1/patients/\(try await h.patient())/analytics/massage-effect", []
                ),
                ("/v1/analytics/overview", "/v1/analytics/overview", ["200", "304", "400"]),
                ("/v1/analytics/techniques", "/v1/analytics/techniques", ["200", "304", "400"]),
                ("/v1/analytics/therapists", "/v1/analytics/therapists", ["200", "304", "400"]),
            ]
            for (template, path, statuses) in requests {
                let operation = try #require(paths[template]?.objectValue?["get"]?.objectValue, "\(template)")
                let responses = try #require(operation["responses"]?.objectValue)
                for status in statuses { #expect(responses[status] != nil, "\(template) \(status)") }
                let parameters = operation["parameters"]?.arrayValue ?? []
                #expect(parameters.allSatisfy { $0.objectValue?["schema"] != nil })
                let schema = try #require(
                    responses["200"]?.objectValue?["content"]?.objectValue?["application/json"]?.objectValue?["schema"])
                let body = try await h.analytics(path)
                let problems = SchemaCheck(schemas: schemas).validate(body, schema, at: "")
                #expect(problems.isEmpty, "\(path): \(problems)")
            }
        }
    }
}

/// A small JSON Schema checker for the keywords our analytics schemas use (type, required,
/// properties, additionalProperties, items, enum, const, minimum, maxItems, anyOf, $ref).
struct SchemaCheck {
    let schemas: JSONObject

    func validate(_ value: JSONValue, _ schema: JSONValue, at path: String) -> [String] {
        guard var s = schema.objectValue else { return [] }
        if let ref = s["$ref"]?.stringValue {
            let name = String(ref.split(separator: "/").last ?? "")
            guard let target = schemas[name] else { return ["\(path): unknown \(ref)"] }
            return validate(value, target, at: path)
        }
        var problems: [String] = []
        if let options = s["anyOf"]?.arrayValue {
            // Format-only alternatives (no type) always pass here.
            if !options.contains(where: { validate(value, $0, at: path).isEmpty }) {
                problems.append("\(path): no anyOf matches")
            }
            s["anyOf"] = nil
        }
        if let type = s["type"] {
            let allowed = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue ?? ""]
            guard allowed.contains(where: { matches(value, $0) }) else {
                return problems + ["\(path): \(JSON.string(value)) is not \(allowed)"]
            }
        }
        if let values = s["enum"]?.arrayValue, !values.contains(value) { problems.append("\(path): not in enum") }
        if let constant = s["const"], constant != value { problems.append("\(path): not the const") }
        if let minimum = s["minimum"]?.doubleValue, let number = value.doubleValue, number < minimum {
            problems.append("\(path): below minimum")
        }
        if case .object(let object) = value {
            for name in s["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[name] == nil {
                problems.append("\(path)/\(name): missing")
            }
            let properties = s["properties"]?.objectValue ?? JSONObject()
            for (name, member) in object {
                if let property = properties[name] {
                    problems += validate(member, property, at: "\(path)/\(name)")
                } else if s["additionalProperties"] == false {
                    problems.append("\(path)/\(name): not in the schema")
                }
            }
        }
        if case .array(let items) = value {
            if let maximum = s["maxItems"]?.int64Value, items.count > maximum {
                problems.append("\(path): too many items")
            }
            if let itemSchema = s["items"] {
                for (i, item) in items.enumerated() { problems += validate(item, itemSchema, at: "\(path)/\(i)") }
            }
        }
        return problems
    }

    private func matches(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): true
        case ("number", .number): true
        case ("integer", .number(.integer)): true
        default: false
        }
    }
}
