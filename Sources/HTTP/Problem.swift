public import JSON

/// An error answered as RFC 9457 problem details (`application/problem+json`).
///
/// Every 4xx and 5xx this server sends is built from a `Problem`, in one place
/// (`Problem.response`), so all errors look alike to a client.
public struct Problem: Error, Sendable, CustomStringConvertible {
    /// One failing input: a JSON Pointer into the request body (or query) and what is wrong.
    public struct FieldError: Sendable, Equatable {
        public var field: String
        public var message: String

        public init(field: String, message: String) {
            self.field = field
            self.message = message
        }
    }

    public var status: Int
    /// A URI reference naming the problem type; `about:blank` means "see the status code".
    public var type: String
    public var title: String
    public var detail: String?
    public var errors: [FieldError]
    /// Headers the problem needs (`Allow` on 405, `Retry-After` on 429, `WWW-Authenticate` on 401).
    public var headers: HTTPHeaders
    /// Extra members (RFC 9457 §3.2 extension members).
    public var extensions: JSONObject

    public init(
        status: Int, type: String = "about:blank", title: String? = nil, detail: String? = nil,
        errors: [FieldError] = [], headers: HTTPHeaders = [:], extensions: JSONObject = [:]
    ) {
        self.status = status
        self.type = type
        self.title = title ?? HTTPStatus.reasonPhrase(status)
        self.detail = detail
        self.errors = errors
        self.headers = headers
        self.extensions = extensions
    }

    public var description: String { "\(status) \(title)\(detail.map { ": \($0)" } ?? "")" }

    public var json: JSONValue {
        var object = JSONObject()
        object.append("type", .string(type))
        object.append("title", .string(title))
        object.append("status", .number(.integer(Int64(status))))
        if let detail { object.append("detail", .string(detail)) }
        if !errors.isEmpty {
            object.append(
                "errors",
                .array(
                    errors.map { error in
                        var item = JSONObject()
                        item.append("field", .string(error.field))
                        item.append("message", .string(error.message))
                        return .object(item)
                    }))
        }
        for (key, value) in extensions where object[key] == nil { object.append(key, value) }
        return .object(object)
    }

    public var response: HTTPResponse {
        var headers = headers
        headers.replaceOrAdd("Content-Type", "application/problem+json")
        return HTTPResponse(status: status, headers: headers, body: JSON.serialize(json))
    }
}

/// An error that knows which problem it is. Domain errors conform to this in the layer that
/// maps them to HTTP, so the domain itself stays free of status codes.
public protocol ProblemConvertible: Error {
    var problem: Problem { get }
}

extension Problem: ProblemConvertible {
    public var problem: Problem { self }
}

extension Problem {
    public static func badRequest(_ detail: String, errors: [FieldError] = []) -> Problem {
        Problem(status: 400, detail: detail, errors: errors)
    }

    public static func notFound(_ detail: String = "No resource at this path.") -> Problem {
        Problem(status: 404, detail: detail)
    }

    public static func methodNotAllowed(allowed: [String]) -> Problem {
        Problem(
            status: 405, detail: "Allowed methods: \(allowed.joined(separator: ", ")).",
            headers: ["Allow": allowed.joined(separator: ", ")])
    }

    public static func unsupportedMediaType(_ detail: String) -> Problem {
        Problem(status: 415, detail: detail)
    }

    public static func internalError() -> Problem {
        Problem(status: 500, detail: "The server failed to handle this request; it has been logged.")
    }
}
