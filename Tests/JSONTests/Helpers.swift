import JSON
import TestSupport
import Testing

/// The parse error for `bytes`, or `nil` when they parse.
func parseError(_ bytes: [UInt8], maxDepth: Int = 64) -> JSONParseError? {
    do {
        _ = try JSON.parse(bytes, maxDepth: maxDepth)
        return nil
    } catch {
        return error
    }
}

/// The parse error for the UTF-8 of `text`, or `nil` when it parses.
func parseError(_ text: String, maxDepth: Int = 64) -> JSONParseError? {
    parseError(Array(text.utf8), maxDepth: maxDepth)
}

/// Compact serialization as a String, for readable expectations.
func compact(_ value: JSONValue) -> String {
    JSON.string(value)
}
