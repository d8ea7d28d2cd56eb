import HTTP

/// The responses the record and analytics routes share.
enum Responses {
    /// A JSON body with the headers every record response carries.
    static func json(_ body: [UInt8], status: Int = 200, etag: String? = nil) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json; charset=utf-8")
        headers.add("Cache-Control", "no-store")
        if let etag { headers.add("ETag", etag) }
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    /// 304: the copy the client named in `If-None-Match` is current.
    static func notModified(etag: String) -> HTTPResponse {
        .empty(status: 304, headers: ["ETag": etag, "Cache-Control": "no-store"])
    }

    /// 412: `If-Match` named another version.
    static func preconditionFailed() -> Problem {
        Problem(status: 412, detail: "The record has changed: If-Match does not match its current ETag.")
    }
}
