import HTTP

/// `GET /` and `/app/…`: the dashboard's static files, compiled into the binary
/// (`DashboardAssets`), served to anyone: they hold no data. The data comes from the API with
/// the bearer token the person pastes in.
///
/// Each file carries a strong ETag (a hash of its bytes) and `Cache-Control: no-cache`, so a
/// browser keeps its copy and a reload costs a 304 per file; a new binary with new files
/// changes the tags, so nobody runs stale script.
struct DashboardRoutes {
    /// Headers of every dashboard page: scripts and styles only from this origin, never in a
    /// frame, no referrer sent to anyone. The one style hash lets the printable report, opened
    /// from the dashboard as a blob (which keeps the dashboard's policy), use its own styles.
    static let securityHeaders: [(String, String)] = [
        (
            "Content-Security-Policy",
            "default-src 'self'; style-src 'self' '\(ReportPage.styleHash)'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        ),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
    ]

    func register(in api: inout APIBuilder) {
        let redirect = ResponseSpec.empty(
            302, "The dashboard lives at /app/.", headers: ["Location": "The dashboard's address."])
        api.add(
            Operation(
                method: "GET", path: "/", operationId: "getRoot", summary: "Redirects to the dashboard at /app/.",
                tag: "dashboard", access: .anyone, responses: [redirect])
        ) { _, _ in DashboardRoutes.redirect(to: "/app/") }
        api.add(
            Operation(
                method: "GET", path: "/app", operationId: "getDashboardWithoutSlash",
                summary: "Redirects to the dashboard at /app/ (its files are relative to that address).",
                tag: "dashboard", access: .anyone, responses: [redirect])
        ) { _, _ in DashboardRoutes.redirect(to: "/app/") }

        for asset in DashboardAssets.all {
            let path = asset.name == "index.html" ? "/app/" : "/app/\(asset.name)"
            api.add(
                Operation(
                    method: "GET", path: path,
                    operationId: "getDashboard" + (asset.name == "index.html" ? "Page" : asset.operationSuffix),
                    summary: asset.name == "index.html"
                        ? "The dashboard page (sign in by pasting a token; the data comes from the API)."
                        : "A static file of the dashboard (\(asset.name)).",
                    tag: "dashboard", access: .anyone,
                    parameters: [OpenAPI.ifNoneMatchParameter],
                    responses: [
                        ResponseSpec(
                            status: "200", description: "The file.", contentType: asset.contentType,
                            schema: ["type": "string"],
                            headers: ["ETag": "A strong tag of the file's bytes.", "Cache-Control": "no-cache"]),
                        .empty(304, "The copy named by If-None-Match is current.", headers: ["ETag": "As for 200."]),
                    ])
            ) { request, _ in
                var headers = HTTPHeaders()
                headers.add("ETag", asset.etag)
                headers.add("Cache-Control", "no-cache")
                for (name, value) in DashboardRoutes.securityHeaders { headers.add(name, value) }
                if ETag.ifNoneMatchMatches(request, current: asset.etag) {
                    return .empty(status: 304, headers: headers)
                }
                headers.add("Content-Type", asset.contentType)
                return HTTPResponse(status: 200, headers: headers, body: asset.bytes)
            }
        }
    }

    private static func redirect(to location: String) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("Location", location)
        headers.add("Cache-Control", "no-cache")
        return .empty(status: 302, headers: headers)
    }
}

/// One static file of the dashboard.
struct DashboardAsset: Sendable {
    let name: String
    let contentType: String
    let bytes: [UInt8]
    let etag: String

    init(name: String, contentType: String, text: String) {
        self.name = name
        self.contentType = contentType
        self.bytes = Array(text.utf8)
        self.etag = ContentTag.of(bytes)
    }

    /// "app.js" → "AppJs", for the operation id.
    var operationSuffix: String {
        name.split(whereSeparator: { $0 == "." || $0 == "-" }).map { $0.prefix(1).uppercased() + $0.dropFirst() }
            .joined()
    }
}
