import HTTP

/// Strict reading of a request's query string: every parameter is read once by name, and
/// `finish()` answers 400 listing every malformed, out-of-range, repeated or unknown
/// parameter at once (`field` is `/` + the parameter name).
struct QueryParameters {
    /// The parameters in the order given, each once. A query string has a few: a linear search
    /// costs less than hashing every name (this runs on every list page and analytics poll).
    private var parameters: [(name: String, value: String, read: Bool)] = []
    private var errors: [Problem.FieldError] = []

    /// Most parameters one query string may carry; no operation reads more than a dozen.
    static let maxCount = 50
    /// Most bytes of one parameter's name or value, percent-decoded; the longest legitimate
    /// value is an `externalId` (255 bytes).
    static let maxLength = 1024

    init(_ request: HTTPServerRequest) throws(Problem) {
        guard let items = request.queryItems else {
            throw Problem.badRequest("The query string is not valid percent-encoded UTF-8.")
        }
        // The request line bounds the query string already (http.maxRequestLineBytes, 414);
        // these keep what a handler reads small and the error precise.
        guard items.count <= Self.maxCount else {
            throw Problem(
                status: 400, type: "urn:relieflog:problem:invalid-query", title: "Invalid query parameters",
                detail: "The query string has \(items.count) parameters; at most \(Self.maxCount) are allowed.")
        }
        for (position, (name, value)) in items.enumerated()
        where name.utf8.count > Self.maxLength || value.utf8.count > Self.maxLength {
            let field = name.utf8.count > Self.maxLength ? "/" + String(name.prefix(32)) + "…" : "/" + name
            throw Problem(
                status: 400, type: "urn:relieflog:problem:invalid-query", title: "Invalid query parameters",
                detail:
                    "Query parameter \(position + 1) is longer than \(Self.maxLength) bytes (name or value, decoded).",
                errors: [Problem.FieldError(field: field, message: "is longer than \(Self.maxLength) bytes")])
        }
        var repeated: [String] = []
        for (name, value) in items {
            if parameters.contains(where: { $0.name == name }) {
                if !repeated.contains(name) {
                    repeated.append(name)
                    fail(name, "must be given at most once")
                }
            } else {
                parameters.append((name, value, false))
            }
        }
    }

    private mutating func fail(_ name: String, _ message: String) {
        errors.append(Problem.FieldError(field: "/" + name, message: message))
    }

    /// The raw value; an empty value is an error (a parameter is either given or left out).
    mutating func string(_ name: String) -> String? {
        // Only given parameters need marking as read (the rest are reported as unknown); a
        // request without a query string, such as a dashboard's poll, allocates nothing here.
        guard let index = parameters.firstIndex(where: { $0.name == name }) else { return nil }
        parameters[index].read = true
        let value = parameters[index].value
        guard !value.isEmpty else {
            fail(name, "must not be empty")
            return nil
        }
        return value
    }

    mutating func integer(_ name: String, _ range: ClosedRange<Int64>, message: String) -> Int64? {
        guard let text = string(name) else { return nil }
        guard let value = Int64(text), String(value) == text, range.contains(value) else {
            fail(name, message)
            return nil
        }
        return value
    }

    mutating func int(_ name: String, _ range: ClosedRange<Int>) -> Int? {
        integer(
            name, Int64(range.lowerBound)...Int64(range.upperBound),
            message: "must be an integer from \(range.lowerBound) to \(range.upperBound)"
        ).map { Int($0) }
    }

    /// A record id: a positive integer.
    mutating func id(_ name: String) -> Int64? {
        integer(name, 1...Int64.max, message: "must be a positive integer")
    }

    mutating func bool(_ name: String) -> Bool? {
        guard let text = string(name) else { return nil }
        switch text {
        case "true": return true
        case "false": return false
        default:
            fail(name, "must be true or false")
            return nil
        }
    }

    mutating func slug(_ name: String) -> String? {
        guard let text = string(name) else { return nil }
        guard Slug.isValid(text) else {
            fail(name, ObjectReader.slugMessage)
            return nil
        }
        return text
    }

