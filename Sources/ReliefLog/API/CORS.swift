import HTTP

/// Cross-origin requests from browsers on the origins of `http.corsOrigins` (empty by default):
/// a preflight from a listed origin is answered here with 204, and every response to a listed
/// origin names that origin (never `*`) and exposes the headers a client needs. Requests from
/// other origins, or without `Origin`, pass through untouched and get no CORS headers, so the
/// browser refuses to hand their responses to the page. Credentials are bearer tokens a script
/// sets itself; no cookies are involved, so `Access-Control-Allow-Credentials` is never sent.
struct CORSResponder: HTTPResponder {
    let origins: Set<String>
    let next: any HTTPResponder

    static let allowedMethods = "GET, POST, PATCH, DELETE"
    static let allowedHeaders = "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key"
    static let exposedHeaders = "ETag, Location, Retry-After"

    func respond(to request: HTTPServerRequest) async -> HTTPResponse {
        guard let origin = request.headers["Origin"], origins.contains(origin) else {
            var response = await next.respond(to: request)
            // Answers differ by Origin: a shared cache must keep them apart.
            response.headers.add("Vary", "Origin")
            return response
        }
        if request.method == "OPTIONS", request.headers["Access-Control-Request-Method"] != nil {
            var headers: HTTPHeaders = [:]
            headers.add("Access-Control-Allow-Origin", origin)
            headers.add("Access-Control-Allow-Methods", Self.allowedMethods)
            headers.add("Access-Control-Allow-Headers", Self.allowedHeaders)
            headers.add("Access-Control-Max-Age", "600")
            headers.add("Vary", "Origin")
            return HTTPResponse(status: 204, headers: headers, route: "(CORS preflight)")
        }
        var response = await next.respond(to: request)
        response.headers.replaceOrAdd("Access-Control-Allow-Origin", origin)
        response.headers.replaceOrAdd("Access-Control-Expose-Headers", Self.exposedHeaders)
        response.headers.add("Vary", "Origin")
        return response
    }

    /// Whether `origin` is written as browsers send it: `scheme://host[:port]`, nothing after.
    static func isOrigin(_ origin: String) -> Bool {
        guard let schemeEnd = origin.range(of: "://") else { return false }
        let scheme = origin[..<schemeEnd.lowerBound]
        let rest = origin[schemeEnd.upperBound...]
        return (scheme == "http" || scheme == "https") && !rest.isEmpty
            && !rest.contains { $0 == "/" || $0 == "?" || $0 == "#" || $0 == "*" || $0 == " " }
    }
}
