public import HTTP
import JSON
public import SQLite

// Where errors become HTTP: every error of the domain, storage, access and analytics layers
// that a client can cause is mapped to its RFC 9457 problem here, and nowhere else. Anything
// not listed is a 500 with nothing of its internals in the body (`Router`).

extension ValidationError: ProblemConvertible {
    /// 422 listing every failing member (API.md "Errors").
    var problem: Problem {
        Problem(
            status: 422, type: "urn:relieflog:problem:validation", title: "Validation failed",
            detail: failures.count == 1 ? "1 field is invalid." : "\(failures.count) fields are invalid.",
            errors: failures.map { Problem.FieldError(field: $0.field, message: $0.message) })
    }
}

extension RecordsError: ProblemConvertible {
    var problem: Problem {
        switch self {
        case .notFound:
            return .notFound("No such record.")
        case .conflict(let field, let message):
            return Problem(
                status: 409, detail: "The request conflicts with stored data: \(message).",
                errors: field.map { [Problem.FieldError(field: "/" + $0, message: message)] } ?? [])
        case .missingReference(let field):
            return ValidationError.single(JSONPointer.root.appending(field), "names no existing record").problem
        case .invalidCursor:
            return Problem.badRequest(
                "The cursor is not valid for this list; use the nextCursor of the previous page.",
                errors: [Problem.FieldError(field: "/cursor", message: "is not a cursor of this list")])
        case .storedDataInvalid:
            return .internalError()
        }
    }
}

extension AccessDenied: ProblemConvertible {
    var problem: Problem {
        switch self {
        case .role(let role):
            Problem(
                status: 403, type: "urn:relieflog:problem:forbidden", title: "Forbidden",
                detail: "A \(role.rawValue) token may not do this.")
        case .other(let detail):
            Problem(status: 403, type: "urn:relieflog:problem:forbidden", title: "Forbidden", detail: detail)
        }
    }
}

extension AuthenticationFailure: ProblemConvertible {
    /// 401 with the `WWW-Authenticate` challenge of RFC 6750 §3 (503 when the token could not
    /// be looked up).
    var problem: Problem {
        let error: String?
        let detail: String
        switch self {
        case .missing: (error, detail) = (nil, "This endpoint needs an Authorization: Bearer token.")
        case .malformed:
            (error, detail) = ("invalid_request", "The Authorization header must be exactly one 'Bearer <token>'.")
        case .invalid: (error, detail) = ("invalid_token", "The bearer token is not valid (unknown or revoked).")
        case .expired: (error, detail) = ("invalid_token", "The bearer token has expired.")
        case .unavailable:
            return Problem(status: 503, detail: "The token could not be checked: the database is unavailable.")
        }
        var challenge = #"Bearer realm="relieflog""#
        if let error { challenge += #", error="\#(error)""# }
        return Problem(
            status: 401, type: "urn:relieflog:problem:unauthorized", title: "Unauthorized", detail: detail,
            headers: ["WWW-Authenticate": challenge])
    }
}

extension AnalyticsError: ProblemConvertible {
    var problem: Problem {
        switch self {
        case .noSuchPatient:
            return .notFound("No such patient.")
        case .invalidWindow(let field, let message):
            // Shaped like `QueryParameters.finish()`'s 400, naming the parameter at fault.
            return Problem(
                status: 400, type: "urn:relieflog:problem:invalid-query", title: "Invalid query parameters",
                detail: "1 query parameter is invalid.",
                errors: [Problem.FieldError(field: "/" + field, message: message)])
        }
    }
}

extension IdempotencyError: ProblemConvertible {
    var problem: Problem {
        Problem(
            status: 422, type: "urn:relieflog:problem:idempotency-key-reused", title: "Idempotency key reused",
            detail: "This Idempotency-Key was already used with a different request body.")
    }
}

extension SQLiteError: ProblemConvertible {
    /// A storage failure (full disk, I/O error, read-only file system, a lock held too long) is
    /// 503 "database unavailable": nothing of the request was saved and the same request may
    /// succeed later. So is a write rolled back with its batch because another write in it hit
    /// such a failure (`SQLITE_ABORT`). Anything else is a 500 revealing nothing; the router
    /// logs both, since an operator has to act.
    public var problem: Problem {
        guard isStorageUnavailable || isAbort else { return .internalError() }
        let detail =
            isDiskFull
            ? "The server's disk is full, so nothing was saved. Reads still work; retry once space is freed."
            : "The database could not store this change, so nothing was saved. Retry later."
        return Problem(
            status: 503, type: "urn:relieflog:problem:storage-unavailable", title: "Storage unavailable",
            detail: detail)
    }
}

extension ImportRejected: ProblemConvertible {
    /// 422 listing the bad rows by line and field (the first 100) and counting them all.
    var problem: Problem {
        let errors: [JSONValue] = issues.map { issue in
            [
                "line": .number(.integer(Int64(issue.line))), "field": .string(issue.field),
                "message": .string(issue.message),
            ]
        }
        return Problem(
            status: 422, type: "urn:relieflog:problem:import-rejected", title: "Import rejected",
            detail: invalidRows == 1
                ? "1 row is invalid; nothing was written." : "\(invalidRows) rows are invalid; nothing was written.",
            extensions: ["errors": .array(errors), "invalidRows": .number(.integer(Int64(invalidRows)))])
    }
}

extension ImportLimitExceeded: ProblemConvertible {
    /// 413 naming the limit, its value and the line of the file where it was passed.
    var problem: Problem {
        Problem(
            status: 413, type: "urn:relieflog:problem:import-too-large", title: "Import too large",
            detail: "The file passes an import limit at line \(line): \(what) (\(limit)); nothing was written.",
            extensions: [
                "line": .number(.integer(Int64(line))), "limit": .string(limit),
                "maximum": .number(.integer(Int64(maximum))),
            ])
    }
}
