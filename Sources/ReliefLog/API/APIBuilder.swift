import HTTP
import JSON
import Logging

/// Who may call an endpoint. Every endpoint states it when it is registered: there is no
/// default, so a route cannot be added without someone deciding who may reach it.
public enum Access: Sendable, Hashable {
    /// Operational endpoints (`/healthz`, `/readyz`, `/metrics`, `/openapi.json`): no credentials.
    case anyone
}

/// One documented response of an operation.
struct ResponseSpec {
    var status: String
    var description: String
    var contentType: String?
    var schema: JSONValue?
    var headers: [String: String] = [:]  // header name → description

    static func json(_ status: Int, _ description: String, _ schema: JSONValue, headers: [String: String] = [:]) -> ResponseSpec {
        ResponseSpec(status: String(status), description: description, contentType: "application/json", schema: schema, headers: headers)
    }

    static func problem(_ status: Int, _ description: String) -> ResponseSpec {
        ResponseSpec(status: String(status), description: description, contentType: "application/problem+json", schema: OpenAPI.ref("Problem"))
    }

    static func empty(_ status: Int, _ description: String, headers: [String: String] = [:]) -> ResponseSpec {
        ResponseSpec(status: String(status), description: description, contentType: nil, schema: nil, headers: headers)
    }
}

/// A query, path or header parameter as the OpenAPI document describes it.
struct ParameterSpec {
    enum Location: String { case query, path, header }
    var name: String
    var location: Location
    var required: Bool
    var description: String
    var schema: JSONValue
}

/// The description of an endpoint: what the router needs, what the OpenAPI document says,
/// and who may call it.
struct Operation {
    var method: String
    var path: String
    var operationId: String
    var summary: String
    var tag: String
    var access: Access
    var parameters: [ParameterSpec] = []
    var requestSchema: JSONValue? = nil
    var requestContentTypes: [String] = ["application/json"]
    var responses: [ResponseSpec]
}

/// Registers endpoints into the HTTP router and the OpenAPI document at once, so the
/// document cannot drift from what the server really serves.
struct APIBuilder {
    private(set) var router = RouterBuilder()
    private(set) var operations: [Operation] = []

    mutating func add(_ operation: Operation, handler: @escaping HTTPHandler) {
        operations.append(operation)
        router.add(operation.method, operation.path, handler: handler)
    }
}
