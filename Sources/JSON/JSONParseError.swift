/// Why a document is not valid JSON, and where.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Zero-based byte offset of the offending byte in the input (the input's
    /// length when the input ended too early).
    public let offset: Int
    /// What is wrong, for people: "expected ',' or '}'".
    public let reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    /// "invalid JSON at byte 17: expected ',' or '}'"
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}
