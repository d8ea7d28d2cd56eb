import HTTP
import JSON
import SQLite

/// `/v1/tokens` (admin): issue, list and revoke bearer tokens (API.md "Authentication and roles").
struct TokensRoutes {
    let database: DatabasePool
    let clock: @Sendable () -> Int64

    func register(in api: inout APIBuilder) {
        let database = database
        let clock = clock
        let authenticator = api.accessControl.authenticator
        let idParameter = ParameterSpec(
            name: "id", location: .path, required: true, description: "The token's id.", schema: OpenAPI.idSchema)

        api.add(
            Operation(
                method: "POST", path: "/v1/tokens", operationId: "createToken",
                summary:
                    "Issue a bearer token. The response is the only time the token is shown; only its SHA-256 digest is stored.",
                tag: "access", access: .roles([.admin], patientData: false),
                requestSchema: OpenAPI.ref("TokenInput"),
                responses: [
                    .json(
                        201, "Issued; `token` is shown this once.", OpenAPI.ref("IssuedToken"),
                        headers: ["Location": "The path of the token's metadata."]),
                    .problem(400, "Malformed JSON."),
                    .problem(415, "The body is not application/json."),
                    .problem(422, "Validation failed, or the patient or therapist does not exist."),
                ])
        ) { request, _ in
            let grant = try TokenGrant(validating: try RequestBody.object(request), now: clock())
            let issued = try await database.write { connection in
                try TokenRepository(connection).insert(grant, now: clock())
            }
            guard case .object(var body) = issued.metadata.json else {
                preconditionFailure("token metadata renders an object")
            }
            body.append("token", .string(issued.token))
            var response = HTTPResponse.json(.object(body), status: 201)
            response.headers.add("Location", "/v1/tokens/\(issued.metadata.id)")
            return response
        }

        api.add(
            Operation(
                method: "GET", path: "/v1/tokens", operationId: "listTokens",
                summary: "List tokens (metadata only, never the tokens), by id ascending.",
                tag: "access", access: .roles([.admin], patientData: false),
                parameters: OpenAPI.pagingParameters.filter { $0.name != "updatedSince" } + [
                    .query("patientId", "Tokens bound to this patient.", OpenAPI.idSchema),
                    .query(
                        "role", "Tokens of this role.", ["type": "string", "enum": ["admin", "clinician", "patient"]]),
                ],
                responses: [
                    .json(200, "One page.", OpenAPI.ref("TokenList")),
                    .problem(400, "A malformed or unknown query parameter."),
                ])
        ) { request, _ in
            var parameters = try QueryParameters(request)
            let limit = parameters.int("limit", PageLimit.range) ?? PageLimit.default
            let cursor = parameters.string("cursor")
            let query = TokenQuery(
                patientId: parameters.id("patientId"),
                role: parameters.oneOf("role", Role.allCases.map(\.rawValue)).flatMap(Role.init(rawValue:)),
                limit: limit, cursor: cursor)
            try parameters.finish()
            let page = try await database.read { connection in try TokenRepository(connection).list(query) }
            return .json(page.json(\.json))
        }

        api.add(
            Operation(
                method: "GET", path: "/v1/tokens/{id}", operationId: "getToken",
                summary: "A token's metadata.", tag: "access", access: .roles([.admin], patientData: false),
                parameters: [idParameter],
                responses: [
                    .json(200, "The token's metadata.", OpenAPI.ref("Token")),
                    .problem(404, "No such token."),
                ])
        ) { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let token = try await database.read { connection in try TokenRepository(connection).find(id: id) }
            guard let token else { throw RecordsError.notFound }
            return .json(token.json)
        }

        api.add(
            Operation(
                method: "DELETE", path: "/v1/tokens/{id}", operationId: "revokeToken",
                summary: "Revoke a token: it stops working at once.", tag: "access",
                access: .roles([.admin], patientData: false), parameters: [idParameter],
                responses: [
                    .empty(204, "Revoked."),
                    .problem(404, "No such token."),
                ])
        ) { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let deleted = try await database.write { connection in try TokenRepository(connection).delete(id: id) }
            guard deleted else { throw RecordsError.notFound }
            authenticator.forget { $0.id == id }
            return .empty(status: 204)
        }
    }
}