    mutating func oneOf(_ name: String, _ allowed: [String]) -> String? {
        guard let text = string(name) else { return nil }
        guard allowed.contains(text) else {
            fail(name, "must be one of: \(allowed.joined(separator: ", "))")
            return nil
        }
        return text
    }

    /// An RFC 3339 timestamp with an offset.
    mutating func timestamp(_ name: String) -> Int64? {
        guard let text = string(name) else { return nil }
        guard let instant = Timestamp.parse(text) else {
            fail(name, ObjectReader.timestampMessage + Self.plusHint(text))
            return nil
        }
        return instant
    }

    /// A date (`YYYY-MM-DD`, midnight UTC) or an RFC 3339 timestamp.
    mutating func dateOrTimestamp(_ name: String) -> Int64? {
        guard let text = string(name) else { return nil }
        guard let instant = Timestamp.parseDateOrTimestamp(text) else {
            fail(name, "must be a date (YYYY-MM-DD) or an RFC 3339 timestamp with an offset" + Self.plusHint(text))
            return nil
        }
        return instant
    }

    /// A '+' in a query string reads as a space (form encoding), so an offset such as
    /// `+01:00` arrives as ` 01:00`; say so when that is the likely mistake.
    private static func plusHint(_ text: String) -> String {
        text.contains(" ") ? " (write the + of an offset as %2B in a query string)" : ""
    }

    /// `limit`, `cursor` and `updatedSince`, which every list takes.
    mutating func paging() -> (limit: Int, cursor: String?, updatedSince: Int64?, externalId: String?) {
        let limit = int("limit", PageLimit.range) ?? PageLimit.default
        let cursor = boundCursor()
        let updatedSince = timestamp("updatedSince")
        var externalId = string("externalId")
        if let value = externalId, value.unicodeScalars.count > 100 {
            fail("externalId", "must be 1 to 100 characters")  // as the field itself
            externalId = nil
        }
        return (limit, cursor, updatedSince, externalId)
    }

    /// A digest of the filters (every parameter but `cursor` and `limit`, in name order): a list's
    /// `nextCursor` carries it, so a cursor is only valid with the filters it was issued for.
    var filterSignature: String {
        var text: [UInt8] = []
        for (name, value, _) in parameters.sorted(by: { $0.name < $1.name }) where name != "cursor" && name != "limit" {
            text += Array(name.utf8) + [0] + Array(value.utf8) + [0]
        }
        return String(FNV1a.hash(text) & 0xFFFF_FFFF, radix: 36)
    }

    /// `cursor` without its filter signature; an error when it was issued for other filters.
    mutating func boundCursor() -> String? {
        guard let cursor = string("cursor") else { return nil }
        guard let dot = cursor.lastIndex(of: "."), cursor[cursor.index(after: dot)...] == filterSignature else {
            fail("cursor", "is not a cursor of this list with these filters (start again without cursor)")
            return nil
        }
        return String(cursor[..<dot])
    }

    /// `page` with its cursor bound to these filters (see `filterSignature`).
    func bound<Item>(_ page: Page<Item>) -> Page<Item> {
        var page = page
        page.nextCursor = bound(cursor: page.nextCursor)
        return page
    }

    /// A next page's cursor bound to these filters (see `filterSignature`).
    func bound(cursor: String?) -> String? {
        cursor.map { $0 + "." + filterSignature }
    }

    /// Throws 400 listing every problem, unknown parameters included.
    func finish() throws(Problem) {
        var errors = errors
        for (name, _, read) in parameters where !read {
            errors.append(Problem.FieldError(field: "/" + name, message: "is not a known query parameter"))
        }
        guard !errors.isEmpty else { return }
        throw Problem(
            status: 400, type: "urn:relieflog:problem:invalid-query", title: "Invalid query parameters",
            detail: errors.count == 1
                ? "1 query parameter is invalid." : "\(errors.count) query parameters are invalid.",
            errors: errors)
    }
}
