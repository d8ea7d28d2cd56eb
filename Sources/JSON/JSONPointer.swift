/// A JSON Pointer (RFC 6901), mainly for naming the field an error is about:
/// `/medications/0/name`.
///
/// Tokens are stored unescaped; ``description`` escapes `~` as `~0` and `/` as
/// `~1` (RFC 6901 §3). The root pointer is the empty string.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The reference tokens, unescaped.
    public var tokens: [String]

    /// The whole document: `""`.
    public static let root = JSONPointer([])

    /// A pointer made of unescaped reference tokens.
    public init(_ tokens: [String]) {
        self.tokens = tokens
    }

    /// Why a string is not a JSON Pointer.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public let pointer: String
        public let reason: String
        public var description: String { "invalid JSON Pointer \"\(pointer)\": \(reason)" }
    }

    /// Parses the string form (RFC 6901 §3, §4): empty, or `/`-separated tokens
    /// in which `~` is always followed by `0` or `1`.
    public init(parsing string: String) throws(ParseError) {
        guard !string.isEmpty else {
            self.init([])
            return
        }
        guard string.utf8.first == UInt8(ascii: "/") else {
            throw ParseError(pointer: string, reason: "must be empty or start with '/'")
        }
        var tokens: [String] = []
        for raw in string.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            var token: [UInt8] = []
            token.reserveCapacity(raw.count)
            var iterator = raw.makeIterator()
            while let byte = iterator.next() {
                guard byte == UInt8(ascii: "~") else {
                    token.append(byte)
                    continue
                }
                // §4: "~1" → "/" and "~0" → "~", decoded in one pass so that
                // "~01" becomes "~1" and not "/".
                switch iterator.next() {
                case UInt8(ascii: "0"): token.append(UInt8(ascii: "~"))
                case UInt8(ascii: "1"): token.append(UInt8(ascii: "/"))
                default: throw ParseError(pointer: string, reason: "'~' must be followed by '0' or '1'")
                }
            }
            tokens.append(String(decoding: token, as: UTF8.self))
        }
        self.init(tokens)
    }

    /// A pointer literal such as `"/medications/0"`; an invalid literal traps.
    public init(stringLiteral value: String) {
        do {
            try self.init(parsing: value)
        } catch {
            preconditionFailure(error.description)
        }
    }

    /// This pointer with one more token (an object member name).
    public func appending(_ key: String) -> JSONPointer {
        var copy = self
        copy.tokens.append(key)
        return copy
    }

    /// This pointer with one more token (an array index).
    public func appending(_ index: Int) -> JSONPointer {
        appending(String(index))
    }

    /// The escaped string form: `""` for the root, else `/token/token`.
    public var description: String {
        var result = ""
        for token in tokens {
            result += "/"
            if token.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) {
                for scalar in token.unicodeScalars {
                    switch scalar {
                    case "~": result += "~0"
                    case "/": result += "~1"
                    default: result.unicodeScalars.append(scalar)
                    }
                }
            } else {
                result += token
            }
        }
        return result
    }

    /// The value this pointer refers to in `value`, or `nil` when it refers to
    /// nothing (RFC 6901 §4, §7). Array tokens must be decimal indices without
    /// leading zeros; `-` (past the end) refers to nothing.
    public func resolve(in value: JSONValue) -> JSONValue? {
        var current = value
        for token in tokens {
            switch current {
            case .object(let object):
                guard let member = object[token] else { return nil }
                current = member
            case .array(let elements):
                guard let index = Self.arrayIndex(token), index < elements.count else { return nil }
                current = elements[index]
            default:
                return nil
            }
        }
        return current
    }

    /// RFC 6901 §4: `array-index = %x30 / ( %x31-39 *(%x30-39) )`.
    private static func arrayIndex(_ token: String) -> Int? {
        let utf8 = token.utf8
        guard let first = utf8.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { return nil }
        if first == UInt8(ascii: "0") { return utf8.count == 1 ? 0 : nil }
        guard utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return Int(token)
    }
}
