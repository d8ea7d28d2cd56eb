import HTTP
import JSON

/// `GET /v1/me`: who the presented token is (role and what it is bound to), so a client such as
/// the dashboard can pick its view without probing endpoints it may not call.
struct CallerRoutes {
    func register(in api: inout APIBuilder) {
        let id: JSONValue = ["type": ["integer", "null"], "minimum": 1]
        api.add(
            Operation(
                method: "GET", path: "/v1/me", operationId: "getCaller",
                summary: "The calling token's role and the patient or therapist it is bound to.", tag: "tokens",
                access: .roles([.admin, .clinician, .patient], patientData: false),
                responses: [
                    .json(
                        200, "The caller.",
                        Schemas.exact(
                            "The token that made the request.",
                            [
                                "tokenId": OpenAPI.idSchema, "role": Schemas.roleSchema,
                                "patientId": id, "therapistId": id,
                            ]))
                ])
        ) { _, context in
            let caller = context.authenticated
            var object = JSONObject()
            object.append("tokenId", JSONValue(caller.tokenId))
            object.append("role", .string(caller.role.rawValue))
            object.append("patientId", caller.patientId.map { JSONValue($0) } ?? .null)
            object.append("therapistId", caller.therapistId.map { JSONValue($0) } ?? .null)
            return Responses.json(JSON.serialize(.object(object)))
        }
    }
}
