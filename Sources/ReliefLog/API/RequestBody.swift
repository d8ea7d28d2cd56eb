import HTTP
import JSON

/// Reading JSON request bodies, with the contract's errors: a body that is not JSON by its
/// media type is 415, malformed JSON is 400, JSON of the wrong shape is 422 naming the field.
enum RequestBody {
    static let jsonMediaTypes: Set<String> = ["application/json"]
    static let mergePatchMediaTypes: Set<String> = ["application/json", "application/merge-patch+json"]

    /// The parsed body; throws 415 for another media type and 400 for malformed JSON.
    static func json(
        _ request: HTTPServerRequest, accepting mediaTypes: Set<String> = jsonMediaTypes
    ) throws(Problem) -> JSONValue {
        guard let mediaType = request.mediaType, mediaTypes.contains(mediaType) else {
            let expected = mediaTypes.sorted().joined(separator: " or ")
            var headers = HTTPHeaders()
            // RFC 5789 §3.1: a 415 to a PATCH names the patch formats the resource accepts.
            if mediaTypes.contains("application/merge-patch+json") {
                headers.add("Accept-Patch", mediaTypes.sorted().joined(separator: ", "))
            }
            throw Problem(
                status: 415, detail: "The request body must be \(expected) (send a Content-Type header).",
                headers: headers)
        }
        guard !request.body.isEmpty else {
            throw Problem(status: 400, detail: "The request body is empty; a JSON document is required.")
        }
        do {
            return try JSON.parse(request.body)
        } catch {
            throw Problem(status: 400, detail: "The request body is not valid JSON: \(error.description).")
        }
    }

    /// The parsed body as an object; any other JSON value is 422 at the root pointer.
    static func object(
        _ request: HTTPServerRequest, accepting mediaTypes: Set<String> = jsonMediaTypes
    ) throws(Problem) -> JSONObject {
        let value = try json(request, accepting: mediaTypes)
        guard case .object(let object) = value else {
            throw ValidationError.single(.root, "must be a JSON object, not \(value.typeName)").problem
        }
        return object
    }
}
