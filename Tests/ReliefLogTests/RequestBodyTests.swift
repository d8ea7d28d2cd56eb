import HTTP
import JSON
import Testing

@testable import ReliefLog

@Suite("JSON request bodies: 415, 400 and 422 as the contract says")
struct RequestBodyTests {
    private func request(_ body: String, contentType: String? = "application/json") -> HTTPServerRequest {
        var headers: HTTPHeaders = ["Host": "x"]
        if let contentType { headers.add("Content-Type", contentType) }
        let head = HTTPRequestHead(
            method: "POST", target: "/v1/things", path: "/v1/things", query: nil, version: .http1_1,
            headers: headers, keepAlive: true, expectsContinue: false, contentLength: body.utf8.count, isChunked: false)
        return HTTPServerRequest(head: head, body: Array(body.utf8), requestId: "t", remoteAddress: "127.0.0.1")
    }

    @Test("accepts JSON with a charset parameter and any letter case of the media type")
    func accepts() throws {
        let object = try RequestBody.object(request(#"{"a": 1}"#, contentType: "Application/JSON; charset=utf-8"))
        #expect(object["a"] == .number(.integer(1)))
    }

    @Test(
        "a body that is not JSON by its media type is 415",
        arguments: [nil, "text/plain", "application/x-www-form-urlencoded"])
    func unsupportedMediaType(contentType: String?) {
        let problem = #expect(throws: Problem.self) {
            try RequestBody.object(self.request("a=1", contentType: contentType))
        }
        #expect(problem?.status == 415)
    }

    @Test("malformed JSON and an empty body are 400 with the byte offset", arguments: [#"{"a": }"#, "", "{\"a\":1} x"])
    func malformed(body: String) {
        let problem = #expect(throws: Problem.self) { try RequestBody.object(self.request(body)) }
        #expect(problem?.status == 400)
        #expect(problem?.detail?.isEmpty == false)
    }

    @Test("JSON that is not an object is 422 at the root pointer")
    func notAnObject() {
        let problem = #expect(throws: Problem.self) { try RequestBody.object(self.request("[1, 2]")) }
        #expect(problem?.status == 422)
        #expect(problem?.errors == [Problem.FieldError(field: "", message: "must be a JSON object, not array")])
    }

    @Test("collects every failing field into one validation error, answered as one 422")
    func collects() {
        var errors = FieldErrors()
        errors.add(JSONPointer.root.appending("intensity"), "must be between 0 and 10")
        errors.add(JSONPointer.root.appending("medications").appending(0).appending("name"), "is required")
        let error = #expect(throws: ValidationError.self) { try errors.throwIfAny() }
        let problem = error?.problem
        #expect(problem?.status == 422)
        #expect(problem?.errors.map(\.field) == ["/intensity", "/medications/0/name"])
        #expect(problem?.response.headers["Content-Type"] == "application/problem+json")
    }
}
