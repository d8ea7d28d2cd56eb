import HTTP
import JSON
import Logging
import Synchronization
import Testing

/// The router called in process: requests are built in memory, no socket is opened.
@Suite("Router, called directly")
struct RouterTests {
    /// Keeps what the router logs, to check what an unhandled error leaves behind.
    final class LogCapture: Sendable {
        struct Entry: Sendable {
            let level: Logger.Level
            let message: String
            let metadata: Logger.Metadata
        }

        let entries = Mutex<[Entry]>([])

        var logger: Logger { Logger(label: "router-tests") { _ in Handler(capture: self) } }

        struct Handler: LogHandler {
            let capture: LogCapture
            var metadata: Logger.Metadata = [:]
            var logLevel: Logger.Level = .trace
            var metadataProvider: Logger.MetadataProvider?

            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }

            func log(event: LogEvent) {
                let merged = metadata.merging(event.metadata ?? [:]) { $1 }
                capture.entries.withLock {
                    $0.append(Entry(level: event.level, message: event.message.description, metadata: merged))
                }
            }
        }
    }

    /// An error a handler does not expect, whose description must not reach the client.
    struct DatabaseExploded: Error, CustomStringConvertible {
        var description: String { "disk I/O error at /var/lib/relieflog/secret.sqlite" }
    }

    /// A domain error that knows its problem, as the application layer declares them.
    struct EpisodeConflict: ProblemConvertible {
        var problem: Problem {
            Problem(status: 409, detail: "The episode changed meanwhile.", headers: ["ETag": #""7""#])
        }
    }

    static let log = LogCapture()

    static let router: Router = {
        let anyone = RouteAccess("public")
        var routes = RouterBuilder()
        routes.add("GET", "/items/new", access: anyone) { _, _ in .text("the form") }
        routes.add("GET", "/items/{id}", access: anyone) { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            return .json(["id": .number(.integer(id))])
        }
        routes.add("DELETE", "/items/{id}", access: anyone) { _, _ in .empty(status: 204) }
        routes.add("GET", "/tags/{name}", access: anyone) { _, context in
            .text(context.parameters["name"] ?? "-")
        }
        routes.add("GET", "/context/{a}/{b}", access: anyone) { _, context in
            .text(
                "\(context.requestId) \(context.route) \(context.parameters["a"] ?? "-") \(context.parameters["b"] ?? "-")"
            )
        }
        routes.add("GET", "/page", access: anyone) { _, _ in .text("page for GET") }
        routes.add("HEAD", "/page", access: anyone) { _, _ in .text("page for HEAD") }
        routes.add("GET", "/claims-a-route", access: anyone) { _, _ in
            HTTPResponse(status: 200, route: "/something/else")
        }
        routes.add("POST", "/problem", access: anyone) { _, _ in
            throw Problem(
                status: 422, detail: "Intensity must be between 0 and 10.",
                errors: [
                    .init(field: "/intensity", message: "must be at most 10")
                ])
        }
        routes.add("PUT", "/conflict", access: anyone) { _, _ in throw EpisodeConflict() }
        routes.add("GET", "/explode", access: anyone) { _, _ in throw DatabaseExploded() }
        return routes.build(logger: log.logger)
    }()

    static func request(_ method: String, _ target: String, requestId: String = "req-1") -> HTTPServerRequest {
        let path = String(target.prefix { $0 != "?" })
        return HTTPServerRequest(
            head: HTTPRequestHead(method: method, target: target, path: path),
            body: [], requestId: requestId, remoteAddress: "127.0.0.1")
    }

    static func respond(_ method: String, _ target: String, requestId: String = "req-1") async -> HTTPResponse {
        await router.respond(to: request(method, target, requestId: requestId))
    }

    static func text(_ response: HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    @Test("a static segment wins over a parameter at the same place, and each response names its template")
    func staticBeforeParameter() async {
        let form = await Self.respond("GET", "/items/new")
        #expect(form.status == 200)
        #expect(Self.text(form) == "the form")
        #expect(form.route == "/items/new")

        let item = await Self.respond("GET", "/items/42")
        #expect(item.status == 200)
        #expect(Self.text(item) == #"{"id":42}"#)
        #expect(item.route == "/items/{id}")
    }

    @Test("a trailing slash is part of a route: / is a route of its own, and /app/ is not /app")
    func trailingSlash() async {
        var routes = RouterBuilder()
        let anyone = RouteAccess("public")
        routes.add("GET", "/", access: anyone) { _, _ in .text("root") }
        routes.add("GET", "/app", access: anyone) { _, _ in .text("without") }
        routes.add("GET", "/app/", access: anyone) { _, _ in .text("with") }
        routes.add("GET", "/app/{file}", access: anyone) { _, context in .text(context.parameters["file"] ?? "-") }
        let router = routes.build(logger: Self.log.logger)
        #expect(Self.text(await router.respond(to: Self.request("GET", "/"))) == "root")
        #expect(Self.text(await router.respond(to: Self.request("GET", "/app"))) == "without")
        let slash = await router.respond(to: Self.request("GET", "/app/"))
        #expect(Self.text(slash) == "with")
        #expect(slash.route == "/app/")
        #expect(Self.text(await router.respond(to: Self.request("GET", "/app/app.js"))) == "app.js")
        #expect(await router.respond(to: Self.request("GET", "/app//")).status == 404)
        #expect(await router.respond(to: Self.request("GET", "/app/app.js/")).status == 404)
    }

    @Test("a parameter is percent-decoded, and the handler gets the request id, template and every parameter")
    func parametersAndContext() async {
        #expect(Self.text(await Self.respond("GET", "/tags/back%20pain")) == "back pain")
        let response = await Self.respond("GET", "/context/x/y%2Fz", requestId: "abc-7")
        #expect(Self.text(response) == "abc-7 /context/{a}/{b} x y/z")
    }

    @Test("a path parameter that is not the required type is a 400 problem naming the parameter")
    func badTypedParameter() async {
        let response = await Self.respond("GET", "/items/abc")
        #expect(response.status == 400)
        #expect(response.headers["Content-Type"] == "application/problem+json")
        #expect(
            Self.text(response) == #"{"type":"about:blank","title":"Bad Request","status":400,"#
                + #""detail":"Path parameter 'id' is not a valid Int64.","#
                + #""errors":[{"field":"/id","message":"must be a valid Int64"}]}"#)
        #expect(response.route == "/items/{id}")
    }

    @Test(
        "an unknown path is a 404 problem with the route 'unmatched'",
        arguments: [
            "/nowhere", "/items", "/items/1/more", "/items/", "/items//", "/",
        ])
    func notFound(path: String) async {
        let response = await Self.respond("GET", path)
        #expect(response.status == 404)
        #expect(response.headers["Content-Type"] == "application/problem+json")
        #expect(
            Self.text(response)
                == #"{"type":"about:blank","title":"Not Found","status":404,"detail":"No resource at this path."}"#)
        #expect(response.route == "unmatched")
    }

    @Test("a known path with another method is a 405 whose Allow lists the path's methods, HEAD included with GET")
    func methodNotAllowed() async {
        let response = await Self.respond("PUT", "/items/1")
        #expect(response.status == 405)
        #expect(response.headers["Allow"] == "DELETE, GET, HEAD")
        #expect(response.headers["Content-Type"] == "application/problem+json")
        #expect(
            Self.text(response) == #"{"type":"about:blank","title":"Method Not Allowed","status":405,"#
                + #""detail":"Allowed methods: DELETE, GET, HEAD."}"#)
        #expect(response.route == "/items/{id}")
    }

    @Test("methods are case-sensitive: 'get' is not GET")
    func methodCase() async {
        #expect(await Self.respond("get", "/items/1").status == 405)
    }

    @Test("HEAD is answered by GET's handler with the whole body (the connection drops it), unless HEAD has its own")
    func headAsGet() async {
        let head = await Self.respond("HEAD", "/items/5")
        #expect(head.status == 200)
        #expect(Self.text(head) == #"{"id":5}"#)
        #expect(head.route == "/items/{id}")
        #expect(Self.text(await Self.respond("HEAD", "/page")) == "page for HEAD")
        #expect(Self.text(await Self.respond("GET", "/page")) == "page for GET")
    }

    @Test("the router sets the matched template on the response, over whatever the handler put there")
    func templateOverridesHandler() async {
        #expect(await Self.respond("GET", "/claims-a-route").route == "/claims-a-route")
    }

    @Test("a thrown Problem is answered as problem+json with its status, errors and route")
    func thrownProblem() async {
        let response = await Self.respond("POST", "/problem")
        #expect(response.status == 422)
        #expect(response.headers["Content-Type"] == "application/problem+json")
        #expect(
            Self.text(response) == #"{"type":"about:blank","title":"Unprocessable Content","status":422,"#
                + #""detail":"Intensity must be between 0 and 10.","#
                + #""errors":[{"field":"/intensity","message":"must be at most 10"}]}"#)
        #expect(response.route == "/problem")
    }

    @Test("a thrown ProblemConvertible error is answered as its problem, with the problem's headers")
    func thrownProblemConvertible() async {
        let response = await Self.respond("PUT", "/conflict")
        #expect(response.status == 409)
        #expect(response.headers["ETag"] == #""7""#)
        #expect(response.headers["Content-Type"] == "application/problem+json")
        #expect(
            Self.text(response)
                == #"{"type":"about:blank","title":"Conflict","status":409,"detail":"The episode changed meanwhile."}"#)
    }

    @Test("an unknown thrown error is a generic 500 that reveals nothing, and is logged with its type")
    func unknownError() async {
        let response = await Self.respond("GET", "/explode", requestId: "explode-1")
        #expect(response.status == 500)
        #expect(response.headers["Content-Type"] == "application/problem+json")
        #expect(
            Self.text(response) == #"{"type":"about:blank","title":"Internal Server Error","status":500,"#
                + #""detail":"The server failed to handle this request; it has been logged."}"#)
        #expect(!Self.text(response).contains("secret"))
        #expect(!Self.text(response).contains("DatabaseExploded"))
        #expect(response.route == "/explode")

        let logged = Self.log.entries.withLock { entries in entries.filter { $0.metadata["requestId"] == "explode-1" } }
        #expect(logged.count == 1)
        #expect(logged.first?.level == .error)
        #expect(logged.first?.metadata["route"] == "/explode")
        #expect(logged.first?.metadata["error"]?.description.contains("DatabaseExploded") == true)
    }

    @Test("the route list keeps registration order and each route's declared access")
    func routeList() {
        var routes = RouterBuilder()
        routes.add("GET", "/b", access: RouteAccess("public")) { _, _ in .empty(status: 204) }
        routes.add("POST", "/a/{id}", access: RouteAccess("admin, clinician")) { _, _ in .empty(status: 204) }
        let router = routes.build(logger: Logger(label: "router-tests") { _ in SwiftLogNoOpLogHandler() })
        #expect(
            router.routes.map { "\($0.method) \($0.template) \($0.access)" }
                == ["GET /b public", "POST /a/{id} admin, clinician"])
    }
}
