import HTTP
import JSON

/// `GET /v1/vocabulary` (any token): the known slugs of every vocabulary field, so a phone
/// shortcut or a form can offer them without copying the documentation.
struct VocabularyRoutes {
    /// Member name → the known values, in the order the documentation lists them. Open
    /// vocabularies accept other slugs too; `disability`, `pressure` and `kind` are closed.
    static let lists: [(String, [String])] = [
        ("symptoms", Vocabulary.symptoms),
        ("locations", Vocabulary.locations),
        ("triggers", Vocabulary.triggers),
        ("medicationClasses", Vocabulary.medicationClasses),
        ("reliefMeasures", Vocabulary.reliefMeasures),
        ("disability", Vocabulary.disabilities),
        ("techniques", Vocabulary.techniques),
        ("areas", Vocabulary.areas),
        ("pressure", Vocabulary.pressures),
        ("essentialOils", Vocabulary.essentialOils),
        ("kind", Vocabulary.sessionKinds),
    ]

    static let body: JSONValue = {
        var object = JSONObject()
        for (name, values) in lists { object.append(name, .array(values.map(JSONValue.string))) }
        return .object(object)
    }()

    static var schema: JSONValue {
        var properties = JSONObject()
        for (name, _) in lists { properties[name] = ["type": "array", "items": Schemas.slug] }
        return [
            "type": "object",
            "description":
                "The known slugs of each vocabulary field. disability, pressure and kind accept only these; the others accept any slug.",
            "required": .array(lists.map { .string($0.0) }),
            "properties": .object(properties),
        ]
    }

    func register(in api: inout APIBuilder) {
        api.add(
            Operation(
                method: "GET", path: "/v1/vocabulary", operationId: "getVocabulary",
                summary: "The known slugs of every vocabulary field.", tag: "vocabulary",
                access: .roles([.admin, .clinician, .patient], patientData: false),
                responses: [
                    .json(200, "The vocabularies.", Self.schema),
                    .problem(400, "A query parameter (this endpoint takes none)."),
                ])
        ) { request, _ in
            let parameters = try QueryParameters(request)
            try parameters.finish()
            return .json(Self.body)
        }
    }
}
